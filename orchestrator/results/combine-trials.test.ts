import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import type { FrameworkResult } from "./schema.ts";
import { combineTrials } from "./combine-trials.ts";
import { pointVerdicts } from "./verdict.ts";
import { levelKey, closedLevel, closedPoint, openLevel, pointKey } from "../plan/level-key.ts";

/** A trial of `framework` whose concurrency-1 level ran at `qps` with p50 `p50`. */
function trial(framework: string, qps: number, p50 = 6): FrameworkResult {
  const r = sampleResult();
  r.framework = framework;
  const s = r.scenarios[levelKey(closedLevel(1))]!;
  r.scenarios = { [levelKey(closedLevel(1))]: { ...s, throughput_qps: qps, latency_ms: { ...s.latency_ms, median: p50 } } };
  return r;
}

test("a single trial is returned as it is", () => {
  const one = trial("a", 100);
  assert.equal(combineTrials([one]), one);
});

test("trials combine into the means, with every value and its 95 % interval", () => {
  const c = combineTrials([trial("a", 100, 5), trial("a", 110, 6), trial("a", 120, 7)]);
  const s = c.scenarios[levelKey(closedLevel(1))]!;
  assert.equal(s.throughput_qps, 110);
  assert.equal(s.latency_ms.median, 6);
  assert.deepEqual(s.trials?.throughput_qps.values, [100, 110, 120]);
  assert.equal(s.trials?.n, 3);
  // s = 10, n = 3: 4.3027 × 10 / √3 = 24.84
  assert.ok(Math.abs(s.trials!.throughput_qps.ci95! - 24.84) < 0.01, String(s.trials!.throughput_qps.ci95));
  assert.equal(s.num_requests, 3 * trial("a", 1).scenarios[levelKey(closedLevel(1))]!.num_requests);
  assert.equal(c.status, "completed");
});

test("a failed trial fails the combination, says which, and only levels every trial measured are kept", () => {
  const bad = trial("a", 90);
  bad.status = "failed";
  bad.failure = "server died";
  bad.scenarios = {};
  const c = combineTrials([trial("a", 100), bad]);
  assert.equal(c.status, "failed");
  assert.equal(c.failure, "trial 2 of 2: server died");
  assert.deepEqual(c.scenarios, {});
});

test("a resource a trial did not measure stays not measured in the combination", () => {
  const unmeasured = trial("a", 110);
  const s = unmeasured.scenarios[levelKey(closedLevel(1))]!;
  unmeasured.scenarios[levelKey(closedLevel(1))] = { ...s, server_cpu_percent: null, server_memory_mb: null, server_memory_peak_mb: null };
  const c = combineTrials([trial("a", 100), unmeasured]).scenarios[levelKey(closedLevel(1))]!;
  assert.deepEqual([c.server_cpu_percent, c.server_memory_mb, c.server_memory_peak_mb], [null, null, null]);
  assert.equal(combineTrials([trial("a", 100), trial("a", 110)]).scenarios[levelKey(closedLevel(1))]!.server_memory_peak_mb, 212);
});

test("open-loop levels combine their rates and drops over trials, and get no throughput verdict", () => {
  const open = (framework: string, achieved: number, dropped: number, saturated: boolean): FrameworkResult => {
    const r = trial(framework, achieved);
    const s = r.scenarios[levelKey(closedLevel(1))]!;
    r.scenarios = {
      [levelKey(openLevel(50))]: {
        ...s,
        scenario_name: levelKey(openLevel(50)),
        mode: "open",
        concurrency: 21,
        target_rps: 50,
        achieved_rps: achieved,
        dropped_iterations: dropped,
        vus_max: 9,
        validity: { ...s.validity!, saturated },
      },
    };
    return r;
  };
  const a = combineTrials([open("a", 50, 0, false), open("a", 46, 30, true)]);
  const level = a.scenarios[levelKey(openLevel(50))]!;
  assert.deepEqual([level.achieved_rps, level.dropped_iterations, level.vus_max, level.validity?.saturated], [48, 30, 9, true]);
  const b = combineTrials([open("b", 40, 90, true), open("b", 41, 80, true)]);
  assert.deepEqual(pointVerdicts([a, b]), [], "open-loop throughput is the rate asked: no verdict");
});

test("Poisson levels sum their late starts and average their latency from the scheduled start over trials", () => {
  const poisson = (late: number, p99: number): FrameworkResult => {
    const r = trial("a", 50);
    const s = r.scenarios[levelKey(closedLevel(1))]!;
    r.scenarios = {
      [levelKey(openLevel(50))]: {
        ...s,
        scenario_name: levelKey(openLevel(50)),
        mode: "open",
        concurrency: 21,
        target_rps: 50,
        achieved_rps: 50,
        dropped_iterations: 0,
        vus_max: 21,
        arrivals: "poisson",
        late_starts: late,
        latency_from_intended_ms: { median: 20, p95: 40, p99, max: p99 * 2 },
      },
    };
    return r;
  };
  const level = combineTrials([poisson(3, 100), poisson(5, 200)]).scenarios[levelKey(openLevel(50))]!;
  assert.equal(level.arrivals, "poisson");
  assert.equal(level.late_starts, 8);
  assert.deepEqual(level.latency_from_intended_ms, { median: 20, p95: 40, p99: 150, max: 400 });
});

test("a sweep's figures combine as means, and the batching speed-up is the ratio of the combined means", () => {
  const sweep = (qps1: number, qps8: number, idle: number): FrameworkResult => {
    const r = trial("a", qps1);
    const s = r.scenarios[levelKey(closedLevel(1))]!;
    const at = (batch: number, qps: number) => ({
      ...s,
      scenario_name: pointKey(closedPoint(1, batch, 128)),
      batch_size: batch,
      seq_len: 128,
      tokens_per_text: 128,
      throughput_qps: qps,
      embeddings_per_sec: qps * batch,
      input_tokens_per_sec: qps * batch * 128,
      server_idle_memory_mb: idle,
      memory_per_1k_embeddings_mb: ((212 - idle) * 1000) / batch,
    });
    r.scenarios = { [pointKey(closedPoint(1, 1, 128))]: at(1, qps1), [pointKey(closedPoint(1, 8, 128))]: at(8, qps8) };
    return r;
  };
  const c = combineTrials([sweep(100, 30, 200), sweep(110, 40, 204)]);
  const [one, eight] = [c.scenarios[pointKey(closedPoint(1, 1, 128))]!, c.scenarios[pointKey(closedPoint(1, 8, 128))]!];
  assert.deepEqual([one.embeddings_per_sec, eight.embeddings_per_sec], [105, 280]);
  assert.equal(eight.batching_speedup, Number((280 / 105).toFixed(3)), "280 ÷ 105 emb/s, not the mean of 240/100 and 320/110");
  assert.equal(one.batching_speedup, 1);
  assert.deepEqual([eight.input_tokens_per_sec, eight.server_idle_memory_mb, eight.memory_per_1k_embeddings_mb], [280 * 128, 202, 1250]);
  assert.equal(eight.tokens_per_text, 128);
});
