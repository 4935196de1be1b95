import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { UserError } from "../platform/errors.ts";
import { compareMetric, compareRuns, pairFrameworks, RunComparison } from "./run-comparison.ts";
import { renderComparison } from "../outputs/comparison-text.ts";
import type { FrameworkResult, ScenarioResult } from "./schema.ts";
import { combineTrials } from "./combine-trials.ts";
import { levelKey, closedLevel, closedPoint, pointKey } from "../plan/level-key.ts";

/** A result of `framework` at concurrency 1 (and 4 unless `only1`) with the given throughput and p50. */
function run(framework: string, qps: number, p50: number, only1 = false): FrameworkResult {
  const r = sampleResult();
  r.framework = framework;
  const level = (s: ScenarioResult): ScenarioResult => ({
    ...s,
    throughput_qps: qps,
    latency_ms: { ...s.latency_ms, median: p50, p95: p50 * 1.5, p99: p50 * 2 },
  });
  r.scenarios = only1
    ? { [levelKey(closedLevel(1))]: level(r.scenarios[levelKey(closedLevel(1))]!) }
    : Object.fromEntries(Object.entries(r.scenarios).map(([k, s]) => [k, level(s)]));
  return r;
}

/** The combination of trials with these throughputs and p50s, as bench:k6 --trials writes it. */
const trials = (framework: string, qps: number[], p50: number[]) => combineTrials(qps.map((q, i) => run(framework, q, p50[i]!, true)));

const level1 = (r: FrameworkResult) => r.scenarios[levelKey(closedLevel(1))]!;

test("the change is (B − A) ÷ A; worse is the drop for throughput and the rise for latency", () => {
  const c = compareMetric(level1(run("a", 200, 10)), level1(run("a", 150, 12)), "throughput_qps", null);
  assert.deepEqual([c.a, c.b, c.change_pct, c.worse_pct], [200, 150, -25, 25]);
  const l = compareMetric(level1(run("a", 200, 10)), level1(run("a", 150, 12)), "p50_ms", null);
  assert.deepEqual([l.change_pct, l.worse_pct], [20, 20]);
  const p95 = compareMetric(level1(run("a", 200, 10)), level1(run("a", 150, 12)), "p95_ms", null);
  assert.deepEqual([p95.a, p95.b, p95.change_pct], [15, 18, 20]);
  const better = compareMetric(level1(run("a", 100, 10)), level1(run("a", 110, 9)), "p50_ms", 5);
  assert.deepEqual([better.worse_pct, better.regression], [-10, false]);
});

test("without trials the change is untested and, with a threshold, the threshold alone decides", () => {
  const c = compareMetric(level1(run("a", 200, 10)), level1(run("a", 180, 10)), "throughput_qps", 5);
  assert.equal(c.significance, "untested");
  assert.equal(c.p, null);
  assert.equal(c.regression, true, "10 % worse than a 5 % allowance");
  assert.equal(compareMetric(level1(run("a", 200, 10)), level1(run("a", 195, 10)), "throughput_qps", 5).regression, false, "2.5 % is within 5 %");
  assert.equal(compareMetric(level1(run("a", 200, 10)), level1(run("a", 100, 10)), "throughput_qps", null).regression, false, "no threshold, no gate");
});

test("with trials on both sides, Welch decides: a large steady drop is a regression, noise is not", () => {
  const a = level1(trials("a", [200, 202, 198], [10, 10.1, 9.9]));
  const slower = level1(trials("a", [150, 151, 149], [13, 13.1, 12.9]));
  const qps = compareMetric(a, slower, "throughput_qps", 5);
  assert.equal(qps.significance, "significant");
  assert.ok(qps.p !== null && qps.p < 0.05, String(qps.p));
  assert.equal(qps.regression, true);
  assert.equal(compareMetric(a, slower, "p50_ms", 5).regression, true);
  assert.equal(compareMetric(a, slower, "throughput_qps", 30).regression, false, "significant but within 30 %");

  // Mean 10 % lower, but the trials spread over ±50: the change cannot be told from noise.
  const noisy = level1(trials("a", [130, 230, 180], [10, 10, 10]));
  const n = compareMetric(a, noisy, "throughput_qps", 5);
  assert.equal(n.significance, "not_significant");
  assert.ok(n.p !== null && n.p > 0.05);
  assert.equal(n.regression, false, "a change that is not significant is never a regression");
});

test("one side with trials and the other without is untested", () => {
  const c = compareMetric(level1(trials("a", [200, 202], [10, 10])), level1(run("a", 100, 10)), "throughput_qps", 5);
  assert.equal(c.significance, "untested");
  assert.equal(c.regression, true);
});

test("p99 of a level with too few requests for it is shown but not gated", () => {
  const [a, b] = [level1(run("a", 200, 10)), level1(run("a", 200, 20))];
  const validity = {
    p99_enough_samples: false,
    p999_enough_samples: false,
    client_bound: false,
    noisy: false,
    other_cpu_percent: 0,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  const c = compareMetric({ ...a, validity }, b, "p99_ms", 5);
  assert.equal(c.significance, "too_few_samples");
  assert.equal(c.change_pct, 100);
  assert.equal(c.regression, false);
});

test("frameworks pair by name, or as --pair says; a pair naming an absent framework is a UserError", () => {
  assert.deepEqual(pairFrameworks(["x", "y"], ["y", "z"], []), [["y", "y"]]);
  assert.deepEqual(pairFrameworks(["x", "y"], ["y", "z"], ["x=z"]), [
    ["x", "z"],
    ["y", "y"],
  ]);
  assert.deepEqual(pairFrameworks(["x", "y"], ["x", "y"], ["x=y"]), [["x", "y"]], "y of B is taken by the pair");
  assert.throws(
    () => pairFrameworks(["x"], ["y"], ["q=y"]),
    (e: Error) => e instanceof UserError && e.message === "--pair q=y: run A has no q; it holds x",
  );
  assert.throws(() => pairFrameworks(["x"], ["y"], ["x"]), /expected <framework of A>=<framework of B>, got 'x'/);
});

test("two runs compare level by level; levels in one run only are listed; the gate lists each regression", () => {
  const a = { id: "A", results: [run("onnx-python", 200, 10), run("onnx-rust", 300, 5)] };
  const b = { id: "B", results: [run("onnx-python", 150, 10, true), run("candle", 100, 20)] };
  const cmp = compareRuns(a, b, { thresholdPct: 5, pairs: [] });
  RunComparison.parse(cmp);
  assert.deepEqual(
    cmp.levels.map((l) => `${l.framework_a} c=${l.concurrency}`),
    ["onnx-python c=1"],
  );
  assert.deepEqual(cmp.unmatched, ["A only: onnx-rust", "B only: candle", "A only: onnx-python c=4 b=1"]);
  assert.deepEqual(cmp.regressions, ["onnx-python c=1 b=1: throughput 200 → 150 (-25.0 %, untested: no trials, the threshold alone decides)"]);
  const text = renderComparison(cmp);
  assert.match(text, /^onnx-python\s+c=1 b=1\s+1\/1\s+200\.0\s+150\.0\s+-25\.0 %\?\s+0\.0 %\?/m);
  assert.match(text, /Regressions beyond 5 %:\n {2}onnx-python c=1 b=1: throughput/);

  const paired = compareRuns(a, b, { thresholdPct: null, pairs: ["onnx-rust=candle"] });
  assert.ok(paired.levels.some((l) => l.framework_a === "onnx-rust" && l.framework_b === "candle" && l.concurrency === 1));
  assert.deepEqual(paired.regressions, []);
  assert.match(renderComparison(paired), /^onnx-rust → candle\s+c=1 b=1\s/m);
  assert.doesNotMatch(renderComparison(paired), /Regressions|No regression/, "no threshold, no verdict");

  assert.throws(
    () => compareRuns(a, { id: "C", results: [run("candle", 1, 1)] }, { thresholdPct: null, pairs: [] }),
    /share no framework \(A: onnx-python, onnx-rust; B: candle\); pair two with --pair/,
  );
});

test("compare matches on the whole operating point: the same VUs at another batch size or text length is another point", () => {
  const at = (batch: number, seq: number | null, qps: number) => {
    const r = sampleResult();
    const s = r.scenarios[levelKey(closedLevel(1))]!;
    r.scenarios = {
      [pointKey(closedPoint(1, batch, seq))]: {
        ...s,
        scenario_name: pointKey(closedPoint(1, batch, seq)),
        batch_size: batch,
        seq_len: seq,
        throughput_qps: qps,
      },
    };
    return r;
  };
  const a = { id: "A", results: [{ ...at(8, 128, 100), scenarios: { ...at(8, 128, 100).scenarios, ...at(1, 128, 50).scenarios } }] };
  const b = { id: "B", results: [{ ...at(8, 32, 300), scenarios: { ...at(8, 32, 300).scenarios, ...at(1, 128, 55).scenarios } }] };
  const cmp = compareRuns(a, b, { thresholdPct: null, pairs: [] });
  assert.deepEqual(
    cmp.levels.map((l) => [l.point, l.batch_size, l.seq_len, l.throughput_qps.a, l.throughput_qps.b]),
    [["c=1 b=1 s=128", 1, 128, 50, 55]],
  );
  assert.deepEqual(cmp.unmatched, ["B only: onnx-python c=1 b=8 s=32", "A only: onnx-python c=1 b=8 s=128"]);
  // A schema 9 file's concurrency_1 (batch 1, texts not cut) is the same point as a schema 10 concurrency_1_batch_1.
  const legacy = { id: "old", results: [sampleResult()] };
  const fresh = { id: "new", results: [{ ...sampleResult(), scenarios: { [pointKey(closedPoint(1))]: sampleResult().scenarios[levelKey(closedLevel(1))]! } }] };
  assert.deepEqual(
    compareRuns(legacy, fresh, { thresholdPct: null, pairs: [] }).levels.map((l) => l.point),
    ["c=1 b=1"],
  );
});
