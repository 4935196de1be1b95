import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { DrivenLevel } from "./drive.ts";
import { completedRequests, outcomeFromK6Summary } from "./k6/k6-summary.ts";
import { goodputOf, scenarioFromLevel, type LevelContext } from "./result.ts";
import { Recorder } from "./embedded/recorder.ts";
import { parseSlo } from "../plan/slo.ts";
import { closedPoint, openPoint, pointKey } from "../plan/level-key.ts";

/** A recorded k6 summary through the k6 engine's mapping, then the one result mapping every engine shares. */
function scenarioFromSummary(raw: unknown, c: LevelContext, driven: Partial<DrivenLevel> = {}) {
  const outcome = outcomeFromK6Summary(raw, {
    version: "v1.8.1",
    windowS: c.stability?.rule.windowS ?? 0,
    durationS: c.stability?.durationS ?? 10,
    open: c.open !== undefined,
  });
  return scenarioFromLevel({ outcome, stalls: [], end: { kind: "full" }, windows: [], ...driven }, c);
}

const here = path.dirname(fileURLToPath(import.meta.url));
// A summary captured from a real k6 v1.8.1 run against onnx-python (concurrency 1, 10 s).
const summary = JSON.parse(readFileSync(path.join(here, "../../tests/fixtures/k6-summary-c1.json"), "utf8"));
const resources = { cpu_percent: 183.24, memory_mb: 205.44, memory_peak_mb: 207.1, samples: [] };
const ctx: LevelContext = {
  point: closedPoint(1),
  concurrency: 1,
  tokensPerText: null,
  serverIdleMb: null,
  maxErrorRate: 0.01,
  startedAt: new Date("2026-11-23T11:47:07.123Z"),
  server: resources,
  client: { ...resources, cpu_percent: 10 },
  clientCpus: 1,
  clientCpusBusyPercent: 30,
  machineCpuPercent: 200,
};

test("maps k6 percentiles of successful requests to latency_ms", () => {
  const s = scenarioFromSummary(summary, ctx);
  const d = summary.metrics["http_req_duration{expected_response:true}"].values;
  assert.equal(s.latency_ms.median, Number(d["med"].toFixed(3)));
  assert.equal(s.latency_ms.p90, Number(d["p(90)"].toFixed(3)));
  assert.equal(s.latency_ms.p95, Number(d["p(95)"].toFixed(3)));
  assert.equal(s.latency_ms.p99, Number(d["p(99)"].toFixed(3)));
  assert.equal(s.latency_ms.p999, Number(d["p(99.9)"].toFixed(3)));
  assert.equal(s.latency_ms.min, Number(d["min"].toFixed(3)));
  assert.equal(s.latency_ms.max, Number(d["max"].toFixed(3)));
  assert.ok(s.latency_ms.min <= s.latency_ms.median && s.latency_ms.median <= s.latency_ms.p95);
  assert.ok(s.latency_ms.p95 <= s.latency_ms.p99 && s.latency_ms.p99 <= s.latency_ms.p999 && s.latency_ms.p999 <= s.latency_ms.max);
});

test("QPS is successful requests over the k6 test-run duration", () => {
  const s = scenarioFromSummary(summary, ctx);
  const expected = summary.metrics.ok_requests.values.count / (summary.state.testRunDurationMs / 1000);
  assert.ok(Math.abs(s.throughput_qps - expected) < 0.001, `${s.throughput_qps} vs ${expected}`);
  assert.equal(s.embeddings_per_sec, s.throughput_qps);
  assert.equal(s.num_requests, summary.metrics.http_reqs.values.count);
  assert.equal(s.errors, 0);
  assert.equal(s.error_rate, 0);
  assert.equal(s.scenario_name, pointKey(closedPoint(1)));
  assert.deepEqual([s.seq_len, s.tokens_per_text, s.input_tokens_per_sec], [null, null, null], "built-in texts: tokens not counted");
  assert.deepEqual([s.server_idle_memory_mb, s.memory_per_1k_embeddings_mb], [null, null], "no idle sample, no memory per 1k");
  assert.equal(s.server_cpu_percent, 183.2);
  assert.equal(s.started_at, "2026-11-23T11:47:07.123Z");
});

test("stddev comes from the Σx and Σx² counters", () => {
  const fake = structuredClone(summary);
  // three requests of 1, 2 and 3 ms: mean 2, population stddev sqrt(2/3)
  fake.metrics.ok_requests.values.count = 3;
  fake.metrics.ok_duration_sum_ms.values.count = 6;
  fake.metrics.ok_duration_sumsq_ms2.values.count = 14;
  const s = scenarioFromSummary(fake, ctx);
  assert.equal(s.latency_ms.stddev, Number(Math.sqrt(2 / 3).toFixed(3)));
});

test("errors and error rate come from failed checks; QPS excludes failures", () => {
  const fake = structuredClone(summary);
  fake.metrics.http_reqs.values.count = 100;
  fake.metrics.ok_requests.values.count = 75;
  fake.metrics.embed_errors = { type: "counter", contains: "default", values: { count: 25, rate: 2.5 } };
  fake.state.testRunDurationMs = 10000;
  const s = scenarioFromSummary(fake, { ...ctx, point: closedPoint(1, 8) });
  assert.equal(s.errors, 25);
  assert.equal(s.error_rate, 0.25);
  assert.equal(s.throughput_qps, 7.5);
  assert.equal(s.embeddings_per_sec, 60);
  assert.equal(s.thresholds_ok, false);
});

test("a level where every request failed has zero latencies, not NaN", () => {
  const fake = structuredClone(summary);
  fake.metrics.ok_requests.values.count = 0;
  fake.metrics.embed_errors = { type: "counter", contains: "default", values: { count: 1450, rate: 145 } };
  const s = scenarioFromSummary(fake, ctx);
  assert.equal(s.throughput_qps, 0);
  assert.equal(s.error_rate, 1);
  assert.equal(s.latency_ms.p99, 0);
  assert.equal(s.latency_ms.stddev, 0);
});

test("rejects a document that is not a k6 summary", () => {
  assert.throws(() => scenarioFromSummary({ metrics: {} }, ctx));
});

test("completedRequests: a summary without http_reqs (no request completed) counts 0, not a schema error", () => {
  assert.equal(completedRequests(summary), summary.metrics.http_reqs.values.count);
  assert.ok(completedRequests(summary) > 0);
  assert.equal(completedRequests({ metrics: {}, state: { testRunDurationMs: 5000 } }), 0);
  assert.equal(completedRequests(null), 0);
});

test("stalls and an early end are recorded with the level, and fail its thresholds", () => {
  const s = scenarioFromSummary(summary, ctx, {
    stalls: [{ start_s: 2.5, duration_s: 16 }],
    end: { kind: "all-failed", reason: "every request failed for 3 s" },
  });
  assert.deepEqual(s.stalls, [{ start_s: 2.5, duration_s: 16 }]);
  assert.equal(s.ended_early, "server stopped answering for 16 s from 2.5 s; every request failed for 3 s");
  assert.equal(s.thresholds_ok, false);
  const stalled = scenarioFromSummary(summary, ctx, { stalls: [{ start_s: 2.5, duration_s: 16 }] });
  assert.equal(stalled.thresholds_ok, false, "a stall alone fails them");
  assert.equal(stalled.ended_early, "server stopped answering for 16 s from 2.5 s", "and says so in ended_early");
  assert.equal(scenarioFromSummary(summary, ctx).thresholds_ok, true);
});

test("with windows: a stable level's throughput and p50/p95/p99 are its stable windows' means, the series is kept", () => {
  const win = (i: number, count: number, p95: number) => ({
    [`ok_requests{window:${i}}`]: { type: "counter", values: { count, rate: 0 } },
    [`http_req_duration{window:${i},expected_response:true}`]: { type: "trend", values: { med: p95 / 2, "p(95)": p95, "p(99)": p95 * 1.5 } },
  });
  const withWindows = {
    ...summary,
    metrics: { ...summary.metrics, ...win(0, 50, 40), ...win(1, 100, 20), ...win(2, 104, 21), ...win(3, 98, 20), ...win(4, 10, 90) },
  };
  const rule = { windowS: 2, windows: 3, tolerance: 0.1 };
  const stable = scenarioFromSummary(withWindows, { ...ctx, stability: { rule, durationS: 10 } }, { end: { kind: "stable", afterWindows: 4 } });
  assert.deepEqual(
    stable.windows.map((w) => w.index),
    [0, 1, 2, 3],
    "the partial window after the stop is left out",
  );
  assert.deepEqual(stable.stability?.stable_windows, [1, 2, 3]);
  assert.equal(stable.throughput_qps, Number(((50 + 52 + 49) / 3).toFixed(3)));
  assert.equal(stable.latency_ms.p95, Number(((20 + 21 + 20) / 3).toFixed(3)));
  assert.equal(stable.validity?.unstable, false);
  assert.equal(stable.thresholds_ok, true, "a level stopped at stability holds its thresholds");
  assert.equal(stable.ended_early, null);

  const unstable = scenarioFromSummary(withWindows, { ...ctx, stability: { rule, durationS: 10 } });
  assert.equal(unstable.windows.length, 5, "ran its whole duration: every window that fits");
  assert.equal(unstable.stability?.stable, false);
  assert.equal(unstable.validity?.unstable, true);
  assert.equal(unstable.throughput_qps, scenarioFromSummary(summary, ctx).throughput_qps, "whole-level figures");
});

test("a server not measured (--url without --server-pid) has null resources, never 0", () => {
  const s = scenarioFromSummary(summary, { ...ctx, server: null });
  assert.deepEqual([s.server_cpu_percent, s.server_memory_mb, s.server_memory_peak_mb], [null, null, null]);
  assert.equal(s.client_cpu_percent, 10);
  // Its CPU, if it runs here, is then part of what other processes used.
  assert.equal(s.validity?.other_cpu_percent, 190);
});

test("an open-loop level is named by its rate, records drops and VUs, and is saturated below its target", () => {
  const open = {
    ...summary,
    metrics: {
      ...summary.metrics,
      dropped_iterations: { type: "counter", values: { count: 12, rate: 1.2 } },
      vus_max: { type: "gauge", values: { value: 9, min: 3, max: 9 } },
    },
  };
  const achieved = summary.metrics.http_reqs.values.count / (summary.state.testRunDurationMs / 1000);
  const met = scenarioFromSummary(open, {
    ...ctx,
    point: openPoint(Math.floor(achieved)),
    concurrency: 9,
    open: { targetRps: Math.floor(achieved), saturationTolerance: 0.05 },
  });
  assert.equal(met.scenario_name, pointKey(openPoint(Math.floor(achieved))));
  assert.equal(met.mode, "open");
  assert.equal(met.target_rps, Math.floor(achieved));
  assert.ok(Math.abs(met.achieved_rps! - achieved) < 0.001);
  assert.equal(met.dropped_iterations, 12);
  assert.equal(met.vus_max, 9);
  assert.equal(met.validity?.saturated, false);
  const short = scenarioFromSummary(open, { ...ctx, open: { targetRps: Math.ceil(achieved * 1.2), saturationTolerance: 0.05 } });
  assert.equal(short.validity?.saturated, true, "20 % short of the target");
  const closed = scenarioFromSummary(summary, ctx);
  assert.equal(closed.mode, "closed");
  assert.equal(closed.target_rps, undefined);
  assert.equal(closed.validity?.saturated, false);
});

test("a Poisson level records late starts and latency from the scheduled start, and is held against its own schedule's count", () => {
  const achieved = summary.metrics.http_reqs.values.count / (summary.state.testRunDurationMs / 1000);
  const poisson = {
    ...summary,
    metrics: {
      ...summary.metrics,
      late_starts: { type: "counter", values: { count: 3, rate: 0.3 } },
      latency_from_intended_ms: { type: "trend", values: { count: 100, avg: 30, med: 25, "p(95)": 60, "p(99)": 90, max: 120 } },
    },
  };
  const durationS = summary.state.testRunDurationMs / 1000;
  // The schedule held 30 % more arrivals than rate × duration (a Poisson count can): the level fell short of it.
  const target = Math.round(achieved);
  const short = scenarioFromSummary(poisson, {
    ...ctx,
    open: { targetRps: target, saturationTolerance: 0.05, arrivals: "poisson", durationS, scheduled: Math.ceil(achieved * 1.3 * durationS) },
  });
  assert.equal(short.arrivals, "poisson");
  assert.equal(short.late_starts, 3);
  assert.deepEqual(short.latency_from_intended_ms, { median: 25, p95: 60, p99: 90, max: 120 });
  assert.equal(short.validity?.saturated, true, "achieved vs the schedule's count, not vs the mean rate");
  const met = scenarioFromSummary(poisson, {
    ...ctx,
    open: { targetRps: target, saturationTolerance: 0.05, arrivals: "poisson", durationS, scheduled: Math.round(achieved * durationS) },
  });
  assert.equal(met.validity?.saturated, false);
  // Constant arrivals record late starts and latency from the scheduled start too; only Poisson ones say poisson.
  const constant = scenarioFromSummary(poisson, { ...ctx, open: { targetRps: target, saturationTolerance: 0.05 } });
  assert.equal(constant.arrivals, undefined);
  assert.equal(constant.late_starts, 3);
  assert.deepEqual(closedOf(constant), { late_starts: undefined, latency_from_intended_ms: undefined }, "a closed level has neither");
});

/** What a closed level of the same summary records of the open-loop fields. */
function closedOf(_open: unknown) {
  const closed = scenarioFromSummary(summary, ctx);
  return { late_starts: closed.late_starts, latency_from_intended_ms: closed.latency_from_intended_ms };
}

test("a sweep's point: its key, text length, input tokens per second from the dataset's count, memory per 1k embeddings in flight", () => {
  const point = closedPoint(4, 8, 128);
  const s = scenarioFromSummary(summary, { ...ctx, point, concurrency: 4, tokensPerText: 128, serverIdleMb: 157.12 });
  assert.equal(s.scenario_name, "concurrency_4_batch_8_seq_128");
  assert.deepEqual([s.batch_size, s.seq_len, s.tokens_per_text], [8, 128, 128]);
  assert.ok(Math.abs(s.embeddings_per_sec - s.throughput_qps * 8) < 0.01);
  assert.ok(Math.abs(s.input_tokens_per_sec! - s.embeddings_per_sec * 128) < 0.5, "embeddings/s × the dataset's 128 tokens per text");
  // (peak 207.1 − idle 157.1) MiB × 1000 ÷ (4 VUs × batch 8) = 1562.5 MiB per 1k embeddings in flight
  assert.equal(s.server_idle_memory_mb, 157.1);
  assert.equal(s.memory_per_1k_embeddings_mb, 1562.5);
  assert.equal(scenarioFromSummary(summary, { ...ctx, point, server: null, serverIdleMb: 150 }).memory_per_1k_embeddings_mb, null, "not measured");
});

test("goodput: the requests under the objective's smallest bound, of all requests; how the level missed it", () => {
  const rec = new Recorder(0);
  for (const ms of [10, 20, 30, 49, 51, 80]) rec.finished({ startMs: 0, endMs: ms, error: null });
  rec.finished({ startMs: 0, endMs: 5, error: "status 503" });
  const o = { requests: 7, ok: 6, errors: 1, durationS: 2, latencyHistogram: rec.latencyHistogram() } as Parameters<typeof goodputOf>[1];
  const figures = { p50: 30, p95: 80, p99: 80, errorRate: 1 / 7, saturated: false, achievedRps: 3.5 };
  const g = goodputOf(parseSlo("p95<50ms,p99<100ms"), o, figures)!;
  assert.equal(g.under_ms, 50);
  assert.equal(g.good_requests, 4, "10, 20, 30 and 49 ms; not 51, 80 or the failed one");
  assert.equal(g.fraction, 0.5714);
  assert.equal(g.rate_rps, 2);
  assert.equal(g.misses, "p95 80.0 ms ≥ 50 ms");
  assert.equal(goodputOf(parseSlo("p99<100ms"), o, figures)!.misses, null);
  assert.equal(goodputOf(parseSlo("p99<100ms"), { ...o, latencyHistogram: null }, figures), null, "k6 keeps no histogram");
});
