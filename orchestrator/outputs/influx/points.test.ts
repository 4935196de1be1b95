import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../../tests/fixtures/results.ts";
import { toLine } from "./line.ts";
import { capacityPoints, levelPoint, livePoint, MEASUREMENTS, resourcePoints, runPoint, startupPoint, verificationPoints } from "./points.ts";
import { levelKey, closedLevel, closedPoint, openLevel, openPoint, pointKey } from "../../plan/level-key.ts";

const TAGS = { framework: "onnx-python", model: "all-MiniLM-L6-v2", run_id: "20261123-114705-5d9f" };

test("a level point carries k6's tags and the standard schema's figures", () => {
  const r = sampleResult();
  const p = levelPoint(r, r.scenarios[levelKey(closedLevel(4))]!);
  assert.equal(p.measurement, MEASUREMENTS.level);
  assert.deepEqual(p.tags, { ...TAGS, concurrency: "4", batch_size: "1", scenario: levelKey(closedLevel(4)), runtime: "ONNX Runtime", language: "Python" });
  assert.equal(p.fields["concurrency_vus"], 4);
  assert.equal(p.fields["throughput_qps"], 163.8);
  assert.equal(p.fields["latency_p50_ms"], 23.1);
  assert.equal(p.fields["latency_p95_ms"], 23.1 + 2.6);
  assert.equal(p.fields["latency_p999_ms"], 23.1 + 13.8);
  assert.equal(p.fields["server_cpu_percent"], 179.3);
  assert.equal(p.fields["server_inference_p50_ms"], 3.9);
  assert.equal(p.timeMs, Date.parse("2026-11-23T11:47:18.000Z"));
  assert.match(
    toLine(p)!,
    /^eb_level,batch_size=1,concurrency=4,framework=onnx-python,language=Python,model=all-MiniLM-L6-v2,run_id=20261123-114705-5d9f,runtime=ONNX\\ Runtime,scenario=/,
  );
  assert.ok(toLine(p)!.includes(`scenario=${levelKey(closedLevel(4))} `));
});

test("startup point: cold start, first inference and the server's model load time", () => {
  const r = { ...sampleResult(), server_info: { model_load_time_ms: 812.5 } };
  const p = startupPoint(r, 1000);
  assert.deepEqual(p.tags, { ...TAGS, runtime: "ONNX Runtime", language: "Python" });
  assert.deepEqual(p.fields, { cold_start_ms: 1357.6, first_inference_ms: 50.97, model_load_time_ms: 812.5, synthetic_weights: false });
  // A server without the figure: the field is left out rather than written as a fake number.
  assert.equal(startupPoint(sampleResult(), 1000).fields["model_load_time_ms"], null);
});

test("every monitor sample becomes a point tagged with its process tree and level", () => {
  const trees = {
    server: {
      cpu_percent: 150,
      memory_mb: 200,
      memory_peak_mb: 210,
      samples: [
        { t_ms: 10, cpu_percent: 140, rss_mb: 199 },
        { t_ms: 510, cpu_percent: 160, rss_mb: 201 },
      ],
    },
    client: { cpu_percent: 9, memory_mb: 40, memory_peak_mb: 41, samples: [{ t_ms: 510.4, cpu_percent: 9, rss_mb: 40 }] },
  };
  const points = resourcePoints(
    sampleResult(),
    { scenario_name: pointKey(closedPoint(2, 8, 128)), mode: "closed", concurrency: 2, batch_size: 8, seq_len: 128 },
    trees,
  );
  assert.equal(points.length, 3);
  assert.deepEqual(points[0], {
    measurement: "eb_resource",
    tags: { ...TAGS, concurrency: "2", batch_size: "8", seq_len: "128", scenario: "concurrency_2_batch_8_seq_128", process: "server" },
    fields: { cpu_percent: 140, rss_mb: 199 },
    timeMs: 10,
  });
  assert.equal(points[2]!.tags["process"], "client");
  assert.equal(points[2]!.timeMs, 510);
});

test("run point records how the framework ended", () => {
  const r = { ...sampleResult(), status: "failed" as const, failure: "server died" };
  const p = runPoint(r, 7);
  assert.deepEqual(p.fields, { status: "failed", failure: "server died", levels_completed: 2 });
});

test("verification: none before the verify phase ran, else one point with its outcome", () => {
  assert.deepEqual(verificationPoints({ ...sampleResult(), verification: null }, 1), []);
  const failed = {
    ...sampleResult(),
    verification: {
      passed: false,
      min_cosine_required: 0.999,
      min_cosine: 0.31,
      max_norm_error: 1e-7,
      probes: 13,
      reference_source: "st",
      reason: "probe 2: cosine 0.31",
      duration_ms: 40,
    },
  };
  const points = verificationPoints(failed, 5);
  assert.equal(points.length, 1);
  assert.deepEqual(points[0], {
    measurement: "eb_verify",
    tags: TAGS,
    fields: { passed: false, probes: 13, min_cosine_required: 0.999, duration_ms: 40, min_cosine: 0.31, max_norm_error: 1e-7, reason: "probe 2: cosine 0.31" },
    timeMs: 5,
  });
  const noVector = verificationPoints({ ...failed, verification: { ...failed.verification, min_cosine: null, max_norm_error: null } }, 5);
  assert.equal("min_cosine" in noVector[0]!.fields, false, "null is left out, not written as a value");
});

test("an open-loop level is tagged with its rate and scenario and carries its rates, drops and saturated flag; --slo adds a capacity point", () => {
  const r = sampleResult();
  const c4 = r.scenarios[levelKey(closedLevel(4))]!;
  const open = {
    ...c4,
    scenario_name: levelKey(openLevel(40)),
    mode: "open" as const,
    concurrency: 17,
    target_rps: 40,
    achieved_rps: 31.5,
    dropped_iterations: 85,
    vus_max: 17,
    validity: { ...c4.validity!, saturated: true },
  };
  const p = levelPoint(r, open);
  assert.equal(p.tags["rate"], "40");
  assert.equal(p.tags["scenario"], levelKey(openLevel(40)));
  assert.equal(p.tags["concurrency"], undefined, "k6 tags open-loop samples with rate, not concurrency");
  assert.deepEqual(
    [p.fields["target_rps"], p.fields["achieved_rps"], p.fields["dropped_iterations"], p.fields["vus_max"], p.fields["saturated"]],
    [40, 31.5, 85, 17, true],
  );
  assert.equal(levelPoint(r, c4).fields["saturated"], null, "no verdict on a closed-loop level");
  assert.equal(p.fields["poisson"], null);
  const poisson = levelPoint(r, { ...open, arrivals: "poisson", late_starts: 4, latency_from_intended_ms: { median: 30, p95: 80, p99: 120, max: 200 } });
  assert.deepEqual(
    ["poisson", "late_starts", "latency_from_intended_p50_ms", "latency_from_intended_p95_ms", "latency_from_intended_p99_ms"].map((k) => poisson.fields[k]),
    [true, 4, 30, 80, 120],
  );
  assert.deepEqual(capacityPoints(r, 5), []);
  const search = {
    slo: "p99<50ms",
    batch_size: 1,
    seq_len: null,
    capacity_rps: 30,
    lowest_failing_rps: 40,
    start_rps: 40,
    start_from: "closed_loop_qps" as const,
    max_steps: 3,
    tried: [],
  };
  r.capacity_at_slo = [search, { ...search, batch_size: 8, seq_len: 128, capacity_rps: 6 }];
  const [cap, cap8] = capacityPoints(r, 5);
  assert.equal(cap!.measurement, MEASUREMENTS.capacity);
  assert.deepEqual([cap!.tags["slo"], cap!.tags["batch_size"], cap!.tags["seq_len"]], ["p99<50ms", "1", undefined]);
  assert.deepEqual(cap!.fields, { capacity_rps: 30, lowest_failing_rps: 40, start_rps: 40, levels_tried: 0 });
  assert.deepEqual(
    [cap8!.tags["batch_size"], cap8!.tags["seq_len"], cap8!.fields["capacity_rps"]],
    ["8", "128", 6],
    "one point per batch size and text length searched",
  );
});

test("a live sample becomes an eb_live point: rates since the previous sample; latency only from the embedded engine's interval percentiles", () => {
  const r = sampleResult();
  const c2 = { scenario_name: pointKey(closedPoint(2)), mode: "closed" as const, concurrency: 2, target_rps: undefined, batch_size: 1, seq_len: null };
  const first = { t_ms: 500, requests: 40, ok: 39, vus: 2, median_ms: 11, interval: { p50_ms: 11, p95_ms: 19, p99_ms: 23 } };
  const second = { t_ms: 1000, requests: 90, ok: 89, vus: 2, median_ms: 11, interval: { p50_ms: 10, p95_ms: 17, p99_ms: 21 } };
  const p1 = livePoint(r, c2, first, undefined, 7);
  assert.equal(p1.measurement, MEASUREMENTS.live);
  assert.deepEqual(p1.tags, { ...TAGS, concurrency: "2", batch_size: "1", scenario: pointKey(closedPoint(2)) });
  assert.deepEqual(p1.fields, { requests_per_s: 80, errors_per_s: 2, in_flight: 2, latency_p50_ms: 11, latency_p95_ms: 19, latency_p99_ms: 23 });
  assert.equal(p1.timeMs, 7);
  assert.deepEqual(livePoint(r, c2, second, first, 8).fields, {
    requests_per_s: 100,
    errors_per_s: 0,
    in_flight: 2,
    latency_p50_ms: 10,
    latency_p95_ms: 17,
    latency_p99_ms: 21,
  });
  // k6's samples carry no interval percentiles: no latency fields, so a dashboard reads k6's own http_req_duration instead.
  const { interval: _interval, ...k6Sample } = second;
  const k6 = livePoint(r, c2, k6Sample, first, 8);
  assert.deepEqual([k6.fields["latency_p50_ms"], k6.fields["latency_p95_ms"], k6.fields["latency_p99_ms"]], [null, null, null]);
  assert.doesNotMatch(toLine(k6)!, /latency/);
  // No request succeeded since the previous sample: no latency either, rather than the empty histogram's zeros.
  const idle = livePoint(r, c2, { ...second, t_ms: 1500, interval: { p50_ms: 0, p95_ms: 0, p99_ms: 0 } }, second, 9);
  assert.deepEqual(idle.fields, { requests_per_s: 0, errors_per_s: 0, in_flight: 2, latency_p50_ms: null, latency_p95_ms: null, latency_p99_ms: null });
  const allFailed = livePoint(r, c2, { ...second, t_ms: 1500, requests: 100, interval: { p50_ms: 0, p95_ms: 0, p99_ms: 0 } }, second, 9);
  assert.deepEqual(allFailed.fields, { requests_per_s: 20, errors_per_s: 20, in_flight: 2, latency_p50_ms: null, latency_p95_ms: null, latency_p99_ms: null });
  // Open loop: tagged with the rate, as k6 tags its samples.
  const open = livePoint(
    r,
    { scenario_name: pointKey(openPoint(40)), mode: "open", concurrency: 1, target_rps: 40, batch_size: 1, seq_len: null },
    first,
    undefined,
    7,
  );
  assert.deepEqual(open.tags, { ...TAGS, rate: "40", batch_size: "1", scenario: pointKey(openPoint(40)) });
});
