// k6's handleSummary() document (k6/embed.ts writes it) as a LevelOutcome. k6 keeps percentiles,
// not histograms, so the outcome has none; its Σx and Σx² counters give the standard deviation.
import { z } from "zod";
import { windowLatencyMetric, windowOkMetric } from "../../../scenario/windows.ts";
import type { HeaderTimes, LatencySummary, LevelOutcome, WindowReport } from "../../plan/level-spec.ts";

const Trend = z.object({ type: z.literal("trend"), values: z.record(z.string(), z.number()) });
const Counter = z.object({ type: z.literal("counter"), values: z.object({ count: z.number() }).loose() });

/** The part of k6's summary the mapping reads; anything else in it is ignored. */
export const K6Summary = z.object({
  state: z.object({ testRunDurationMs: z.number() }).loose(),
  metrics: z
    .object({
      http_reqs: Counter,
      "http_req_duration{expected_response:true}": Trend.optional(),
      embed_errors: Counter.optional(),
      ok_requests: Counter.optional(),
      ok_duration_sum_ms: Counter.optional(),
      ok_duration_sumsq_ms2: Counter.optional(),
      server_inference_ms: Trend.optional(),
      server_queue_ms: Trend.optional(),
      outside_model_ms: Trend.optional(),
      // k6 omits the counter when no iteration was dropped.
      dropped_iterations: Counter.optional(),
      vus_max: z.object({ type: z.literal("gauge"), values: z.object({ max: z.number() }).loose() }).optional(),
      late_starts: Counter.optional(),
      data_sent: Counter.optional(),
      data_received: Counter.optional(),
      latency_from_intended_ms: Trend.optional(),
    })
    .loose(),
});
export type K6Summary = z.infer<typeof K6Summary>;

/** Requests k6 completed in the level: 0 when its summary has none (k6 then omits http_reqs). */
export function completedRequests(raw: unknown): number {
  const count = (raw as { metrics?: { http_reqs?: { values?: { count?: unknown } } } } | null)?.metrics?.http_reqs?.values?.count;
  return typeof count === "number" ? count : 0;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** The window submetrics of the summary, 0 to `count` − 1. */
export function windowsFromSummary(raw: unknown, windowS: number, count: number): WindowReport[] {
  const metrics = (raw as { metrics?: Record<string, { values?: Record<string, number> }> } | null)?.metrics ?? {};
  const out: WindowReport[] = [];
  for (let i = 0; i < count; i++) {
    const ok = metrics[windowOkMetric(i)]?.values?.["count"] ?? 0;
    const d = metrics[windowLatencyMetric(i)]?.values ?? {};
    const p = (k: string) => round(d[k] ?? 0);
    out.push({
      index: i,
      ok_requests: ok,
      throughput_qps: round(ok / windowS),
      p50_ms: p("med"),
      p90_ms: p("p(90)"),
      p95_ms: p("p(95)"),
      p99_ms: p("p(99)"),
      p999_ms: p("p(99.9)"),
      histogram: null,
    });
  }
  return out;
}

function headerTimes(t: Record<string, number> | undefined): HeaderTimes | null {
  if (!t || (t["count"] ?? 0) === 0) return null;
  return { mean: round(t["avg"] ?? 0), median: round(t["med"] ?? 0), p95: round(t["p(95)"] ?? 0), p99: round(t["p(99)"] ?? 0) };
}

function latency(m: K6Summary["metrics"], ok: number): LatencySummary | null {
  const d = m["http_req_duration{expected_response:true}"]?.values;
  if (ok === 0 || !d) return null;
  const v = (k: string) => round(d[k] ?? 0);
  const mean = (m.ok_duration_sum_ms?.values.count ?? 0) / ok;
  const sumSq = m.ok_duration_sumsq_ms2?.values.count ?? 0;
  return {
    mean: v("avg"),
    median: v("med"),
    p90: v("p(90)"),
    p95: v("p(95)"),
    p99: v("p(99)"),
    p999: v("p(99.9)"),
    min: v("min"),
    max: v("max"),
    stddev: round(Math.sqrt(Math.max(0, sumSq / ok - mean * mean))),
  };
}

/** `windowS` 0: the level ran without windows. `open`: it was an open-loop level. */
export function outcomeFromK6Summary(raw: unknown, o: { version: string; windowS: number; durationS: number; open: boolean }): LevelOutcome {
  const s = K6Summary.parse(raw);
  const m = s.metrics;
  const requests = m.http_reqs.values.count;
  const ok = m.ok_requests?.values.count ?? 0;
  const errors = m.embed_errors?.values.count ?? requests - ok;
  const seconds = s.state.testRunDurationMs / 1000;
  const fromIntended = m.latency_from_intended_ms?.values;
  return {
    engine: { name: "k6", version: o.version },
    durationS: seconds,
    requests,
    ok,
    errors,
    errorsByKind: {},
    latencyMs: latency(m, ok),
    latencyHistogram: null,
    serverInferenceMs: headerTimes(m.server_inference_ms?.values),
    serverQueueMs: headerTimes(m.server_queue_ms?.values),
    outsideModelMs: headerTimes(m.outside_model_ms?.values),
    windows: o.windowS > 0 ? windowsFromSummary(raw, o.windowS, Math.ceil(o.durationS / o.windowS)) : [],
    open: o.open
      ? {
          dropped: m.dropped_iterations?.values.count ?? 0,
          lateStarts: m.late_starts?.values.count ?? 0,
          latencyFromIntendedMs:
            fromIntended && (fromIntended["count"] ?? 0) > 0
              ? {
                  median: round(fromIntended["med"] ?? 0),
                  p95: round(fromIntended["p(95)"] ?? 0),
                  p99: round(fromIntended["p(99)"] ?? 0),
                  max: round(fromIntended["max"] ?? 0),
                }
              : null,
          maxInFlight: m.vus_max?.values.max ?? 0,
        }
      : null,
    achievedRps: seconds > 0 ? round(requests / seconds) : 0,
    bytesSent: m.data_sent?.values.count ?? 0,
    bytesReceived: m.data_received?.values.count ?? 0,
    engineCpuPercent: null,
  };
}
