// The embedded engine's figures from known request records: counts, errors by kind, exact mean and
// standard deviation, HDR percentiles (within their 0.1 % resolution), windows and open-loop figures.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeHistogram, Recorder } from "./recorder.ts";

/** Starts and ends one request. */
function request(r: Recorder, startMs: number, ms: number, error: string | null = null, extra: { inferenceMs?: number; intendedMs?: number } = {}) {
  r.started(startMs, extra.intendedMs === undefined ? 0 : startMs - extra.intendedMs);
  r.finished({ startMs, endMs: startMs + ms, error, ...extra });
}

test("1…1000 ms: exact mean, min, max and stddev; percentiles within 0.1 %", () => {
  const r = new Recorder(0);
  for (let i = 1; i <= 1000; i++) request(r, i, i);
  const s = r.latencySummary()!;
  assert.equal(s.mean, 500.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 1000);
  assert.equal(s.stddev, Number(Math.sqrt((1000 * 1000 - 1) / 12).toFixed(3)));
  for (const [got, want] of [
    [s.median, 500],
    [s.p90, 900],
    [s.p95, 950],
    [s.p99, 990],
    [s.p999, 999],
  ] as const) {
    assert.ok(Math.abs(got - want) <= want * 0.001 + 0.001, `${got} vs ${want}`);
  }
  const h = decodeHistogram(r.latencyHistogram()!);
  assert.equal(h.totalCount, 1000, "the histogram travels with every success in it");
});

test("percentiles never pass the exact min and max, though HDR buckets round up", () => {
  const r = new Recorder(0);
  // 46.327 ms lands in a bucket whose highest equivalent value is 46.335 ms.
  for (const ms of [15.92, 25.3, 25.3, 29.9, 46.327]) request(r, 0, ms);
  const s = r.latencySummary()!;
  assert.equal(s.max, 46.327);
  assert.equal(s.min, 15.92);
  assert.ok(s.min <= s.median && s.median <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max, JSON.stringify(s));
  assert.equal(s.p999, 46.327);
});

test("errors are counted by kind and kept out of the latency figures", () => {
  const r = new Recorder(0);
  request(r, 0, 5);
  request(r, 1, 900, "timeout");
  request(r, 2, 1, "status 503");
  request(r, 3, 1, "status 503");
  assert.equal(r.requests, 4);
  assert.equal(r.ok, 1);
  assert.deepEqual(r.errorsByKind, { timeout: 1, "status 503": 2 });
  assert.equal(r.latencySummary()!.max, 5);
  assert.equal(new Recorder(0).latencySummary(), null, "no success: no latency, not zeros");
});

test("server headers: x-inference-time percentiles; absent or garbage values are not recorded", () => {
  const r = new Recorder(0);
  request(r, 0, 5, null, { inferenceMs: 2 });
  request(r, 1, 5, null, { inferenceMs: Number.NaN });
  request(r, 2, 5, null, { inferenceMs: 4 });
  const t = r.serverInference()!;
  assert.ok(Math.abs(t.mean - 3) <= 0.003, `${t.mean}: the mean of the histogram, within its 0.1 % resolution`);
  assert.ok(Math.abs(t.p99 - 4) < 0.01);
  assert.equal(r.serverQueue(), null);
});

test("time outside the model: each request's duration less its own x-inference-time, never below zero", () => {
  const r = new Recorder(0);
  assert.equal(r.outsideModel(), null, "no header, no figure");
  request(r, 0, 5, null, { inferenceMs: 2 });
  request(r, 1, 9, null, { inferenceMs: 8 });
  request(r, 2, 4, null, { inferenceMs: 4.2 });
  request(r, 3, 7);
  const t = r.outsideModel()!;
  assert.ok(Math.abs(t.p99 - 3) < 0.01, `5 − 2 is the longest: ${t.p99}`);
  assert.ok(Math.abs(t.median - 1) < 0.01, `9 − 8: ${t.median}`);
  assert.ok(t.mean > 1.3 && t.mean < 1.4, `(3 + 1 + 0.001) / 3: ${t.mean}`);
});

test("windows: by start time, complete once over and drained, in order, with their histograms", () => {
  const r = new Recorder(1);
  request(r, 100, 10);
  request(r, 900, 10);
  r.started(950); // still in flight at 1.2 s
  request(r, 1500, 20);
  assert.deepEqual(r.completeWindows(1200), [], "window 0 still has a request in flight");
  r.finished({ startMs: 950, endMs: 1300, error: null });
  const done = r.completeWindows(1300);
  assert.deepEqual(
    done.map((w) => [w.index, w.ok_requests, w.throughput_qps]),
    [[0, 3, 3]],
  );
  assert.equal(decodeHistogram(done[0]!.histogram!).totalCount, 3);
  assert.deepEqual(r.completeWindows(1900), [], "window 1 is not over");
  assert.deepEqual(
    r.completeWindows(3000).map((w) => [w.index, w.ok_requests]),
    [
      [1, 1],
      [2, 0],
    ],
    "an empty window is reported as empty",
  );
  assert.equal(r.windowReports.length, 3);
});

test("a sample carries the running totals and the interval's percentiles, then starts a new interval", () => {
  const r = new Recorder(0);
  request(r, 0, 10);
  request(r, 1, 30, "status 500");
  const a = r.sample(500, 4);
  assert.deepEqual([a.t_ms, a.requests, a.ok, a.vus], [500, 2, 1, 4]);
  assert.ok(Math.abs(a.interval!.p99_ms - 10) < 0.02);
  request(r, 600, 2);
  const b = r.sample(1000, 4);
  assert.ok(Math.abs(b.interval!.p99_ms - 2) < 0.01, "only the requests since the last sample");
  assert.ok(b.median_ms > 1, "the median so far covers the whole level");
});

test("open loop: late starts beyond 10 ms, latency from the intended start, drops and the most in flight", () => {
  const r = new Recorder(0);
  request(r, 100, 10, null, { intendedMs: 100 });
  request(r, 250, 10, null, { intendedMs: 200 }); // 50 ms late
  r.started(300, 0);
  r.started(301, 0);
  r.finished({ startMs: 300, endMs: 310, error: null, intendedMs: 300 });
  r.finished({ startMs: 301, endMs: 311, error: "timeout", intendedMs: 301 });
  r.dropped = 2;
  const o = r.openFigures();
  assert.equal(o.lateStarts, 1);
  assert.equal(o.dropped, 2);
  assert.equal(o.maxInFlight, 2);
  assert.ok(Math.abs(o.latencyFromIntendedMs!.max - 60) < 0.1, "lateness + duration, failed requests included");
});
