// A level as every load engine takes it (LevelSpec) and gives it back (LevelOutcome), with the live
// figures in between. Pure data: the k6 script bundles the level codec, which reads these types.
import type { ApiName, ApiSettings } from "../../scenario/apis/index.ts";

export const ENGINE_NAMES = ["embedded", "k6"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Closed loop: `vus` users, each sending its next request when its last one is answered. */
export interface ClosedLoad {
  mode: "closed";
  vus: number;
}

/**
 * Open loop: starts follow a schedule whatever the answers are, `rateRps` on average, with at most
 * `maxInFlight` requests outstanding (k6: maxVUs). constant: one start every 1/rate s; a start that
 * finds the cap reached is dropped (k6's dropped_iterations). poisson: the seeded exponential
 * schedule of scenario/arrivals.ts; a start that finds the cap reached waits for a slot (a late start).
 */
export interface OpenLoad {
  mode: "open";
  rateRps: number;
  arrivals: "constant" | "poisson";
  seed: number;
  maxInFlight: number;
  /** k6 only: VUs allocated up front (scenario/openloop.ts vuSizing). */
  preAllocated: number;
}

/** One level, as every engine takes it. */
export interface LevelSpec {
  url: string;
  api: ApiName;
  apiSettings: ApiSettings;
  /** JSON {"texts": [...]} to send; absent: the built-in deterministic texts (scenario/texts.ts). */
  datasetFile?: string;
  batchSize: number;
  /** Tokens every text of the dataset was cut to (the operating point's text length); null: not cut to a count. A label only: the texts come from datasetFile. */
  seqLen: number | null;
  normalize: boolean;
  /** Vector length every answer must have; 0: any positive length. */
  expectedDim: number;
  load: ClosedLoad | OpenLoad;
  durationS: number;
  /** Measurement windows, seconds; 0: none. */
  windowS: number;
  requestTimeoutS: number;
  maxErrorRate: number;
  /** Labels on the engine's own outputs (k6 tags, the embedded engine's log). */
  tags: { framework: string; model: string; run_id: string };
  files: {
    /** Everything the engine prints. */
    log: string;
    /** The engine's own end-of-level document: k6's handleSummary JSON, the embedded engine's LevelOutcome. */
    summary: string;
    /** k6 only: its web dashboard's HTML report of the level. */
    report?: string;
  };
  /** CPUs the engine may use (kernel affinity); null: every CPU. */
  cpus: readonly number[] | null;
}

/** Running totals, sent every 500 ms while a level runs: what the stall watch reads. */
export interface LiveSample {
  /** Milliseconds since the level started. */
  t_ms: number;
  /** Completed requests so far (answered or failed). */
  requests: number;
  /** Successful requests so far (status 200, right count and dimension). */
  ok: number;
  /** Requests in flight (open loop) or active users (closed loop). */
  vus: number;
  /** Median duration of the successful requests so far, ms (0 before the first). */
  median_ms: number;
  /** Since the previous sample (embedded engine only): latency percentiles of its successes, ms. */
  interval?: { p50_ms: number; p95_ms: number; p99_ms: number };
}

/** One measurement window's figures (level/stability.ts decides when a level's last windows agree). */
export interface WindowFigures {
  index: number;
  ok_requests: number;
  throughput_qps: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
  p999_ms: number;
}

/** A complete measurement window, with its latency histogram where the engine keeps one. */
export interface WindowReport extends WindowFigures {
  /** HDR histogram of the window's successful request durations, µs, compressed base64 (hdr-histogram-js); null from k6. */
  histogram: string | null;
}

export interface LatencySummary {
  mean: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  min: number;
  max: number;
  /** Population standard deviation: sqrt(Σx²/n − mean²). */
  stddev: number;
}

export interface HeaderTimes {
  mean: number;
  median: number;
  p95: number;
  p99: number;
}

/** Open-loop figures. */
export interface OpenFigures {
  /** Constant arrivals: scheduled starts skipped because `maxInFlight` requests were outstanding. */
  dropped: number;
  /** Starts more than LATE_START_MS after their scheduled time. */
  lateStarts: number;
  /** Latency from each request's scheduled start (lateness + its own duration), ms; null when none completed. */
  latencyFromIntendedMs: { median: number; p95: number; p99: number; max: number } | null;
  /** The most requests in flight at once (k6: VUs allocated). */
  maxInFlight: number;
}

/** A level's figures, whichever engine measured them. */
export interface LevelOutcome {
  engine: { name: EngineName; version: string };
  /** From the first start to the last answer, s. */
  durationS: number;
  /** Completed requests, successful or not. */
  requests: number;
  ok: number;
  /** Requests that failed a check: status, count or dimension, or no answer. */
  errors: number;
  /** Failed requests by what went wrong ("status 503", "timeout", "wrong dimension", …); k6 gives no breakdown ({}). */
  errorsByKind: Record<string, number>;
  /** Successful requests' durations, ms; null when none succeeded. */
  latencyMs: LatencySummary | null;
  /** HDR histogram of those durations, µs, compressed base64; null from k6. */
  latencyHistogram: string | null;
  /** The servers' x-inference-time header, ms; null when no answer carried it. */
  serverInferenceMs: HeaderTimes | null;
  /** The servers' x-queue-time header, ms; null when no answer carried it. */
  serverQueueMs: HeaderTimes | null;
  /** Per request, its duration less its x-inference-time header: the time outside the model, ms; null when no answer carried the header. */
  outsideModelMs: HeaderTimes | null;
  /** Every window the engine has figures for, in order (the driver keeps the complete ones). */
  windows: WindowReport[];
  open: OpenFigures | null;
  /** requests ÷ durationS. */
  achievedRps: number;
  /** Request and answer bodies, bytes (k6: data_sent and data_received, which count headers too). */
  bytesSent: number;
  bytesReceived: number;
  /** The engine's own CPU over the level (100 = one core); null when it does not report it. */
  engineCpuPercent: number | null;
}
