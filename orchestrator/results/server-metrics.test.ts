// The deltas of a level's scrapes, on scrapes recorded from real servers (tests/fixtures/metrics:
// onnx-python and pytorch-batching, all-MiniLM-L6-v2, before and after 5 rounds of 4 concurrent
// one-text requests and one three-text request).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { METRIC_NAMES, readingOf } from "../level/scrape.ts";
import { ROOT } from "../platform/paths.ts";
import { counterDelta, type ScrapeReading, summarizeScrapes } from "./server-metrics.ts";

const scrape = (name: string, tMs: number, edit = (t: string) => t): ScrapeReading =>
  readingOf(edit(readFileSync(path.join(ROOT, "tests", "fixtures", "metrics", `${name}.txt`), "utf8")), METRIC_NAMES["embed"]!, tMs);
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
