import assert from "node:assert/strict";
import { test } from "node:test";
import { stableTail } from "./stability.ts";
import type { WindowFigures } from "../plan/level-spec.ts";

const rule = { windowS: 5, windows: 3, tolerance: 0.1 };
const w = (index: number, qps: number, p95: number): WindowFigures => ({
  index,
  ok_requests: qps * 5,
  throughput_qps: qps,
  p50_ms: p95 / 2,
  p90_ms: p95 * 0.9,
  p95_ms: p95,
  p99_ms: p95 * 1.2,
  p999_ms: p95 * 1.5,
});

test("the last three windows within ±10 % on throughput and p95 are stable", () => {
  const series = [w(0, 60, 40), w(1, 95, 22), w(2, 100, 20), w(3, 104, 21)];
  assert.deepEqual(
    stableTail(series, rule)?.map((x) => x.index),
    [1, 2, 3],
  );
});

test("boundaries: exactly 10 % from the mean passes, just over fails; too few windows never pass", () => {
  // mean 100: 90 and 110 are exactly 10 % away.
  assert.ok(stableTail([w(0, 90, 20), w(1, 100, 20), w(2, 110, 20)], rule));
  assert.equal(stableTail([w(0, 89, 20), w(1, 100, 20), w(2, 111, 20)], rule), null);
  assert.equal(stableTail([w(0, 100, 20), w(1, 100, 20)], rule), null);
});

test("throughput alone is not enough: p95 must agree too; an empty window or a mean of 0 is not stable", () => {
  assert.equal(stableTail([w(0, 100, 20), w(1, 100, 30), w(2, 100, 20)], rule), null);
  assert.equal(stableTail([w(0, 100, 20), w(1, 100, 20), { ...w(2, 100, 20), ok_requests: 0 }], rule), null);
  assert.equal(stableTail([w(0, 0, 0), w(1, 0, 0), w(2, 0, 0)], rule), null);
});

test("windows disabled (0 s) are never stable", () => {
  assert.equal(stableTail([w(0, 100, 20), w(1, 100, 20), w(2, 100, 20)], { ...rule, windowS: 0 }), null);
});
