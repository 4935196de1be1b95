// The printed summary: one row per framework, then one row per framework and level.
import { table } from "./table.ts";
import { engineOf } from "../results/environment.ts";
import { describeTried, layoutName } from "../results/layout-choice.ts";
import type { FrameworkResult, LayoutProbe, ScenarioResult } from "../results/schema.ts";
import { formatEstimate, type Estimate } from "../results/stats.ts";
import { pointVerdicts, VERDICT_HEAD, verdictLine } from "../results/verdict.ts";
import { comparePoints, embeddingsPerCore } from "../results/point-figures.ts";
import { flagWords, VALIDITY_RULES } from "../results/validity.ts";

const estimateOf = (e: { mean: number; ci95: number | null; values: number[] }): Estimate => ({ ...e, n: e.values.length });

const num = (n: number | null | undefined, digits = 2) => (n === null || n === undefined ? "-" : n.toFixed(digits));

/** A resource figure; "n/m" when it was not measured (a server given by --url without --server-pid). */
const measured = (n: number | null, digits: number) => (n === null ? "n/m" : n.toFixed(digits));

/** Levels in sweep order: text length, batch size, closed before open loop, VUs or rate. */
function levels(r: FrameworkResult): ScenarioResult[] {
  return Object.values(r.scenarios).sort(comparePoints);
}

const closedLevels = (r: FrameworkResult) => levels(r).filter((s) => s.mode === "closed");
const openLevels = (r: FrameworkResult) => levels(r).filter((s) => s.mode === "open");

/** A sweep: more than one batch size, or texts cut to a token count; its levels then say their batch size and text length. */
const isSweep = (results: readonly FrameworkResult[]) =>
  new Set(results.flatMap((r) => levels(r).map((s) => s.batch_size))).size > 1 || results.some((r) => levels(r).some((s) => s.seq_len !== null));
const tokensCell = (s: ScenarioResult) => (s.seq_len === null ? "-" : String(s.seq_len));

/** Where a figure was measured: the VUs of a closed-loop level, the target rate of an open-loop one. */
const at = (s: ScenarioResult) => (s.mode === "open" ? `${s.target_rps}/s` : String(s.concurrency));
const flagsCell = (s: ScenarioResult) => (s.validity ? flagWords(s.validity).join(",") || "ok" : "-");
const p99Cell = (s: ScenarioResult) => (s.validity?.p99_enough_samples === false ? "few req" : num(s.latency_ms.p99));

/** One line per framework (and batch size and text length) searched with --slo: its capacity and every rate tried with the reason. */
function capacityLines(results: readonly FrameworkResult[]): string[] {
  const searched = results.flatMap((r) => (r.capacity_at_slo ?? []).map((c) => ({ r, c })));
  if (searched.length === 0) return [];
  const sweep = isSweep(results);
  return [
    "",
    "Capacity at SLO (highest open-loop rate meeting the objective; saturated levels fail):",
    ...searched.map(({ r, c }) => {
      const found = c.capacity_rps === null ? "none of the rates tried" : `${c.capacity_rps} req/s`;
      const below = c.lowest_failing_rps === null ? "" : `, ${c.lowest_failing_rps} req/s fails`;
      const steps = c.tried.map((t) => `${t.rate_rps} ${t.passed ? "pass" : "fail"} (${t.reason})`).join("; ");
      const where = sweep ? ` (batch ${c.batch_size}${c.seq_len === null ? "" : `, ${c.seq_len} tokens`})` : "";
      return `  ${r.framework}${where}: ${c.slo}: ${found}${below}; from ${c.start_rps} req/s (${c.start_from === "closed_loop_qps" ? "best closed-loop QPS" : "slo_start_rps"}): ${steps}`;
    }),
  ];
}

const optional = (n: number | null, digits: number) => (n === null ? "-" : n.toFixed(digits));

/**
 * A sweep's figures per closed-loop point (docs/results.md defines each): embeddings per second, per
 * server core, input tokens per second, the batching speed-up against batch 1, server memory per 1k
 * embeddings in flight.
 */
function sweepTable(results: readonly FrameworkResult[]): string[] {
  if (!isSweep(results)) return [];
  const rows = results.flatMap((r) =>
    closedLevels(r).map((s) => [
      r.framework,
      String(s.batch_size),
      tokensCell(s),
      String(s.concurrency),
      num(s.embeddings_per_sec, 1),
      optional(embeddingsPerCore(s), 1),
      s.input_tokens_per_sec === null ? "not counted" : num(s.input_tokens_per_sec, 0),
      s.batching_speedup === null ? "-" : `${s.batching_speedup.toFixed(2)}×`,
      s.server_memory_peak_mb === null ? "n/m" : optional(s.memory_per_1k_embeddings_mb, 1),
    ]),
  );
  if (rows.length === 0) return [];
  return [
    "",
    "Sweep (docs/results.md defines each figure; speed-up = emb/s ÷ emb/s at batch 1, same text length and concurrency):",
    table(["Framework", "Batch", "Tokens", "Conc", "Emb/s", "Emb/s/core", "Tokens/s", "Speed-up", "MiB/1k emb"], rows),
  ];
}

/** Open-loop levels: the rate asked and the rate achieved side by side, so a saturated level cannot pass for its target. */
function openTable(results: readonly FrameworkResult[]): string[] {
  const sweep = isSweep(results);
  const rows = results.flatMap((r) =>
    openLevels(r).map((s) => [
      r.framework,
      ...(sweep ? [String(s.batch_size), tokensCell(s)] : []),
      num(s.target_rps, 0),
      num(s.achieved_rps),
      String(s.dropped_iterations ?? 0),
      `${s.vus_max ?? 0}/${s.concurrency}`,
      num(s.latency_ms.median),
      num(s.latency_ms.p95),
      p99Cell(s),
      `${s.errors}`,
      measured(s.server_cpu_percent, 0),
      flagsCell(s),
    ]),
  );
  if (rows.length === 0) return [];
  return [
    "",
    "Open loop (constant arrival rate):",
    table(
      ["Framework", ...(sweep ? ["Batch", "Tokens"] : []), "Target/s", "Achieved/s", "Dropped", "VUs", "p50", "p95", "p99", "Errors", "Srv CPU%", "Flags"],
      rows,
    ),
  ];
}

const FLAGS_LEGEND =
  `"few req": fewer than ${VALIDITY_RULES.p99MinRequests} (p99) or ${VALIDITY_RULES.p999MinRequests} (p99.9) successful requests, too few for that percentile. ` +
  "Flags: saturated = open loop, the achieved rate fell short of the target by more than the profile's saturation_tolerance; stalled = the server stopped answering during the level; unstable = its windows never agreed; client-bound = the load engine's CPUs were 90 % or more busy; " +
  `noisy = other processes used more than ${VALIDITY_RULES.noisyOtherCpuPercent} % of a CPU.`;
const NOT_MEASURED_LEGEND = "n/m: not measured (a server given by --url without --server-pid).";

/** One line per framework run with --layout auto: the layout chosen and every layout tried with its figures. */
function layoutLines(results: readonly FrameworkResult[]): string[] {
  const line = (framework: string, p: LayoutProbe) => {
    const chosen = p.chosen ? `${layoutName(p.chosen)} chosen` : "no layout completed";
    const how =
      p.note ?? `tried at ${p.probe_concurrency} VUs for ${p.probe_duration_s} s on ${p.server_cpus} server CPUs: ${p.tried.map(describeTried).join("; ")}`;
    return `  ${framework}: ${chosen} (${how})`;
  };
  const lines = results.flatMap((r) => (r.layout_probe ? [line(r.framework, r.layout_probe)] : []));
  const tie = results.find((r) => r.layout_probe)?.layout_probe?.tie_tolerance;
  if (tie === undefined) return [];
  return ["", `Layouts (--layout auto: THREADSxWORKERS with the highest probe QPS; within ${num(tie * 100, 0)} % of it, the lower p95):`, ...lines];
}

/** Where a request's time went at each closed-loop level, where the server reported it (docs/results.md). */
function timeSplitTable(results: readonly FrameworkResult[]): string[] {
  const sweep = isSweep(results);
  const rows = results.flatMap((r) =>
    closedLevels(r)
      .filter((s) => s.outside_model_p50_ms !== null || s.server_metrics !== null)
      .map((s) => [
        r.framework,
        ...(sweep ? [String(s.batch_size), tokensCell(s)] : []),
        String(s.concurrency),
        num(s.latency_ms.median),
        num(s.server_inference_ms?.median),
        num(s.outside_model_p50_ms),
        num(s.outside_model_p95_ms),
        num(s.server_metrics?.model_time_fraction),
        num(s.server_metrics?.mean_batch_size),
      ]),
  );
  if (!rows.length) return [];
  const head = ["Framework", ...(sweep ? ["Batch", "Tokens"] : []), "Conc", "p50", "model p50", "outside p50", "outside p95", "model share", "batch formed"];
  return [
    "",
    "Where the time goes (ms; model = the server's x-inference-time; outside = latency − model, per request; model share and batch formed from its /metrics):",
    table(head, rows),
  ];
}

export function renderSummary(model: string, results: readonly FrameworkResult[]): string {
  const rule = "=".repeat(96);
  const synthetic = results.some((r) => r.synthetic_weights);
  const frameworkRows = results.map((r) => {
    const ls = levels(r);
    const first = ls[0];
    const best = ls.reduce<ScenarioResult | undefined>((a, s) => (!a || s.throughput_qps > a.throughput_qps ? s : a), undefined);
    return [
      r.framework,
      r.status === "completed" ? "ok" : r.status,
      num(r.first_inference_ms),
      num(r.cold_start_ms, 0),
      first ? `${num(first.latency_ms.median)} @${at(first)}` : "-",
      first ? `${num(first.latency_ms.p95)} @${at(first)}` : "-",
      best ? `${num(best.throughput_qps)} @${at(best)}` : "-",
    ];
  });
  const sweep = isSweep(results);
  const levelRows = results.flatMap((r) =>
    closedLevels(r).map((s) => [
      r.framework,
      ...(sweep ? [String(s.batch_size), tokensCell(s)] : []),
      String(s.concurrency),
      s.trials ? formatEstimate(estimateOf(s.trials.throughput_qps), 1) : num(s.throughput_qps),
      num(s.latency_ms.median),
      num(s.latency_ms.p95),
      p99Cell(s),
      s.validity?.p999_enough_samples === false ? "few req" : num(s.latency_ms.p999),
      `${s.errors}`,
      measured(s.server_cpu_percent, 0),
      measured(s.server_memory_mb, 0),
      num(s.client_cpu_percent, 0),
      flagsCell(s),
    ]),
  );
  const open = openTable(results);
  const notMeasured = results.some((r) => levels(r).some((s) => s.server_cpu_percent === null || s.server_memory_mb === null));
  const flagged = results.some((r) => levels(r).some((s) => !["ok", "-"].includes(flagsCell(s))));
  const anyFew = results.some((r) => levels(r).some((s) => s.validity && !s.validity.p999_enough_samples));
  const failures = results.filter((r) => r.failure).map((r) => `  ${r.framework}: ${r.failure}`);
  const verdicts = pointVerdicts(results).map((v) => `  ${verdictLine(v)}`);
  return [
    rule,
    `Benchmark Results Summary - ${model}${synthetic ? "  (SYNTHETIC WEIGHTS: performance only)" : ""}`,
    rule,
    "",
    table(["Framework", "Status", "1st Inf (ms)", "Cold start (ms)", "p50 (ms)", "p95 (ms)", "QPS (best)"], frameworkRows),
    ...(levelRows.length
      ? [
          "",
          table(
            [
              "Framework",
              ...(sweep ? ["Batch", "Tokens"] : []),
              "Conc",
              "QPS",
              "p50",
              "p95",
              "p99",
              "p99.9",
              "Errors",
              "Srv CPU%",
              "Srv MB",
              "Cli CPU%",
              "Flags",
            ],
            levelRows,
          ),
        ]
      : []),
    ...sweepTable(results),
    ...timeSplitTable(results),
    ...open,
    ...capacityLines(results),
    ...(notMeasured ? ["", NOT_MEASURED_LEGEND] : []),
    ...(anyFew || flagged ? ["", FLAGS_LEGEND] : []),
    ...layoutLines(results),
    ...(failures.length ? ["", "Failures:", ...failures] : []),
    // The summary ends with the verdict, as the report begins with it.
    ...(verdicts.length ? ["", VERDICT_HEAD, ...verdicts] : []),
    "",
    rule,
  ].join("\n");
}

/**
 * Warnings for results that should not be compared as one table: measured from different commits,
 * on different machines, or with different CPU sets. One line per differing property.
 */
export function mixedProvenance(results: readonly FrameworkResult[]): string[] {
  const props: [string, (r: FrameworkResult) => string][] = [
    ["commits", (r) => `${r.environment.git_commit ?? "unknown"}${r.environment.git_dirty ? " (dirty)" : ""}`],
    ["machines", (r) => `${r.environment.hostname} (${r.environment.cpu_model}, ${r.environment.cpu_count} CPUs)`],
    [
      "CPU sets",
      (r) =>
        r.environment.cpu_sets
          ? `${r.environment.cpu_sets.mode} server=${r.environment.cpu_sets.server ?? "all"} client=${r.environment.cpu_sets.client ?? "all"}`
          : "not recorded",
    ],
    ["load engines", engineOf],
  ];
  return props.flatMap(([what, key]) => {
    const groups = new Map<string, string[]>();
    for (const r of results) groups.set(key(r), [...(groups.get(key(r)) ?? []), r.framework]);
    if (groups.size < 2) return [];
    return [`these results come from different ${what}: ${[...groups].map(([k, fws]) => `${fws.join(", ")}: ${k}`).join("; ")}`];
  });
}
