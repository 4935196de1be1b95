// Maps a k6 handleSummary() document to one scenario of the standard result schema.
import { z } from "zod";
import type { Stall } from "../levelwatch.ts";
import type { ResourceSummary } from "../monitor.ts";
import { windowLatencyMetric, windowOkMetric } from "../../k6/lib/windows.ts";
import { isSaturated, rateScenarioName } from "../../k6/lib/openloop.ts";
import { stableTail, type StabilityRule, type WindowFigures } from "../stability.ts";
import { ScenarioResult } from "./schema.ts";
import { levelValidity } from "./validity.ts";

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
      // k6 omits the counter when no iteration was dropped.
      dropped_iterations: Counter.optional(),
      vus_max: z.object({ type: z.literal("gauge"), values: z.object({ max: z.number() }).loose() }).optional(),
      // Poisson arrivals (k6/embed.ts): starts more than LATE_START_MS late, and latency from the scheduled start.
      late_starts: Counter.optional(),
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

export interface LevelContext {
  concurrency: number;
  batchSize: number;
  k6ExitCode: number;
  startedAt: Date;
  /** null: the server's process was not measured (--url without --server-pid). */
  server: ResourceSummary | null;
  client: ResourceSummary;
  stalls: Stall[];
  endedEarly: string | null;
  /** CPUs k6 may use, and how busy they were (every process, 100 = one core), for the client-bound flag. */
  clientCpus: number;
  clientCpusBusyPercent: number;
  /** Every process's CPU over the level (100 = one core), for the noisy flag. */
  machineCpuPercent: number;
  /**
   * Open loop: the rate asked of k6 and the shortfall that makes the level saturated (k6/lib/openloop.ts);
   * with Poisson arrivals, `scheduled` is the arrivals the seeded schedule holds within `durationS`
   * (a Poisson count, not rate × duration), and the achieved rate is held against that.
   */
  open?: { targetRps: number; saturationTolerance: number; arrivals?: "constant" | "poisson"; durationS?: number; scheduled?: number | null };
  /** The level's windows, and how many were complete when it was found stable (null: never). */
  stability?: { rule: StabilityRule; durationS: number; stableAfter: number | null };
}

/**
 * The complete windows in k6's summary: the first `stableAfter` when the level stopped at
 * stability, else every window that fits whole in the level's duration.
 */
export function windowsFromSummary(raw: unknown, windowS: number, complete: number): WindowFigures[] {
  const metrics = (raw as { metrics?: Record<string, { values?: Record<string, number> }> } | null)?.metrics ?? {};
  const out: WindowFigures[] = [];
  for (let i = 0; i < complete; i++) {
    const ok = metrics[windowOkMetric(i)]?.values?.["count"] ?? 0;
    const d = metrics[windowLatencyMetric(i)]?.values ?? {};
    const p = (k: string) => round(d[k] ?? 0);
    out.push({ index: i, ok_requests: ok, throughput_qps: round(ok / windowS), p50_ms: p("med"), p90_ms: p("p(90)"), p95_ms: p("p(95)"), p99_ms: p("p(99)"), p999_ms: p("p(99.9)") });
  }
  return out;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export function scenarioFromSummary(raw: unknown, ctx: LevelContext): ScenarioResult {
  const s = K6Summary.parse(raw);
  const m = s.metrics;
  const numRequests = m.http_reqs.values.count;
  const ok = m.ok_requests?.values.count ?? 0;
  const errors = m.embed_errors?.values.count ?? numRequests - ok;
  const seconds = s.state.testRunDurationMs / 1000;
  const d = ok > 0 ? (m["http_req_duration{expected_response:true}"]?.values ?? {}) : {};
  const v = (k: string) => round(d[k] ?? 0);
  const sum = m.ok_duration_sum_ms?.values.count ?? 0;
  const sumSq = m.ok_duration_sumsq_ms2?.values.count ?? 0;
  const mean = ok > 0 ? sum / ok : 0;
  const stddev = ok > 0 ? Math.sqrt(Math.max(0, sumSq / ok - mean * mean)) : 0;
  const st = ctx.stability;
  const windows = st ? windowsFromSummary(raw, st.rule.windowS, st.stableAfter ?? Math.floor(st.durationS / st.rule.windowS)) : [];
  const tail = st ? stableTail(windows, st.rule) : null;
  const fromTail = (f: (w: WindowFigures) => number) => round(tail!.reduce((a, w) => a + f(w), 0) / tail!.length);
  const qps = tail ? fromTail((w) => w.throughput_qps) : seconds > 0 ? ok / seconds : 0;
  const inf = m.server_inference_ms?.values;
  const open = ctx.open;
  const achievedRps = seconds > 0 ? numRequests / seconds : 0;
  return ScenarioResult.parse({
    scenario_name: open ? rateScenarioName(open.targetRps) : `concurrency_${ctx.concurrency}`,
    mode: open ? "open" : "closed",
    concurrency: ctx.concurrency,
    ...(open
      ? {
          target_rps: open.targetRps,
          achieved_rps: round(achievedRps),
          dropped_iterations: m.dropped_iterations?.values.count ?? 0,
          vus_max: m.vus_max?.values.max ?? 0,
          ...(open.arrivals === "poisson" ? poissonFigures(m) : {}),
        }
      : {}),
    num_requests: numRequests,
    batch_size: ctx.batchSize,
    latency_ms: {
      mean: v("avg"),
      median: tail ? fromTail((w) => w.p50_ms) : v("med"),
      p90: tail ? fromTail((w) => w.p90_ms) : v("p(90)"),
      p95: tail ? fromTail((w) => w.p95_ms) : v("p(95)"),
      p99: tail ? fromTail((w) => w.p99_ms) : v("p(99)"),
      p999: tail ? fromTail((w) => w.p999_ms) : v("p(99.9)"),
      min: v("min"),
      max: v("max"),
      stddev: round(stddev),
    },
    throughput_qps: round(qps),
    embeddings_per_sec: round(qps * ctx.batchSize),
    total_duration_sec: round(seconds),
    server_cpu_percent: ctx.server ? round(ctx.server.cpu_percent, 1) : null,
    server_memory_mb: ctx.server ? round(ctx.server.memory_mb, 1) : null,
    server_memory_peak_mb: ctx.server ? round(ctx.server.memory_peak_mb, 1) : null,
    client_cpu_percent: round(ctx.client.cpu_percent, 1),
    client_memory_mb: round(ctx.client.memory_mb, 1),
    errors,
    error_rate: numRequests > 0 ? round(errors / numRequests, 6) : 0,
    server_inference_ms:
      inf && (inf["count"] ?? 0) > 0
        ? { mean: round(inf["avg"] ?? 0), median: round(inf["med"] ?? 0), p95: round(inf["p(95)"] ?? 0), p99: round(inf["p(99)"] ?? 0) }
        : null,
    thresholds_ok: ctx.k6ExitCode === 0,
    started_at: ctx.startedAt.toISOString(),
    stalls: ctx.stalls,
    ended_early: ctx.endedEarly,
    windows,
    ...(st
      ? {
          stability: {
            window_s: st.rule.windowS,
            windows: st.rule.windows,
            tolerance: st.rule.tolerance,
            stable: tail !== null,
            stable_windows: tail?.map((w) => w.index) ?? [],
          },
        }
      : {}),
    validity: levelValidity({
      okRequests: ok,
      clientCpuPercent: ctx.client.cpu_percent,
      clientCpus: ctx.clientCpus,
      clientCpusBusyPercent: ctx.clientCpusBusyPercent,
      serverCpuPercent: ctx.server?.cpu_percent ?? null,
      machineCpuPercent: ctx.machineCpuPercent,
      stalled: ctx.stalls.length > 0,
      unstable: st !== undefined && tail === null,
      saturated: open !== undefined && isSaturated(expectedRps(open), achievedRps, open.saturationTolerance),
    }),
  });
}

/** The rate an open-loop level was asked for: the target, or for Poisson arrivals the schedule's own count over the level. */
function expectedRps(open: NonNullable<LevelContext["open"]>): number {
  return open.scheduled != null && open.durationS ? open.scheduled / open.durationS : open.targetRps;
}

function poissonFigures(m: K6Summary["metrics"]) {
  const t = m.latency_from_intended_ms?.values;
  return {
    arrivals: "poisson" as const,
    late_starts: m.late_starts?.values.count ?? 0,
    ...(t && (t["count"] ?? 0) > 0
      ? { latency_from_intended_ms: { median: round(t["med"] ?? 0), p95: round(t["p(95)"] ?? 0), p99: round(t["p(99)"] ?? 0), max: round(t["max"] ?? 0) } }
      : {}),
  };
}
