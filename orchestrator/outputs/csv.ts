// CSV export: one table of [column, value] pairs, the standard header (the seed's 14 columns)
// exactly first, then further columns after it. Absent values are empty cells.
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { log } from "../platform/log.ts";
import { writeFileAtomic } from "../store/atomic.ts";
import type { RunFolder } from "../store/folders.ts";
import { engineOf } from "../results/environment.ts";
import type { FrameworkResult, ScenarioResult } from "../results/schema.ts";
import { datasetOfLevel, embeddingsPerCore, pointsOf } from "../results/point-figures.ts";

type Cell = string | number | boolean;
type Column = readonly [name: string, value: (r: FrameworkResult, s: ScenarioResult) => Cell | null | undefined];

const flag = (k: keyof NonNullable<ScenarioResult["validity"]>) => (_r: FrameworkResult, s: ScenarioResult) => s.validity?.[k];

/** The seed's CSV header, in its order: these columns come first, whatever follows. */
const SEED_COLUMNS: readonly Column[] = [
  ["timestamp", (_r, s) => csvTimestamp(s.started_at)],
  ["model", (r) => r.model_name],
  ["runtime", (r) => r.runtime],
  ["language", (r) => r.language],
  ["concurrency", (_r, s) => s.concurrency],
  ["qps", (_r, s) => s.throughput_qps],
  ["p50_latency_ms", (_r, s) => s.latency_ms.median],
  ["p90_latency_ms", (_r, s) => s.latency_ms.p90],
  ["p95_latency_ms", (_r, s) => s.latency_ms.p95],
  ["p99_latency_ms", (_r, s) => s.latency_ms.p99],
  // Not measured (--url without --server-pid): an empty cell.
  ["server_cpu_percent", (_r, s) => s.server_cpu_percent],
  ["server_memory_mb", (_r, s) => s.server_memory_mb],
  ["client_cpu_percent", (_r, s) => s.client_cpu_percent],
  ["client_memory_mb", (_r, s) => s.client_memory_mb],
];

const EXTRA_COLUMNS: readonly Column[] = [
  ["framework", (r) => r.framework],
  ["batch_size", (_r, s) => s.batch_size],
  ["num_requests", (_r, s) => s.num_requests],
  ["errors", (_r, s) => s.errors],
  ["error_rate", (_r, s) => s.error_rate],
  ["mean_latency_ms", (_r, s) => s.latency_ms.mean],
  ["p999_latency_ms", (_r, s) => s.latency_ms.p999],
  ["max_latency_ms", (_r, s) => s.latency_ms.max],
  ["embeddings_per_sec", (_r, s) => s.embeddings_per_sec],
  ["synthetic_weights", (r) => r.synthetic_weights],
  ["run_id", (r) => r.run_id],
  ["dataset", (r, s) => datasetOfLevel(r.dataset, s.seq_len)],
  ["p99_enough_samples", flag("p99_enough_samples")],
  ["p999_enough_samples", flag("p999_enough_samples")],
  ["client_bound", flag("client_bound")],
  ["noisy", flag("noisy")],
  ["other_cpu_percent", flag("other_cpu_percent")],
  ["stalled", flag("stalled")],
  ["unstable", flag("unstable")],
  ["layout", (r) => (r.layout?.threads && r.layout.workers ? `${r.layout.threads}x${r.layout.workers}` : null)],
  ["mode", (_r, s) => s.mode],
  ["target_rps", (_r, s) => s.target_rps],
  ["achieved_rps", (_r, s) => s.achieved_rps],
  ["dropped_iterations", (_r, s) => s.dropped_iterations],
  ["vus_max", (_r, s) => s.vus_max],
  ["saturated", (_r, s) => (s.mode === "open" ? s.validity?.saturated : null)],
  ["arrivals", (_r, s) => (s.mode === "open" ? (s.arrivals ?? "constant") : null)],
  ["late_starts", (_r, s) => s.late_starts],
  ["latency_from_intended_p99_ms", (_r, s) => s.latency_from_intended_ms?.p99],
  ["load_engine", (r) => engineOf(r)],
  ["thresholds_ok", (_r, s) => s.thresholds_ok],
  // The operating point (model, batch_size and concurrency or target_rps are above) and its figures; docs/results.md defines each.
  ["seq_len", (_r, s) => s.seq_len],
  ["point", (_r, s) => s.scenario_name],
  ["tokens_per_text", (_r, s) => s.tokens_per_text],
  ["input_tokens_per_sec", (_r, s) => s.input_tokens_per_sec],
  ["embeddings_per_sec_per_core", (_r, s) => roundOrNull(embeddingsPerCore(s))],
  ["batching_speedup", (_r, s) => s.batching_speedup],
  ["server_memory_peak_mb", (_r, s) => s.server_memory_peak_mb],
  ["server_idle_memory_mb", (_r, s) => s.server_idle_memory_mb],
  ["memory_per_1k_embeddings_mb", (_r, s) => s.memory_per_1k_embeddings_mb],
  // Where a request's time went (docs/results.md): the server's own model time and the rest.
  ["server_inference_p50_ms", (_r, s) => s.server_inference_ms?.median],
  ["outside_model_p50_ms", (_r, s) => s.outside_model_p50_ms],
  ["outside_model_p95_ms", (_r, s) => s.outside_model_p95_ms],
  ["model_time_fraction", (_r, s) => s.server_metrics?.model_time_fraction],
  ["mean_batch_size_formed", (_r, s) => s.server_metrics?.mean_batch_size],
  // --slo: the requests that met the objective (docs/results.md).
  ["goodput_fraction", (_r, s) => s.goodput?.fraction],
  ["goodput_rps", (_r, s) => s.goodput?.rate_rps],
  ["embeddings_per_joule", (_r, s) => s.energy?.embeddings_per_joule],
  // The precision the framework declares (fp32, int8, …): rows of reduced-precision variants never read as fp32 ones.
  ["precision", (r) => r.verification?.precision],
];

const roundOrNull = (n: number | null) => (n === null ? null : Number(n.toFixed(3)));

const COLUMNS = [...SEED_COLUMNS, ...EXTRA_COLUMNS];
export const SEED_CSV_HEADER = SEED_COLUMNS.map(([name]) => name);
export const CSV_HEADER = COLUMNS.map(([name]) => name);

/** "2024-11-28 15:30:45" in UTC, the seed's timestamp format. */
export function csvTimestamp(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

export function resultsToCsv(results: readonly FrameworkResult[]): string {
  const rows: Cell[][] = [];
  for (const r of results) {
    // In sweep order: text length, batch size, closed-loop levels by VUs, then open-loop levels by rate.
    for (const s of pointsOf(r)) rows.push(COLUMNS.map(([, value]) => value(r, s) ?? ""));
  }
  return stringify(rows, {
    header: true,
    columns: CSV_HEADER,
    // csv-stringify writes false as an empty cell by default; keep it explicit.
    cast: { boolean: (v) => String(v) },
  });
}

/** `--csv`: true writes the seed's benchmark_results_<time>.csv into the run's folder, a path writes there; absent: nothing. */
export function writeCsv(csv: string | true | undefined, folder: RunFolder, results: readonly FrameworkResult[]): void {
  if (csv === undefined) return;
  const file = csv === true ? folder.csvFile(new Date()) : path.resolve(csv);
  writeFileAtomic(file, resultsToCsv(results));
  log.step(`CSV written: ${file}`);
}
