// What the orchestrator writes to InfluxDB next to k6's own metrics. Every series carries the tags
// k6 puts on its samples (framework, model, run_id; concurrency and scenario where a level applies),
// so one dashboard filter selects both. Measurements are prefixed `eb_` to stay clear of k6's names.
import type { LiveSample } from "../../plan/level-spec.ts";
import type { ResourceSummary } from "../../platform/procfs.ts";
import type { FrameworkResult, ScenarioResult } from "../../results/schema.ts";
import type { Point } from "./line.ts";

export const MEASUREMENTS = {
  /** One point per monitor sample: fields cpu_percent (100 = one core), rss_mb (MiB); tag process = server | client (the load engine). */
  resource: "eb_resource",
  /** Once per framework after the first inference: cold_start_ms, first_inference_ms, model_load_time_ms. */
  startup: "eb_startup",
  /** One point per finished level: the standard schema's figures (latency_*_ms, throughput_qps, CPU, memory, errors). */
  level: "eb_level",
  /** The verify phase: passed, lowest cosine vs the reference, largest norm error. */
  verify: "eb_verify",
  /** Framework status when it ends: status, failure, levels_completed. */
  run: "eb_run",
  /**
   * Every 500 ms while a level runs, from the load engine's live samples (either engine): fields
   * requests_per_s, errors_per_s and in_flight; with the embedded engine also latency_p50_ms,
   * latency_p95_ms and latency_p99_ms of the successes since the previous sample.
   */
  live: "eb_live",
  /** --slo: one point per framework, batch size and text length with capacity_rps (absent when no rate passed) and lowest_failing_rps; tags slo, batch_size, seq_len. */
  capacity: "eb_capacity",
} as const;

interface BaseTags {
  framework: string;
  model: string;
  run_id: string;
}

const baseTags = (r: FrameworkResult): BaseTags & Record<string, string> => ({
  framework: r.framework,
  model: r.model_name,
  run_id: r.run_id,
});

/**
 * The operating point part of a level's tags, as k6 puts them on its samples: concurrency (closed
 * loop) or rate (open loop), batch_size, seq_len (only for texts cut to a token count), and the
 * scenario name, the point's whole key.
 */
export type LevelKey = Pick<ScenarioResult, "scenario_name" | "mode" | "concurrency" | "target_rps" | "batch_size" | "seq_len">;

const levelTags = (r: FrameworkResult, s: LevelKey) => ({
  ...baseTags(r),
  ...(s.mode === "open" ? { rate: String(s.target_rps) } : { concurrency: String(s.concurrency) }),
  batch_size: String(s.batch_size),
  ...(s.seq_len === null ? {} : { seq_len: String(s.seq_len) }),
  scenario: s.scenario_name,
});

/** One live sample as a point; rates are over the time since the previous sample of the same level. */
export function livePoint(r: FrameworkResult, level: LevelKey, sample: LiveSample, prev: LiveSample | undefined, timeMs: number): Point {
  const dtS = prev ? (sample.t_ms - prev.t_ms) / 1000 : sample.t_ms / 1000;
  const per = (now: number, before: number) => (dtS > 0 ? Number(((now - before) / dtS).toFixed(3)) : null);
  const failed = (x: LiveSample | undefined) => (x ? x.requests - x.ok : 0);
  // The interval percentiles are of successes: none since the previous sample, none to write (not the empty histogram's 0).
  const interval = sample.interval && sample.ok > (prev?.ok ?? 0) ? sample.interval : undefined;
  return {
    measurement: MEASUREMENTS.live,
    tags: levelTags(r, level),
    fields: {
      requests_per_s: per(sample.requests, prev?.requests ?? 0),
      errors_per_s: per(failed(sample), failed(prev)),
      in_flight: sample.vus,
      latency_p50_ms: interval?.p50_ms ?? null,
      latency_p95_ms: interval?.p95_ms ?? null,
      latency_p99_ms: interval?.p99_ms ?? null,
    },
    timeMs,
  };
}

export function startupPoint(r: FrameworkResult, timeMs: number): Point {
  const load = r.server_info?.["model_load_time_ms"];
  return {
    measurement: MEASUREMENTS.startup,
    tags: { ...baseTags(r), runtime: r.runtime, language: r.language },
    fields: {
      cold_start_ms: r.cold_start_ms,
      first_inference_ms: r.first_inference_ms,
      model_load_time_ms: typeof load === "number" ? load : null,
      synthetic_weights: r.synthetic_weights,
    },
    timeMs,
  };
}

export function resourcePoints(r: FrameworkResult, level: LevelKey, trees: Record<string, ResourceSummary>): Point[] {
  return Object.entries(trees).flatMap(([process, summary]) =>
    summary.samples.map((s) => ({
      measurement: MEASUREMENTS.resource,
      tags: { ...levelTags(r, level), process },
      fields: { cpu_percent: s.cpu_percent, rss_mb: s.rss_mb },
      timeMs: Math.round(s.t_ms),
    })),
  );
}

export function levelPoint(r: FrameworkResult, s: ScenarioResult): Point {
  const l = s.latency_ms;
  return {
    measurement: MEASUREMENTS.level,
    tags: { ...levelTags(r, s), runtime: r.runtime, language: r.language },
    fields: {
      // Concurrency again as a number: tags are strings and sort "16" before "4".
      concurrency_vus: s.concurrency,
      batch_size: s.batch_size,
      num_requests: s.num_requests,
      throughput_qps: s.throughput_qps,
      embeddings_per_sec: s.embeddings_per_sec,
      // Sweep figures (null ones are not written): docs/results.md defines each.
      seq_len: s.seq_len,
      tokens_per_text: s.tokens_per_text,
      input_tokens_per_sec: s.input_tokens_per_sec,
      batching_speedup: s.batching_speedup,
      server_idle_memory_mb: s.server_idle_memory_mb,
      memory_per_1k_embeddings_mb: s.memory_per_1k_embeddings_mb,
      total_duration_sec: s.total_duration_sec,
      latency_mean_ms: l.mean,
      latency_p50_ms: l.median,
      latency_p90_ms: l.p90,
      latency_p95_ms: l.p95,
      latency_p99_ms: l.p99,
      latency_p999_ms: l.p999,
      latency_min_ms: l.min,
      latency_max_ms: l.max,
      latency_stddev_ms: l.stddev,
      server_cpu_percent: s.server_cpu_percent,
      server_memory_mb: s.server_memory_mb,
      server_memory_peak_mb: s.server_memory_peak_mb,
      client_cpu_percent: s.client_cpu_percent,
      client_memory_mb: s.client_memory_mb,
      errors: s.errors,
      error_rate: s.error_rate,
      server_inference_p50_ms: s.server_inference_ms?.median ?? null,
      server_inference_p95_ms: s.server_inference_ms?.p95 ?? null,
      outside_model_p50_ms: s.outside_model_p50_ms,
      outside_model_p95_ms: s.outside_model_p95_ms,
      model_time_fraction: s.server_metrics?.model_time_fraction ?? null,
      mean_batch_size_formed: s.server_metrics?.mean_batch_size ?? null,
      thresholds_ok: s.thresholds_ok,
      synthetic_weights: r.synthetic_weights,
      // Open loop only (absent fields are not written).
      target_rps: s.target_rps,
      achieved_rps: s.achieved_rps,
      dropped_iterations: s.dropped_iterations,
      vus_max: s.vus_max,
      saturated: s.mode === "open" ? (s.validity?.saturated ?? null) : null,
      // Open loop only: late starts and latency from the scheduled start; poisson = true for Poisson arrivals.
      poisson: s.arrivals === "poisson" ? true : null,
      late_starts: s.late_starts,
      latency_from_intended_p50_ms: s.latency_from_intended_ms?.median,
      latency_from_intended_p95_ms: s.latency_from_intended_ms?.p95,
      latency_from_intended_p99_ms: s.latency_from_intended_ms?.p99,
    },
    timeMs: Date.parse(s.started_at),
  };
}

export function runPoint(r: FrameworkResult, timeMs: number): Point {
  return {
    measurement: MEASUREMENTS.run,
    tags: { ...baseTags(r), runtime: r.runtime, language: r.language },
    fields: { status: r.status, failure: r.failure ?? "", levels_completed: Object.keys(r.scenarios).length },
    timeMs,
  };
}

/** The verify phase's outcome (FrameworkResult.verification) as one point; none before it ran. */
export function verificationPoints(r: FrameworkResult, timeMs: number): Point[] {
  const v = r.verification;
  if (!v) return [];
  const fields: Point["fields"] = { passed: v.passed, probes: v.probes, min_cosine_required: v.min_cosine_required, duration_ms: v.duration_ms };
  if (v.min_cosine !== null) fields["min_cosine"] = v.min_cosine;
  if (v.max_norm_error !== null) fields["max_norm_error"] = v.max_norm_error;
  if (v.reason !== null) fields["reason"] = v.reason;
  return [{ measurement: MEASUREMENTS.verify, tags: baseTags(r), fields, timeMs }];
}

/** --slo's outcome as one point per batch size and text length searched; none without --slo. */
export function capacityPoints(r: FrameworkResult, timeMs: number): Point[] {
  return (r.capacity_at_slo ?? []).map((c) => ({
    measurement: MEASUREMENTS.capacity,
    tags: {
      ...baseTags(r),
      slo: c.slo,
      batch_size: String(c.batch_size),
      ...(c.seq_len === null ? {} : { seq_len: String(c.seq_len) }),
      runtime: r.runtime,
      language: r.language,
    },
    fields: { capacity_rps: c.capacity_rps, lowest_failing_rps: c.lowest_failing_rps, start_rps: c.start_rps, levels_tried: c.tried.length },
    timeMs,
  }));
}
