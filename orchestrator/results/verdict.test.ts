// The verdict per operating point, and its wording, on hand-made trials.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { closedPoint, openPoint, pointKey, type SweepPoint } from "../plan/level-key.ts";
import { combineTrials } from "./combine-trials.ts";
import type { FrameworkResult } from "./schema.ts";
import { pointVerdicts, verdictLine } from "./verdict.ts";

/** One trial of `framework`: at each point, the requests per second given. */
function trial(framework: string, at: [SweepPoint, number][], model = "all-MiniLM-L6-v2"): FrameworkResult {
  const r = sampleResult();
  const base = Object.values(r.scenarios)[0]!;
  return {
    ...r,
    framework,
    model_name: model,
    scenarios: Object.fromEntries(
      at.map(([p, qps]) => [
        pointKey(p),
        {
          ...base,
          scenario_name: pointKey(p),
          mode: p.level.mode,
          concurrency: p.level.value,
          ...(p.level.mode === "open" ? { target_rps: p.level.value } : {}),
          batch_size: p.batchSize,
          seq_len: p.seqLen,
          throughput_qps: qps,
          embeddings_per_sec: qps * p.batchSize,
        },
      ]),
    ),
  };
}

const B8 = closedPoint(4, 8, 128);
const trials = (framework: string, ...qps: number[]) => combineTrials(qps.map((q) => trial(framework, [[B8, q]])));

test("with trials: the leader, whom it is significantly ahead of, and whom it cannot be separated from (Welch, p < 0.05)", () => {
  const fast = trials("openvino", 51, 49.5, 52.5);
  const close = trials("onnx-cpp", 50, 45, 53.75);
  const slow = trials("onnx-python", 30, 29.5, 31.25);
  const [v, ...more] = pointVerdicts([slow, close, fast]);
  assert.equal(more.length, 0, "one operating point");
  assert.equal(v!.leader, "openvino");
  assert.equal(v!.trials, 3);
  assert.equal(v!.leaderEmbeddingsPerSec, 51 * 8);
  assert.deepEqual(
    v!.behind.map((b) => b.framework),
    ["onnx-python"],
  );
  assert.deepEqual(
    v!.inseparable.map((b) => b.framework),
    ["onnx-cpp"],
  );
  assert.ok(v!.behind[0]!.p! < 0.05 && v!.inseparable[0]!.p! >= 0.05);
  assert.match(
    verdictLine(v!),
    /^batch 8 · 128 tokens · 4 VUs: openvino leads \(408\.0 emb\/s, 3 trials\); significantly ahead of onnx-python \(p[=<]0\.\d{3}\); cannot be separated from onnx-cpp \(p=0\.\d{3}\)$/,
  );
});

test("one trial: a leader, and no test it could not make", () => {
  const [v] = pointVerdicts([trial("a", [[B8, 10]]), trial("b", [[B8, 12]])]);
  assert.equal(v!.leader, "b");
  assert.deepEqual(v!.untested, [{ framework: "a", p: null }]);
  assert.equal(
    verdictLine(v!),
    "batch 8 · 128 tokens · 4 VUs: b leads (96.0 emb/s, 1 trial); not tested against a (one trial: --trials 2 or more for Welch's t-test)",
  );
});

test("a verdict per operating point: each batch size, text length, level and model apart; none for a point one framework measured, or open loop", () => {
  const points: SweepPoint[] = [closedPoint(1, 1, 32), closedPoint(1, 8, 32), closedPoint(1, 1, 128)];
  const a = trial("a", [...points.map((p): [SweepPoint, number] => [p, 10]), [closedPoint(4, 1, 32), 5], [openPoint(20, 1, 32), 20]]);
  const b = trial("b", [...points.map((p): [SweepPoint, number] => [p, 20]), [openPoint(20, 1, 32), 19]]);
  const other = trial("a", [[closedPoint(1, 1, 32), 50]], "bge-small-en");
  const verdicts = pointVerdicts([a, b, other]);
  assert.deepEqual(
    verdicts.map((v) => verdictLine(v, true).split(":")[0]),
    ["all-MiniLM-L6-v2 · batch 1 · 32 tokens · 1 VUs", "all-MiniLM-L6-v2 · batch 8 · 32 tokens · 1 VUs", "all-MiniLM-L6-v2 · batch 1 · 128 tokens · 1 VUs"],
  );
  assert.ok(verdicts.every((v) => v.leader === "b"));
});
