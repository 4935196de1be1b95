// A sweep's operating points and the figures derived per point: embeddings per second per server
// core, input tokens per second, server memory per 1,000 embeddings in flight, and the batching
// speed-up against batch 1. Pure. Each figure's definition is stated once, in docs/results.md, and
// in the schema's describe() of the field that holds it.
import type { FrameworkResult, ScenarioResult } from "./schema.ts";

/** What makes a level an operating point of a framework and model, read from its fields (results of every schema version). */
export interface PointFields {
  mode: "closed" | "open";
  /** VUs (closed loop) or the target rate, req/s (open loop). */
  value: number;
  batch_size: number;
  /** Tokens per text; null: texts not cut to a token count. */
  seq_len: number | null;
}

type PointOf = Pick<ScenarioResult, "mode" | "concurrency" | "target_rps" | "batch_size" | "seq_len">;

export const pointFields = (s: PointOf): PointFields => ({
  mode: s.mode,
  value: s.mode === "open" ? (s.target_rps ?? 0) : s.concurrency,
  batch_size: s.batch_size,
  seq_len: s.seq_len,
});

export function samePoint(a: PointOf, b: PointOf): boolean {
  const [x, y] = [pointFields(a), pointFields(b)];
  return x.mode === y.mode && x.value === y.value && x.batch_size === y.batch_size && x.seq_len === y.seq_len;
}

/** An identity for maps and sets (not a key of the results: that is plan/level-key.ts's). */
export const pointId = (s: PointOf, model = ""): string => {
  const p = pointFields(s);
  return JSON.stringify([model, p.mode, p.value, p.batch_size, p.seq_len]);
};

/** Text length first (uncut texts before any token count), then batch size, closed loop before open, then VUs or rate. */
export function comparePoints(a: PointOf, b: PointOf): number {
  const [x, y] = [pointFields(a), pointFields(b)];
  return (x.seq_len ?? 0) - (y.seq_len ?? 0) || x.batch_size - y.batch_size || (x.mode === y.mode ? 0 : x.mode === "closed" ? -1 : 1) || x.value - y.value;
}

/** `128 tokens`, or `texts not cut` where the texts have no token count. */
export const describeTexts = (seqLen: number | null): string => (seqLen === null ? "texts not cut to a token count" : `${seqLen} tokens`);

/** `c=4 b=8 s=128` (closed loop) or `r=20 b=1` (open loop): a point in a line of compare's output. */
export function shortPoint(s: PointOf): string {
  const p = pointFields(s);
  return `${p.mode === "open" ? "r" : "c"}=${p.value} b=${p.batch_size}${p.seq_len === null ? "" : ` s=${p.seq_len}`}`;
}

/** `batch 8 · 128 tokens · 4 VUs`; the text length only where the texts were cut to one. */
export function describePoint(s: PointOf): string {
  const p = pointFields(s);
  return [`batch ${p.batch_size}`, ...(p.seq_len === null ? [] : [`${p.seq_len} tokens`]), p.mode === "open" ? `${p.value} req/s` : `${p.value} VUs`].join(
    " · ",
  );
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Embeddings per second per core the server used (its mean CPU, 100 % = one core); null without a CPU figure. */
export function embeddingsPerCore(s: Pick<ScenarioResult, "embeddings_per_sec" | "server_cpu_percent">): number | null {
  const cpu = s.server_cpu_percent;
  return cpu !== null && cpu > 0 ? s.embeddings_per_sec / (cpu / 100) : null;
}

/**
 * The texts one level sent. A sweep of text lengths records its files joined by '; ' (the result's
 * `dataset`); a level's own is the one of its seq_len, `…/datasets/tokens-<seq_len>.json`.
 */
export function datasetOfLevel(dataset: string, seqLen: number | null): string {
  const files = dataset.split("; ");
  if (files.length === 1 || seqLen === null) return dataset;
  return files.find((f) => f.endsWith(`tokens-${seqLen}.json`)) ?? dataset;
}

/** Model input tokens per second: embeddings per second × the tokens of each text; null when they were not counted. */
export function inputTokensPerSec(embeddingsPerSec: number, tokensPerText: number | null): number | null {
  return tokensPerText === null ? null : round(embeddingsPerSec * tokensPerText, 1);
}

/**
 * The memory the server added per 1,000 embeddings in flight, MiB: (peak RSS during the level − idle
 * RSS after warm-up) × 1000 ÷ (requests in flight × batch size). In flight: the VUs in closed loop,
 * the most requests in flight at once in open loop. Null when either RSS figure is missing.
 */
export function memoryPer1kEmbeddings(
  s: Pick<ScenarioResult, "mode" | "concurrency" | "vus_max" | "batch_size" | "server_memory_peak_mb" | "server_idle_memory_mb">,
): number | null {
  const inFlight = s.mode === "open" ? (s.vus_max ?? 0) : s.concurrency;
  if (s.server_memory_peak_mb === null || s.server_idle_memory_mb === null || inFlight <= 0) return null;
  return round(((s.server_memory_peak_mb - s.server_idle_memory_mb) * 1000) / (inFlight * s.batch_size), 2);
}

/**
 * Batching speed-up at batch B: embeddings per second at B ÷ embeddings per second at batch 1, with
 * the same framework and model (the result), text length and concurrency. Null without that batch-1
 * level, when it measured nothing, and in open loop (there the throughput is the rate asked).
 */
export function batchingSpeedup(s: ScenarioResult, levels: readonly ScenarioResult[]): number | null {
  if (s.mode !== "closed") return null;
  const one = levels.find((l) => l.mode === "closed" && l.batch_size === 1 && l.concurrency === s.concurrency && l.seq_len === s.seq_len);
  if (!one || one.embeddings_per_sec <= 0 || s.embeddings_per_sec <= 0) return null;
  return round(s.embeddings_per_sec / one.embeddings_per_sec, 3);
}

/** The result with every level's batching_speedup computed from its levels as they stand. */
export function withBatchingSpeedups(r: FrameworkResult): FrameworkResult {
  const levels = Object.values(r.scenarios);
  return { ...r, scenarios: Object.fromEntries(Object.entries(r.scenarios).map(([k, s]) => [k, { ...s, batching_speedup: batchingSpeedup(s, levels) }])) };
}

/** A result's levels in sweep order (comparePoints). */
export const pointsOf = (r: FrameworkResult): ScenarioResult[] => Object.values(r.scenarios).sort(comparePoints);
