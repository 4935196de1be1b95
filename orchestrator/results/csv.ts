// CSV export: the standard header (SEED_CSV_HEADER) exactly, then further columns after it.
import { stringify } from "csv-stringify/sync";
import type { FrameworkResult } from "./schema.ts";

export const SEED_CSV_HEADER = [
  "timestamp",
  "model",
  "runtime",
  "language",
  "concurrency",
  "qps",
  "p50_latency_ms",
  "p90_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
  "server_cpu_percent",
  "server_memory_mb",
  "client_cpu_percent",
  "client_memory_mb",
] as const;

export const EXTRA_CSV_COLUMNS = [
  "framework",
  "batch_size",
  "num_requests",
  "errors",
  "error_rate",
  "mean_latency_ms",
  "p999_latency_ms",
  "max_latency_ms",
  "embeddings_per_sec",
  "synthetic_weights",
  "run_id",
  "dataset",
  "p99_enough_samples",
  "p999_enough_samples",
  "client_bound",
  "noisy",
  "other_cpu_percent",
  "stalled",
  "unstable",
  "layout",
  "mode",
  "target_rps",
  "achieved_rps",
  "dropped_iterations",
  "vus_max",
  "saturated",
  "arrivals",
  "late_starts",
  "latency_from_intended_p99_ms",
] as const;

/** "2024-11-28 15:30:45" in UTC, the seed's timestamp format. */
export function csvTimestamp(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

export function resultsToCsv(results: readonly FrameworkResult[]): string {
  const rows: (string | number | boolean)[][] = [];
  for (const r of results) {
    // Closed-loop levels by VUs, then open-loop levels by rate.
    const order = (x: (typeof r.scenarios)[string]) => (x.mode === "open" ? [1, x.target_rps ?? 0] : [0, x.concurrency]);
    const levels = Object.values(r.scenarios).sort((a, b) => order(a)[0]! - order(b)[0]! || order(a)[1]! - order(b)[1]!);
    for (const s of levels) {
      rows.push([
        csvTimestamp(s.started_at),
        r.model_name,
        r.runtime,
        r.language,
        s.concurrency,
        s.throughput_qps,
        s.latency_ms.median,
        s.latency_ms.p90,
        s.latency_ms.p95,
        s.latency_ms.p99,
        // Not measured (--url without --server-pid): an empty cell, as for every absent value here.
        s.server_cpu_percent ?? "",
        s.server_memory_mb ?? "",
        s.client_cpu_percent,
        s.client_memory_mb,
        r.framework,
        s.batch_size,
        s.num_requests,
        s.errors,
        s.error_rate,
        s.latency_ms.mean,
        s.latency_ms.p999,
        s.latency_ms.max,
        s.embeddings_per_sec,
        r.synthetic_weights,
        r.run_id,
        r.dataset,
        ...(s.validity
          ? [s.validity.p99_enough_samples, s.validity.p999_enough_samples, s.validity.client_bound, s.validity.noisy, s.validity.other_cpu_percent, s.validity.stalled, s.validity.unstable]
          : ["", "", "", "", "", "", ""]),
        r.layout?.threads && r.layout.workers ? `${r.layout.threads}x${r.layout.workers}` : "",
        s.mode,
        s.target_rps ?? "",
        s.achieved_rps ?? "",
        s.dropped_iterations ?? "",
        s.vus_max ?? "",
        s.mode === "open" ? (s.validity?.saturated ?? "") : "",
        s.mode === "open" ? (s.arrivals ?? "constant") : "",
        s.late_starts ?? "",
        s.latency_from_intended_ms?.p99 ?? "",
      ]);
    }
  }
  return stringify(rows, {
    header: true,
    columns: [...SEED_CSV_HEADER, ...EXTRA_CSV_COLUMNS],
    // csv-stringify writes false as an empty cell by default; keep it explicit.
    cast: { boolean: (v) => String(v) },
  });
}
