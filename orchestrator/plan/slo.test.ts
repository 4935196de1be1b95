import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { parseSlo, searchCapacity, sloVerdict } from "./slo.ts";

test("parseSlo reads latency bounds in ms and an optional error-rate bound", () => {
  assert.deepEqual(parseSlo("p99<50ms"), { text: "p99<50ms", latency: [{ percentile: "p99", maxMs: 50 }] });
  assert.deepEqual(parseSlo("p95 < 20ms, p50<7.5ms, errors<1%"), {
    text: "p95 < 20ms, p50<7.5ms, errors<1%",
    latency: [
      { percentile: "p95", maxMs: 20 },
      { percentile: "p50", maxMs: 7.5 },
    ],
    maxErrorRate: 0.01,
  });
  for (const bad of ["p99<50", "p90<50ms", "p99>50ms", "errors<1%", "p99<0ms", "p99<50ms,errors<150%", ""]) {
    assert.throws(
      () => parseSlo(bad),
      (e: Error) => e instanceof UserError && e.message.startsWith("--slo: "),
      bad,
    );
  }
});

const figures = { p50: 10, p95: 30, p99: 45, errorRate: 0, saturated: false, achievedRps: 20 };

test("a level passes when every bound holds strictly, and says which failed otherwise", () => {
  const slo = parseSlo("p99<50ms,errors<1%");
  assert.deepEqual(sloVerdict(slo, figures), { passed: true, reason: "p99 45.0 ms < 50 ms" });
  assert.deepEqual(sloVerdict(slo, { ...figures, p99: 50 }), { passed: false, reason: "p99 50.0 ms ≥ 50 ms" });
  assert.deepEqual(sloVerdict(slo, { ...figures, errorRate: 0.02 }), { passed: false, reason: "errors 2.00 % ≥ 1 %" });
  assert.equal(sloVerdict(slo, { ...figures, saturated: true, achievedRps: 12.34 }).reason, "saturated (achieved 12.3 req/s)", "fast but short of its rate");
});

/** A recorded curve: p99 of one server at each rate (ms), rising steeply past ~60 req/s. */
const CURVE = (rate: number) => (rate <= 60 ? 20 + rate / 2 : 50 + (rate - 60) * 10);
const recorded = (slo = parseSlo("p99<55ms")) => {
  const calls: number[] = [];
  const tryRate = async (rate: number) => {
    calls.push(rate);
    return sloVerdict(slo, { ...figures, p99: CURVE(rate) });
  };
  return { calls, tryRate };
};

test("from a passing start the search doubles, then bisects between the highest pass and the lowest fail", async () => {
  const { calls, tryRate } = recorded();
  const out = await searchCapacity(20, 10, tryRate);
  // 20, 40 pass; 80 fails; 60 passes (p99 50); 70 fails; 65 fails (p99 100); 62 fails (70); 61 fails (60).
  assert.deepEqual(calls, [20, 40, 80, 60, 70, 65, 62, 61]);
  assert.equal(out.capacity_rps, 60);
  assert.equal(out.lowest_failing_rps, 61);
  assert.equal(out.tried.length, 8);
  assert.ok(out.tried.every((t) => t.reason.length > 0));
});

test("from a failing start it halves; the step budget bounds the search", async () => {
  const { calls, tryRate } = recorded();
  const out = await searchCapacity(200, 4, tryRate);
  assert.deepEqual(calls, [200, 100, 50, 75]);
  assert.equal(out.capacity_rps, 50, "the best pass within the budget");
  assert.equal(out.lowest_failing_rps, 75);
});

test("nothing passes: the search stops at 1 req/s with no capacity", async () => {
  const { calls, tryRate } = recorded(parseSlo("p99<5ms"));
  const out = await searchCapacity(8, 10, tryRate);
  assert.deepEqual(calls, [8, 4, 2, 1]);
  assert.equal(out.capacity_rps, null);
});

test("searchCapacity: doubling stops at the bound on a level's rate", async () => {
  const out = await searchCapacity(3000, 10, async () => ({ passed: true, reason: "ok" }), 10_000);
  assert.deepEqual(
    out.tried.map((t) => t.rate_rps),
    [3000, 6000, 10_000],
  );
  assert.equal(out.capacity_rps, 10_000);
  assert.equal((await searchCapacity(50_000, 1, async () => ({ passed: false, reason: "slow" }), 10_000)).tried[0]?.rate_rps, 10_000);
});
