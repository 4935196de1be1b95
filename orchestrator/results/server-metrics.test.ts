// The deltas of a level's scrapes, on scrapes recorded from real servers (tests/fixtures/metrics:
// onnx-python, pytorch-batching, triton (WORKERS=1, MAX_QUEUE_DELAY_US=100000) and infinity,
// all-MiniLM-L6-v2, after one request and after 5 rounds of 4 concurrent one-text requests and one
// three-text request more), and on TEI's names written from its source (tei-*.txt: no TEI runs here).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { METRIC_NAMES, readingOf } from "../level/scrape.ts";
import { ROOT } from "../platform/paths.ts";
import { counterDelta, type ScrapeReading, summarizeScrapes } from "./server-metrics.ts";

const fixture = (name: string) => readFileSync(path.join(ROOT, "tests", "fixtures", "metrics", `${name}.txt`), "utf8");
const scrape = (name: string, tMs: number, edit = (t: string) => t, api = "embed"): ScrapeReading => readingOf(edit(fixture(name)), METRIC_NAMES[api]!, tMs);
const opts = { intervalMs: 1000, failed: 0, windowS: 0 };

test("a scrape of our contract's metrics reads every quantity, summed over its series", () => {
  const r = scrape("pytorch-batching-1", 0);
  assert.deepEqual(r.values, {
    requests: 21,
    errors: 0,
    embeddings: 23,
    model_calls: 10,
    model_ms: 1090.5277590027254,
    queue_calls: 21,
    queue_ms: 399.959502989077,
    batch_calls: 10,
    batch_texts: 23,
  });
  assert.deepEqual(r.gauges, {}, "no gauge in these servers' metrics yet");
});

test("a level's deltas: requests, the batch a batching server formed, its model time per wall time", () => {
  const batching = summarizeScrapes([scrape("pytorch-batching-0", 0), scrape("pytorch-batching-1", 2000)], opts);
  assert.equal(batching.totals["requests"], 21);
  assert.equal(batching.mean_batch_size, 2.3, "23 texts in 10 model calls");
  assert.equal(batching.mean_model_ms, 109.053);
  assert.equal(batching.model_time_fraction, 0.545, "1090.5 ms of model calls in 2 s");
  assert.deepEqual(batching.missing, []);
  const plain = summarizeScrapes([scrape("onnx-python-0", 0), scrape("onnx-python-1", 1000)], opts);
  assert.equal(plain.mean_batch_size, 1.095, "one model call per request: 23 texts in 21 calls");
  assert.equal(plain.mean_queue_ms, 16.011);
});

test("a counter that went down is a restart: it counts from zero", () => {
  assert.equal(counterDelta(5, 8), 3);
  assert.equal(counterDelta(21, 4), 4);
  const restarted = summarizeScrapes([scrape("onnx-python-1", 0), scrape("onnx-python-0", 1000), scrape("onnx-python-1", 2000)], opts);
  assert.equal(restarted.totals["requests"], 21, "0 after the restart, then 21");
});

test("families a server lacks are named, and their figures are null; one scrape gives no deltas", () => {
  const noQueue = (t: string) =>
    t
      .split("\n")
      .filter((l) => !l.includes("embed_queue_ms"))
      .join("\n");
  const s = summarizeScrapes([scrape("onnx-python-0", 0, noQueue), scrape("onnx-python-1", 1000, noQueue)], { ...opts, failed: 2 });
  assert.deepEqual(s.missing, ["queue_calls", "queue_ms"]);
  assert.equal(s.mean_queue_ms, null);
  assert.equal(s.totals["requests"], 21);
  assert.equal(s.failed_scrapes, 2);
  const one = summarizeScrapes([scrape("onnx-python-1", 0)], opts);
  assert.equal(one.totals["requests"], null);
  assert.equal(one.model_time_fraction, null);
});

test("per window: a scrape's growth counts in the window it was taken in; gauges are read where found", () => {
  const withGauge = (v: number) => (t: string) => `${t}# TYPE embed_in_flight gauge\nembed_in_flight{framework="x"} ${v}\n`;
  const s = summarizeScrapes(
    [scrape("onnx-python-0", 0, withGauge(0)), scrape("onnx-python-1", 1500, withGauge(3)), scrape("onnx-python-1", 2500, withGauge(1))],
    { ...opts, windowS: 2 },
  );
  assert.deepEqual(
    s.windows.map((w) => [w.index, w.requests, w.gauges["in_flight"]]),
    [
      [0, 21, 3],
      [1, 0, 1],
    ],
  );
  assert.deepEqual(s.gauges["in_flight"], { mean: 1.333, max: 3 });
});

test("TEI (an exposition written from its router's source): its names, seconds as ms, model time per request", () => {
  const tei = METRIC_NAMES["tei"]!;
  const r = scrape("tei-1", 0, undefined, "tei");
  assert.equal(r.values.requests, 26, "te_request_count of method batch only: the adapter sends a list");
  assert.equal(r.values.errors, 0, "te_request_failure is written only once TEI fails a request: absent is 0");
  assert.deepEqual(r.gauges, { queue_depth: 0 });
  const s = summarizeScrapes([scrape("tei-0", 0, undefined, "tei"), scrape("tei-1", 2000, undefined, "tei")], { ...opts, modelTimePer: tei.modelTimePer });
  assert.deepEqual(s.missing, []);
  assert.equal(s.totals["requests"], 21);
  assert.equal(s.totals["embeddings"], 23);
  assert.equal(s.totals["model_calls"], 11, "batches formed");
  assert.equal(s.mean_batch_size, 2.091, "23 texts in 11 batches");
  assert.ok(Math.abs(s.totals["model_ms"]! - 420) < 1e-6, `0.42 s of inference: ${s.totals["model_ms"]}`);
  assert.equal(s.mean_model_ms, 20, "per request: 420 ms over 21 requests");
  assert.equal(s.mean_queue_ms, 5, "105 ms over 21 requests");
  assert.equal(s.model_time_fraction, null, "a sum per request tells nothing of the wall time in model calls");
  const failed = (t: string) => `${t}\n# TYPE te_request_failure counter\nte_request_failure{err="tokenizer"} 2\nte_request_failure{err="overloaded"} 1\n`;
  assert.equal(scrape("tei-1", 0, failed, "tei").values.errors, 3, "every kind of failure");
});

test("Triton (recorded from Triton 2.51): requests, rows, executions; µs as ms, model time per request", () => {
  const kserve = METRIC_NAMES["kserve"]!;
  const r = scrape("triton-1", 0, undefined, "kserve");
  assert.equal(r.values.requests, 22, "nv_inference_request_success + the four reasons of nv_inference_request_failure");
  assert.equal(r.values.errors, 0);
  assert.equal(r.values.model_ms, 638.381, "nv_inference_compute_infer_duration_us 638381 µs");
  assert.deepEqual(r.gauges, { queue_depth: 0 }, "nv_inference_pending_request_count");
  const s = summarizeScrapes([scrape("triton-0", 0, undefined, "kserve"), scrape("triton-1", 2000, undefined, "kserve")], {
    ...opts,
    modelTimePer: kserve.modelTimePer,
  });
  assert.deepEqual(s.missing, []);
  assert.equal(s.totals["requests"], 21);
  assert.equal(s.totals["embeddings"], 23, "nv_inference_count: rows");
  assert.equal(s.totals["model_calls"], 6, "nv_inference_exec_count: five batches of 4 requests, one of the 3-text request");
  assert.equal(s.mean_batch_size, 3.833, "23 rows in 6 executions");
  // Per request: each of the 4 requests of an execution adds its whole compute time (/stats's batch_stats
  // had 197 ms over the 7 executions, inference_stats 638 ms over the 22 requests).
  assert.equal(s.mean_model_ms, 29.094, "610.98 ms over 21 requests");
  assert.equal(s.mean_queue_ms, 99.872, "the batcher held each request up to MAX_QUEUE_DELAY_US 100 ms");
  assert.equal(s.model_time_fraction, null);
  const failed = (t: string) => t.replace('reason="REJECTED",version="1"} 0', 'reason="REJECTED",version="1"} 2');
  const f = scrape("triton-1", 0, failed, "kserve").values;
  assert.deepEqual([f.requests, f.errors], [24, 2], "a failed request is a request and an error");
});

test("infinity (recorded from infinity-emb 0.0.78): HTTP metrics only, the embeddings route's requests; the rest missing", () => {
  const openai = METRIC_NAMES["openai"]!;
  const r = scrape("infinity-1", 0, undefined, "openai");
  assert.deepEqual(r.values, { requests: 22, errors: 0 }, "handler /v1/embeddings only: not /health or /metrics");
  const s = summarizeScrapes([scrape("infinity-0", 0, undefined, "openai"), scrape("infinity-1", 2000, undefined, "openai")], {
    ...opts,
    modelTimePer: openai.modelTimePer,
  });
  assert.equal(s.totals["requests"], 21);
  assert.deepEqual(s.missing, ["embeddings", "model_calls", "model_ms", "queue_calls", "queue_ms", "batch_calls", "batch_texts"]);
  assert.equal(s.mean_batch_size, null);
  const refused = (t: string) => `${t}http_requests_total{handler="/v1/embeddings",method="POST",status="4xx"} 3.0\n`;
  assert.deepEqual(scrape("infinity-1", 0, refused, "openai").values, { requests: 25, errors: 3 });
});
