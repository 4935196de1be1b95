// One level's result in the standard schema, from what the engine measured (LevelOutcome), how the
// level ended, and the resources the monitor sampled. The same mapping for every engine.
import { isSaturated } from "../../scenario/openloop.ts";
import { pointKey, type SweepPoint } from "../plan/level-key.ts";
import { inputTokensPerSec, memoryPer1kEmbeddings } from "../results/point-figures.ts";
import type { ResourceSummary } from "../platform/procfs.ts";
import { ScenarioResult, type ServerMetrics } from "../results/schema.ts";
import { levelValidity } from "../results/validity.ts";
import { endedEarly, thresholdsOk } from "./end.ts";
import type { DrivenLevel } from "./drive.ts";
import { stableTail, type StabilityRule } from "./stability.ts";
import type { LevelOutcome, WindowFigures } from "../plan/level-spec.ts";
import { type LevelFigures, type Slo, sloVerdict } from "../plan/slo.ts";
import { countUnderMs } from "./embedded/recorder.ts";

export interface LevelContext {
  /** The operating point: its level, batch size and text length. */
  point: SweepPoint;
  /** Closed loop: the VUs; open loop: the cap on requests in flight. */
  concurrency: number;
  /** Input tokens of every text as the model sees it (the dataset's effective_tokens); null: not counted. */
  tokensPerText: number | null;
  /** The server's RSS sampled once after warm-up, MiB; null: not measured. */
  serverIdleMb: number | null;
  maxErrorRate: number;
  startedAt: Date;
  /** null: the server's process was not measured (--url without --server-pid). */
  server: ResourceSummary | null;
  client: ResourceSummary;
  /** CPUs the engine may use, and how busy they were (every process, 100 = one core), for the client-bound flag. */
  clientCpus: number;
  clientCpusBusyPercent: number;
  /** Every process's CPU over the level (100 = one core), for the noisy flag. */
  machineCpuPercent: number;
  /**
   * Open loop: the rate asked of k6 and the shortfall that makes the level saturated (scenario/openloop.ts);
   * with Poisson arrivals, `scheduled` is the arrivals the seeded schedule holds within `durationS`
   * (a Poisson count, not rate × duration), and the achieved rate is held against that.
   */
  open?: { targetRps: number; saturationTolerance: number; arrivals?: "constant" | "poisson"; durationS?: number; scheduled?: number | null };
  /** The level's windows, and how many were complete when it was found stable (null: never). */
  stability?: { rule: StabilityRule; durationS: number };
  /** The server's own metrics over the level (level/scrape.ts); absent: not scraped. */
  serverMetrics?: ServerMetrics | null;
  /** --slo: the level's goodput is measured against it. */
  slo?: Slo;
  /** Package energy over the level (platform/rapl.ts), or why there is none; absent: not read. */
  energy?: { ok: true; joules: number } | { ok: false; reason: string };
}

/** The requests of a level that met the objective: succeeded in under its smallest latency bound. */
export function goodputOf(slo: Slo, o: LevelOutcome, figures: LevelFigures): ScenarioResult["goodput"] {
  if (o.latencyHistogram === null && o.ok > 0) return null;
  const underMs = Math.min(...slo.latency.map((b) => b.maxMs));
  const good = o.latencyHistogram === null ? 0 : countUnderMs(o.latencyHistogram, underMs);
  const verdict = sloVerdict(slo, figures);
  return {
    objective: slo.text,
    under_ms: underMs,
    good_requests: good,
    fraction: o.requests > 0 ? round(good / o.requests, 4) : 0,
    rate_rps: o.durationS > 0 ? round(good / o.durationS) : 0,
    misses: verdict.passed ? null : verdict.reason,
  };
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** The complete windows: the first `stableAfter` when the level stopped at stability, else every window that fits whole in its duration. */
function completeWindows(level: DrivenLevel, rule: StabilityRule, durationS: number): WindowFigures[] {
  const count = level.end.kind === "stable" ? level.end.afterWindows : Math.floor(durationS / rule.windowS);
  const byIndex = new Map([...level.outcome.windows, ...level.windows].map((w) => [w.index, w]));
  return Array.from({ length: count }, (_, i) => {
    const { histogram: _h, ...figures } = byIndex.get(i) ?? {
      index: i,
      ok_requests: 0,
      throughput_qps: 0,
      p50_ms: 0,
      p90_ms: 0,
      p95_ms: 0,
      p99_ms: 0,
      p999_ms: 0,
      histogram: null,
    };
    return figures;
  });
}

const NO_LATENCY = { mean: 0, median: 0, p90: 0, p95: 0, p99: 0, p999: 0, min: 0, max: 0, stddev: 0 };

export function scenarioFromLevel(level: DrivenLevel, ctx: LevelContext): ScenarioResult {
  const o = level.outcome;
  const seconds = o.durationS;
  const st = ctx.stability;
  const windows = st ? completeWindows(level, st.rule, st.durationS) : [];
  const tail = st ? stableTail(windows, st.rule) : null;
  const fromTail = (f: (w: WindowFigures) => number) => round(tail!.reduce((a, w) => a + f(w), 0) / tail!.length);
  const qps = tail ? fromTail((w) => w.throughput_qps) : seconds > 0 ? o.ok / seconds : 0;
  const lat = o.latencyMs ?? NO_LATENCY;
  const open = ctx.open;
  const batchSize = ctx.point.batchSize;
  const peakMb = ctx.server ? round(ctx.server.memory_peak_mb, 1) : null;
  const idleMb = ctx.server && ctx.serverIdleMb !== null ? round(ctx.serverIdleMb, 1) : null;
  const vusMax = open && o.open ? o.open.maxInFlight : undefined;
  return ScenarioResult.parse({
    scenario_name: pointKey(ctx.point),
    mode: open ? "open" : "closed",
    concurrency: ctx.concurrency,
    ...(open && o.open
      ? {
          target_rps: open.targetRps,
          achieved_rps: round(o.achievedRps),
          dropped_iterations: o.open.dropped,
          vus_max: o.open.maxInFlight,
          ...(open.arrivals === "poisson" ? { arrivals: "poisson" as const } : {}),
          late_starts: o.open.lateStarts,
          ...(o.open.latencyFromIntendedMs ? { latency_from_intended_ms: o.open.latencyFromIntendedMs } : {}),
        }
      : {}),
    num_requests: o.requests,
    batch_size: batchSize,
    seq_len: ctx.point.seqLen,
    tokens_per_text: ctx.tokensPerText,
    latency_ms: {
      ...lat,
      ...(tail
        ? {
            median: fromTail((w) => w.p50_ms),
            p90: fromTail((w) => w.p90_ms),
            p95: fromTail((w) => w.p95_ms),
            p99: fromTail((w) => w.p99_ms),
            p999: fromTail((w) => w.p999_ms),
          }
        : {}),
    },
    throughput_qps: round(qps),
    embeddings_per_sec: round(qps * batchSize),
    input_tokens_per_sec: inputTokensPerSec(qps * batchSize, ctx.tokensPerText),
    total_duration_sec: round(seconds),
    server_cpu_percent: ctx.server ? round(ctx.server.cpu_percent, 1) : null,
    server_memory_mb: ctx.server ? round(ctx.server.memory_mb, 1) : null,
    server_memory_peak_mb: peakMb,
    server_idle_memory_mb: idleMb,
    memory_per_1k_embeddings_mb: memoryPer1kEmbeddings({
      mode: open ? "open" : "closed",
      concurrency: ctx.concurrency,
      vus_max: vusMax,
      batch_size: batchSize,
      server_memory_peak_mb: peakMb,
      server_idle_memory_mb: idleMb,
    }),
    client_cpu_percent: round(ctx.client.cpu_percent, 1),
    client_memory_mb: round(ctx.client.memory_mb, 1),
    errors: o.errors,
    error_rate: o.requests > 0 ? round(o.errors / o.requests, 6) : 0,
    errors_by_kind: o.errorsByKind,
    server_inference_ms: o.serverInferenceMs,
    server_queue_ms: o.serverQueueMs,
    outside_model_p50_ms: o.outsideModelMs?.median ?? null,
    outside_model_p95_ms: o.outsideModelMs?.p95 ?? null,
    server_metrics: ctx.serverMetrics ?? null,
    energy: ctx.energy
      ? ctx.energy.ok
        ? {
            package_joules: round(ctx.energy.joules),
            embeddings_per_joule: ctx.energy.joules > 0 ? round((o.ok * batchSize) / ctx.energy.joules) : null,
            absent: null,
          }
        : { package_joules: null, embeddings_per_joule: null, absent: ctx.energy.reason }
      : null,
    goodput: ctx.slo
      ? goodputOf(ctx.slo, o, {
          p50: lat.median,
          p95: lat.p95,
          p99: lat.p99,
          errorRate: o.requests > 0 ? o.errors / o.requests : 0,
          saturated: open !== undefined && isSaturated(expectedRps(open), o.achievedRps, open.saturationTolerance),
          achievedRps: o.achievedRps,
        })
      : null,
    thresholds_ok: thresholdsOk({ ...o, stalls: level.stalls, end: level.end }, ctx.maxErrorRate),
    started_at: ctx.startedAt.toISOString(),
    stalls: level.stalls,
    ended_early: endedEarly(level.end, level.stalls),
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
      okRequests: o.ok,
      clientCpuPercent: ctx.client.cpu_percent,
      clientCpus: ctx.clientCpus,
      clientCpusBusyPercent: ctx.clientCpusBusyPercent,
      serverCpuPercent: ctx.server?.cpu_percent ?? null,
      machineCpuPercent: ctx.machineCpuPercent,
      stalled: level.stalls.length > 0,
      unstable: st !== undefined && tail === null,
      saturated: open !== undefined && isSaturated(expectedRps(open), o.achievedRps, open.saturationTolerance),
    }),
  });
}

/** The rate an open-loop level was asked for: the target, or for Poisson arrivals the schedule's own count over the level. */
function expectedRps(open: NonNullable<LevelContext["open"]>): number {
  return open.scheduled != null && open.durationS ? open.scheduled / open.durationS : open.targetRps;
}
