// `--layout auto`, its pure part: which layouts a framework tries on the probe level, and which of
// those it is then benchmarked with. run.ts runs the probes.
import type { FrameworkResult, LayoutTried } from "./schema.ts";
import { flagWords } from "./validity.ts";

/** THREADS (intra-op threads per model call) × WORKERS (model calls at once). */
export interface Layout {
  threads: number;
  workers: number;
}

/** `1x2`, the form --layout takes. */
export const layoutName = (l: Layout) => `${l.threads}x${l.workers}`;

/**
 * For N CPUs: 1×N (one single-thread call per CPU), N×1 (one call spread over every CPU) and one
 * between them, ⌈√N⌉ threads × ⌊N / ⌈√N⌉⌋ workers, which never asks for more threads than CPUs.
 * Duplicates are dropped: 2 CPUs give 1x2 and 2x1, one CPU gives 1x1 alone.
 */
export function candidateLayouts(cpus: number): Layout[] {
  if (!Number.isInteger(cpus) || cpus < 1) throw new Error(`candidate layouts need a positive number of CPUs, got ${cpus}`);
  const middle = Math.ceil(Math.sqrt(cpus));
  const all = [
    { threads: 1, workers: cpus },
    { threads: middle, workers: Math.floor(cpus / middle) },
    { threads: cpus, workers: 1 },
  ];
  return all.filter((l, i) => all.findIndex((o) => layoutName(o) === layoutName(l)) === i);
}

/** VUs of the probe level: the sweep's highest level, capped (a probe need not be the heaviest level). */
export function probeConcurrency(levels: readonly number[], cap: number): number {
  return Math.min(Math.max(...levels), cap);
}

type Completed = LayoutTried & { throughput_qps: number; p95_ms: number };
const completed = (t: LayoutTried): t is Completed => t.status === "completed" && t.throughput_qps !== null && t.p95_ms !== null;

/**
 * The highest throughput among the probes that completed; a throughput within `tieTolerance` (a
 * fraction) of the best is a tie, and the lowest p95 among the tied wins. Null when none completed.
 */
export function chooseLayout(tried: readonly LayoutTried[], tieTolerance: number): Layout | null {
  const done = tried.filter(completed);
  if (done.length === 0) return null;
  const best = Math.max(...done.map((t) => t.throughput_qps));
  const tied = done.filter((t) => t.throughput_qps >= best * (1 - tieTolerance));
  const pick = tied.reduce((a, t) => (t.p95_ms < a.p95_ms ? t : a));
  return { threads: pick.threads, workers: pick.workers };
}

/** `2x1 45.8 QPS, p95 75.03 ms [noisy]`, or `1x2 failed`: one probe, for the log and the summary. */
export function describeTried(t: LayoutTried): string {
  const figures = t.throughput_qps === null ? t.status : `${t.throughput_qps.toFixed(1)} QPS, p95 ${t.p95_ms?.toFixed(2)} ms`;
  return `${layoutName(t)} ${figures}${t.flags.length ? ` [${t.flags.join(",")}]` : ""}`;
}

/** A probe's entry in the result, from the one-level FrameworkResult the probe produced. */
export function triedOf(layout: Layout, probe: FrameworkResult): LayoutTried {
  const level = Object.values(probe.scenarios)[0];
  const figures = probe.status === "completed" && level !== undefined;
  return {
    threads: layout.threads,
    workers: layout.workers,
    status: probe.status,
    failure: probe.failure,
    throughput_qps: figures ? level.throughput_qps : null,
    p50_ms: figures ? level.latency_ms.median : null,
    p95_ms: figures ? level.latency_ms.p95 : null,
    errors: figures ? level.errors : null,
    server_cpu_percent: figures ? level.server_cpu_percent : null,
    flags: figures && level.validity ? flagWords(level.validity) : [],
  };
}
