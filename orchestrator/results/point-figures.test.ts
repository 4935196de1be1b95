// The definitions of the sweep's figures, on hand-made levels (docs/results.md states each once).
import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { closedPoint, openPoint, pointKey, type SweepPoint } from "../plan/level-key.ts";
import {
  batchingSpeedup,
  comparePoints,
  describePoint,
  embeddingsPerCore,
  inputTokensPerSec,
  datasetOfLevel,
  memoryPer1kEmbeddings,
  samePoint,
  shortPoint,
  withBatchingSpeedups,
} from "./point-figures.ts";
import type { FrameworkResult, ScenarioResult } from "./schema.ts";

/** A level at `point` measuring `eps` embeddings per second. */
function level(point: SweepPoint, eps: number, extra: Partial<ScenarioResult> = {}): ScenarioResult {
  const base = Object.values(sampleResult().scenarios)[0]!;
  const open = point.level.mode === "open";
  return {
    ...base,
    scenario_name: pointKey(point),
    mode: point.level.mode,
    concurrency: open ? 20 : point.level.value,
    ...(open ? { target_rps: point.level.value, vus_max: 5 } : {}),
    batch_size: point.batchSize,
    seq_len: point.seqLen,
    throughput_qps: eps / point.batchSize,
    embeddings_per_sec: eps,
    ...extra,
  };
}

test("batching speed-up at batch B: emb/s at B ÷ emb/s at batch 1, same text length and concurrency; a multiple", () => {
  const levels = [
    level(closedPoint(1, 1, 128), 100),
    level(closedPoint(4, 1, 128), 150),
    level(closedPoint(1, 8, 128), 250),
    level(closedPoint(4, 8, 128), 420),
    level(closedPoint(4, 8, 32), 900),
    level(closedPoint(4, 1, 32), 300),
    level(closedPoint(2, 8, 128), 300),
  ];
  const at = (p: SweepPoint) => batchingSpeedup(levels.find((l) => l.scenario_name === pointKey(p))!, levels);
  assert.equal(at(closedPoint(1, 8, 128)), 2.5, "250 ÷ 100 at 1 VU");
  assert.equal(at(closedPoint(4, 8, 128)), 2.8, "420 ÷ 150 at 4 VUs, not ÷ 100");
  assert.equal(at(closedPoint(4, 8, 32)), 3, "900 ÷ 300: the 32-token batch-1 level, not the 128-token one");
  assert.equal(at(closedPoint(1, 1, 128)), 1, "batch 1 against itself");
  assert.equal(at(closedPoint(2, 8, 128)), null, "no batch-1 level at 2 VUs: no speed-up");
  assert.equal(batchingSpeedup(level(openPoint(20, 8), 160), [level(openPoint(20, 1), 20)]), null, "open loop: the throughput is the rate asked");
  assert.equal(batchingSpeedup(level(closedPoint(1, 8), 250), [level(closedPoint(1, 1), 0)]), null, "a batch-1 level that measured nothing");
  const r: FrameworkResult = { ...sampleResult(), scenarios: Object.fromEntries(levels.map((l) => [l.scenario_name, l])) };
  assert.equal(withBatchingSpeedups(r).scenarios[pointKey(closedPoint(4, 8, 128))]!.batching_speedup, 2.8, "written into the result");
});

test("input tokens per second: embeddings/s × the dataset's tokens per text; not counted without them", () => {
  assert.equal(inputTokensPerSec(250, 128), 32000);
  assert.equal(inputTokensPerSec(33.33333, 32), 1066.7);
  assert.equal(inputTokensPerSec(250, null), null, "built-in texts: not counted, never estimated");
});

test("memory per 1k embeddings: (peak − idle after warm-up) × 1000 ÷ (in flight × batch), MiB", () => {
  const closed = { mode: "closed" as const, concurrency: 4, vus_max: undefined, batch_size: 8, server_memory_peak_mb: 300, server_idle_memory_mb: 250 };
  assert.equal(memoryPer1kEmbeddings(closed), 1562.5, "50 MiB × 1000 ÷ 32 embeddings in flight");
  assert.equal(memoryPer1kEmbeddings({ ...closed, server_memory_peak_mb: 240 }), -312.5, "a peak under the idle figure is said as it is");
  assert.equal(memoryPer1kEmbeddings({ ...closed, server_idle_memory_mb: null }), null, "no idle sample");
  assert.equal(memoryPer1kEmbeddings({ ...closed, server_memory_peak_mb: null }), null, "not measured");
  const open = { ...closed, mode: "open" as const, concurrency: 200, vus_max: 5 };
  assert.equal(memoryPer1kEmbeddings(open), 1250, "open loop: the most requests in flight (5), not the cap (200)");
  assert.equal(memoryPer1kEmbeddings({ ...open, vus_max: 0 }), null);
});

test("embeddings/s per server core: over the server's mean CPU in cores", () => {
  assert.equal(embeddingsPerCore({ embeddings_per_sec: 300, server_cpu_percent: 150 }), 200);
  assert.equal(embeddingsPerCore({ embeddings_per_sec: 300, server_cpu_percent: 0 }), null);
  assert.equal(embeddingsPerCore({ embeddings_per_sec: 300, server_cpu_percent: null }), null);
});

test("a point is its fields: sweep order, identity across schema versions, and how it reads", () => {
  const a = level(closedPoint(4, 8, 128), 1);
  const legacy = { ...a, scenario_name: "concurrency_4" };
  assert.ok(samePoint(a, legacy), "the key is not the identity: a schema 9 key names the same point");
  assert.ok(!samePoint(a, level(closedPoint(4, 8, 32), 1)));
  const sorted = [closedPoint(4, 8, 128), openPoint(10, 1, 32), closedPoint(1, 1, 128), closedPoint(4, 1, 32), closedPoint(1, 1, 32)]
    .map((p) => level(p, 1))
    .sort(comparePoints)
    .map((s) => s.scenario_name);
  assert.deepEqual(sorted, [
    pointKey(closedPoint(1, 1, 32)),
    pointKey(closedPoint(4, 1, 32)),
    pointKey(openPoint(10, 1, 32)),
    pointKey(closedPoint(1, 1, 128)),
    pointKey(closedPoint(4, 8, 128)),
  ]);
  assert.equal(describePoint(a), "batch 8 · 128 tokens · 4 VUs");
  assert.equal(describePoint(level(openPoint(20), 1)), "batch 1 · 20 req/s");
  assert.equal(shortPoint(a), "c=4 b=8 s=128");
  assert.equal(shortPoint(level(openPoint(20), 1)), "r=20 b=1");
});

test("a level's dataset in a sweep of text lengths is the file of its length", () => {
  const both = "/m/datasets/tokens-32.json; /m/datasets/tokens-128.json";
  assert.equal(datasetOfLevel(both, 128), "/m/datasets/tokens-128.json");
  assert.equal(datasetOfLevel(both, 32), "/m/datasets/tokens-32.json");
  assert.equal(datasetOfLevel("builtin", null), "builtin");
  assert.equal(datasetOfLevel("/m/datasets/tokens-32.json", 32), "/m/datasets/tokens-32.json");
});
