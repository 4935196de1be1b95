// Pure parts of the overhead benchmark: the ceiling command's output and the QPS-vs-ceiling table.
import { z } from "zod";

/** The one JSON line a manifest's `ceiling.command` prints (see servers/rust-common/src/ceiling.rs). */
export const CeilingReport = z
  .object({
    framework: z.string(),
    concurrency: z.number().int().positive().describe("parallel in-process callers, one text each"),
    batch_size: z.literal(1),
    duration_s: z.number().positive().describe("measured seconds, after warmup"),
    calls: z.number().int().nonnegative(),
    embeddings_per_sec: z.number().nonnegative().describe("calls x batch_size / duration_s"),
    p50_ms: z.number().nonnegative().describe("median latency of one in-process call, milliseconds"),
    threads: z.number().int().positive(),
    workers: z.number().int().positive(),
  })
  .strict();
export type CeilingReport = z.infer<typeof CeilingReport>;

/** The last line of the command's stdout that parses as a CeilingReport (runtimes may log before it). */
export function parseCeilingOutput(stdout: string, source: string): CeilingReport {
  const lines = stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.trim().startsWith("{")) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = CeilingReport.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new Error(`${source}: ceiling output: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  throw new Error(`${source}: the ceiling command printed no JSON line; output ends with:\n${stdout.slice(-500)}`);
}

export interface OverheadRow {
  framework: string;
  concurrency: number;
  /** Server throughput through HTTP measured by the load engine (batch 1, so requests = embeddings). */
  server_qps: number | null;
  /** In-process embeddings/s of the same runtime with as many parallel callers. */
  ceiling_eps: number | null;
  p50_ms: number | null;
  ceiling_p50_ms: number | null;
  note?: string;
}

const fmt = (v: number | null, digits: number) => (v === null ? "-" : v.toFixed(digits));

/** server / ceiling, and the share of the ceiling lost to HTTP and serving (1 - ratio). */
export function renderOverheadTable(rows: readonly OverheadRow[]): string {
  const header = ["Framework", "Conc", "Server QPS", "Ceiling emb/s", "Server/ceiling", "Overhead", "p50 ms", "Ceiling p50 ms", "Note"];
  const body = rows.map((r) => {
    const ratio = r.server_qps !== null && r.ceiling_eps ? r.server_qps / r.ceiling_eps : null;
    return [
      r.framework,
      String(r.concurrency),
      fmt(r.server_qps, 1),
      fmt(r.ceiling_eps, 1),
      ratio === null ? "-" : `${(ratio * 100).toFixed(0)}%`,
      ratio === null ? "-" : `${((1 - ratio) * 100).toFixed(0)}%`,
      fmt(r.p50_ms, 2),
      fmt(r.ceiling_p50_ms, 2),
      r.note ?? "",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
