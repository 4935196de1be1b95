// Results → the report's charts and tables. Pure: no I/O, no clock; the page draws what this returns
// and html.ts lays out the tables. A series is one framework of one run (and of one model, when the
// runs hold several; and of one batch size and text length, in a sweep), so several runs overlay on
// the same charts. A sweep adds the verdict per operating point, heatmaps of embeddings per second
// per core (framework × batch size) and Pareto charts of throughput against p95.
import { engineOf } from "../../results/environment.ts";
import type { FrameworkResult, ScenarioResult } from "../../results/schema.ts";
import { mixedProvenance } from "../summary.ts";
import { flagWords } from "../../results/validity.ts";
import { comparePoints, describePoint, describeTexts, embeddingsPerCore } from "../../results/point-figures.ts";
import { pointVerdicts, verdictClauses } from "../../results/verdict.ts";
import { pointStem } from "../../plan/level-key.ts";
import type { ChartSpec, ScatterPoint, Series, SeriesStyle } from "./model.ts";

export { embeddingsPerCore };

export interface LoadedRun {
  /** the run's id, as the user named it */
  id: string;
  results: FrameworkResult[];
  /** result files that could not be read, one line each */
  problems: string[];
}

export interface Cell {
  text: string;
  tone?: "ok" | "bad" | "warn";
  /** A heatmap cell: its value's place between the table's lowest (0) and highest (1), drawn as its background. */
  shade?: number;
}

export interface Table {
  id: string;
  title: string;
  header: string[];
  rows: Cell[][];
  /** sentences under the table */
  notes: string[];
  /** heatmap: a table whose cells are shaded by value; verdict: the report's first section */
  kind?: "heatmap" | "verdict";
}

export interface Report {
  title: string;
  /** when the report was written, ISO-8601 */
  generatedAt: string;
  synthetic: boolean;
  charts: ChartSpec[];
  tables: Table[];
  problems: string[];
}

/** One framework's result in one run, at one batch size and text length: a series on every level chart. */
interface Entry {
  run: string;
  result: FrameworkResult;
  label: string;
  style: SeriesStyle;
  /** The batch size and text length of the levels this series draws; null: every level (not a sweep). */
  shape: Shape | null;
}

interface Shape {
  batch_size: number;
  seq_len: number | null;
}

interface TrialFigure {
  mean: number;
  ci95: number | null;
}

/** How a line chart reads one level. */
interface LevelPick {
  value: (s: ScenarioResult) => number | null;
  trials?: (s: ScenarioResult) => TrialFigure | undefined;
  notes?: (s: ScenarioResult) => string[];
}

// Tableau 10: distinct at a glance and readable for the common colour-vision deficiencies.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits));
const text = (t: string, tone?: Cell["tone"]): Cell => (tone ? { text: t, tone } : { text: t });

/** Closed-loop levels in sweep order (by concurrency within a batch size and text length): the charts' x axis is VUs, which an open-loop level does not set. */
export function levelsOf(r: FrameworkResult): ScenarioResult[] {
  return Object.values(r.scenarios)
    .filter((s) => s.mode === "closed")
    .sort(comparePoints);
}

/** Open-loop levels in sweep order (by target rate). */
const openLevelsOf = (r: FrameworkResult): ScenarioResult[] =>
  Object.values(r.scenarios)
    .filter((s) => s.mode === "open")
    .sort(comparePoints);

/** The closed-loop levels of an entry: those of its batch size and text length in a sweep. */
const entryLevels = (e: Entry): ScenarioResult[] =>
  levelsOf(e.result).filter((s) => e.shape === null || (s.batch_size === e.shape.batch_size && s.seq_len === e.shape.seq_len));

const shapeKey = (s: Shape) => `${s.seq_len ?? 0}/${s.batch_size}`;
const shapesOf = (r: FrameworkResult): Shape[] => {
  const seen = new Map<string, Shape>();
  for (const s of levelsOf(r)) seen.set(shapeKey(s), { batch_size: s.batch_size, seq_len: s.seq_len });
  return [...seen.values()];
};
const describeShape = (s: Shape) => `batch ${s.batch_size}${s.seq_len === null ? "" : ` · ${s.seq_len} tokens`}`;

/** Every flag that says a level's figures are not to be trusted as they stand, as words. */
export function levelFlags(s: ScenarioResult): string[] {
  const v = s.validity;
  return [...(v ? flagWords(v) : []), ...(v && !v.p99_enough_samples ? ["too few samples"] : []), ...(s.ended_early ? ["ended early"] : [])];
}

/**
 * Colours go to frameworks; with a single framework they go to runs instead. With several of both,
 * a run is told apart by its line's dash.
 */
function entriesOf(runs: readonly LoadedRun[]): Entry[] {
  const all = runs.flatMap((run) => run.results.map((result) => ({ run: run.id, result })));
  const frameworks = unique(all.map((e) => e.result.framework)).sort();
  const models = unique(all.map((e) => e.result.model_name));
  const runIds = runs.map((r) => r.id);
  const byFramework = frameworks.length > 1;
  return all.map(({ run, result }) => {
    const f = frameworks.indexOf(result.framework);
    const r = runIds.indexOf(run);
    const label = [result.framework, models.length > 1 ? result.model_name : "", runIds.length > 1 ? run : ""].filter(Boolean).join(" · ");
    const style = { color: PALETTE[(byFramework ? f : r) % PALETTE.length]!, dash: byFramework && runIds.length > 1 ? DASHES[r % DASHES.length]! : [] };
    return { run, result, label, style, shape: null };
  });
}

/** A sweep (several batch sizes or text lengths in the report): each entry splits into one per batch size and text length, told apart by dash. */
function seriesEntries(entries: readonly Entry[]): Entry[] {
  const shapes = unique(entries.flatMap((e) => shapesOf(e.result).map(shapeKey)));
  if (shapes.length <= 1) return [...entries];
  return entries.flatMap((e) =>
    shapesOf(e.result).map((shape) => ({
      ...e,
      shape,
      label: `${e.label} · ${describeShape(shape)}`,
      style: { ...e.style, dash: DASHES[shapes.indexOf(shapeKey(shape)) % DASHES.length]! },
    })),
  );
}

const seriesBase = (e: Entry) => ({ label: e.label, framework: e.result.framework, run: e.run, style: e.style });

function levelSeries(e: Entry, levels: readonly number[], pick: LevelPick): Series {
  const at = levels.map((c) => entryLevels(e).find((s) => s.concurrency === c));
  const trials = at.map((s) => (s && pick.trials ? pick.trials(s) : undefined));
  const withCi = trials.some((t) => t !== undefined && t.ci95 !== null);
  const bound = (sign: 1 | -1) => trials.map((t) => (t && t.ci95 !== null ? t.mean + sign * t.ci95 : null));
  return {
    ...seriesBase(e),
    values: at.map((s) => (s ? pick.value(s) : null)),
    ...(withCi ? { band: { lo: bound(-1), hi: bound(1) } } : {}),
    flags: at.map((s) => (s ? levelFlags(s) : [])),
    notes: at.map((s) => (s && pick.notes ? pick.notes(s) : [])),
  };
}

function levelChart(entries: readonly Entry[], spec: Omit<ChartSpec, "kind" | "xTitle" | "labels" | "series">, pick: LevelPick): ChartSpec {
  const measured = seriesEntries(entries).filter((e) => entryLevels(e).length > 0);
  const levels = unique(measured.flatMap((e) => entryLevels(e).map((s) => s.concurrency))).sort((a, b) => a - b);
  return {
    ...spec,
    kind: "line",
    xTitle: "concurrency (virtual users)",
    labels: levels.map(String),
    series: measured.map((e) => levelSeries(e, levels, pick)),
  };
}

/**
 * Where a request's time went at each closed-loop level of each framework, as stacked medians:
 * the server's queue (x-queue-time), its model call (x-inference-time), and the rest of the time
 * outside the model (network, HTTP, JSON). Null (no chart) when no server sent the headers.
 */
function timeSplitChart(entries: readonly Entry[]): ChartSpec[] {
  const bars = seriesEntries(entries).flatMap((e) =>
    entryLevels(e)
      .filter((s) => s.server_inference_ms !== null && s.outside_model_p50_ms !== null)
      .map((s) => ({ label: `${e.label} · ${s.concurrency} VUs`, s })),
  );
  if (bars.length === 0) return [];
  const queue = (s: ScenarioResult) => s.server_queue_ms?.median ?? 0;
  const parts: [string, string, (s: ScenarioResult) => number][] = [
    ["queue", "#9e9e9e", queue],
    ["model", "#1f77b4", (s) => s.server_inference_ms!.median],
    ["rest outside the model", "#ff7f0e", (s) => Math.max(0, s.outside_model_p50_ms! - queue(s))],
  ];
  return [
    {
      id: "time-split",
      title: "Where the time goes",
      kind: "bar",
      stacked: true,
      xTitle: "",
      yTitle: "ms (medians)",
      labels: bars.map((b) => b.label),
      series: parts.map(([label, color, value]) => ({
        label,
        framework: "",
        run: "",
        style: { color, dash: [] },
        values: bars.map((b) => Number(value(b.s).toFixed(3))),
        flags: bars.map(() => []),
        notes: bars.map((b) => [`latency p50 ${fmt(b.s.latency_ms.median)} ms`]),
      })),
      caption:
        "Per level, the medians of the server's queue (x-queue-time), its model call (x-inference-time) and the rest of each request's time outside the model (latency − x-inference-time − queue: network, HTTP, JSON); docs/results.md defines each.",
    },
  ];
}

function startupChart(entries: readonly Entry[]): ChartSpec {
  const figures = (r: FrameworkResult) => [r.cold_start_ms, r.model_load_time_ms, r.first_inference_ms];
  return {
    id: "startup",
    title: "Cold start, model load and first inference",
    kind: "bar",
    xTitle: "",
    yTitle: "ms",
    labels: ["cold start", "model load", "first inference"],
    series: entries
      .filter((e) => figures(e.result).some((v) => v !== null))
      .map((e) => ({ ...seriesBase(e), values: figures(e.result), flags: [[], [], []], notes: [[], [], []] })),
    caption:
      "Cold start: process start to the first correct embedding. Model load: the server's own figure (GET /info). First inference: the first /embed after /health, seen by the client.",
  };
}

/** The point of a level as the codec names its files: the windows chart of `c4-b8-s128`. */
const stemOf = (s: ScenarioResult) =>
  pointStem({ level: { mode: s.mode, value: s.mode === "open" ? (s.target_rps ?? 0) : s.concurrency }, batchSize: s.batch_size, seqLen: s.seq_len });

/** One chart per operating point that has stored windows: each window's throughput, one series per framework and run. */
function windowCharts(entries: readonly Entry[]): ChartSpec[] {
  const windowed = entries.flatMap((e) =>
    levelsOf(e.result)
      .filter((s) => s.windows.length > 0)
      .map((s) => ({ e, s })),
  );
  const sweep = unique(entries.flatMap((e) => shapesOf(e.result).map(shapeKey))).length > 1;
  const points = [...new Map(windowed.map((w) => [stemOf(w.s), w.s])).values()].sort(comparePoints);
  return points.map((point) => {
    const stem = stemOf(point);
    const at = windowed.filter((w) => stemOf(w.s) === stem);
    const count = Math.max(...at.map((w) => Math.max(...w.s.windows.map((win) => win.index)) + 1));
    const widths = unique(at.map((w) => w.s.stability?.window_s));
    const width = widths.length === 1 ? widths[0] : undefined;
    const series = at.map(({ e, s }): Series => {
      const byIndex = Array.from({ length: count }, (_, i) => s.windows.find((win) => win.index === i));
      return {
        ...seriesBase(e),
        values: byIndex.map((win) => win?.throughput_qps ?? null),
        flags: byIndex.map(() => []),
        notes: byIndex.map((win, i) =>
          win
            ? [
                `p95 ${fmt(win.p95_ms, 2)} ms`,
                `${win.ok_requests} requests`,
                ...(s.stability?.stable_windows.includes(i) ? ["stable: the level's figures come from this window"] : []),
              ]
            : [],
        ),
      };
    });
    return {
      id: `windows-${stem}`,
      title: `${sweep ? describePoint(point) : `Concurrency ${point.concurrency}`}: throughput per window`,
      kind: "line",
      xTitle: width === undefined ? "window" : `window (${width} s each)`,
      yTitle: "requests/s",
      labels: Array.from({ length: count }, (_, i) => String(i + 1)),
      series,
      caption: "The level's complete measurement windows in order; the tooltip says which windows agreed and gave the level's figures.",
    };
  });
}

/** Model × text length: the groups a heatmap and a Pareto chart are drawn for (throughput is only comparable within one). */
function textGroups(entries: readonly Entry[]): { model: string; seqLen: number | null }[] {
  const seen = new Map<string, { model: string; seqLen: number | null }>();
  for (const e of entries)
    for (const s of levelsOf(e.result)) seen.set(`${e.result.model_name}/${s.seq_len ?? 0}`, { model: e.result.model_name, seqLen: s.seq_len });
  return [...seen.values()].sort((a, b) => a.model.localeCompare(b.model) || (a.seqLen ?? 0) - (b.seqLen ?? 0));
}

const groupTitle = (g: { model: string; seqLen: number | null }, models: number) => `${models > 1 ? `${g.model}, ` : ""}${describeTexts(g.seqLen)}`;
const groupId = (g: { model: string; seqLen: number | null }) => `${g.model}-${g.seqLen ?? "texts"}`.replace(/[^A-Za-z0-9._-]/g, "_");

/** The points no other point beats on both throughput (higher) and p95 (lower), in p95 order. */
export function paretoFrontier<T extends { x: number; y: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const frontier: T[] = [];
  for (const p of sorted) if (frontier.length === 0 || p.y > frontier.at(-1)!.y) frontier.push(p);
  return frontier;
}

/**
 * Per model and text length: every closed-loop operating point of every framework (and run) as
 * (p95, embeddings/s), and the frontier of the points no other beats on both.
 */
function paretoCharts(entries: readonly Entry[]): ChartSpec[] {
  const groups = textGroups(entries);
  const models = unique(groups.map((g) => g.model)).length;
  return groups.map((g) => {
    const series: Series[] = entries
      .map((e) => {
        const levels = levelsOf(e.result).filter((s) => e.result.model_name === g.model && s.seq_len === g.seqLen);
        const points: ScatterPoint[] = levels.map((s) => ({
          x: s.latency_ms.p95,
          y: s.embeddings_per_sec,
          label: `${e.label}: ${describePoint(s)}`,
          flags: levelFlags(s),
        }));
        return { ...seriesBase(e), values: [], flags: [], notes: [], points };
      })
      .filter((s) => s.points!.length > 0);
    const all = series.flatMap((s) => s.points!);
    const frontier = paretoFrontier(all).map((p) => ({ ...p, flags: [] }));
    return {
      id: `pareto-${groupId(g)}`,
      title: `Throughput against p95 at every operating point: ${groupTitle(g, models)}`,
      kind: "scatter" as const,
      xTitle: "p95 latency (ms)",
      yTitle: "embeddings/s",
      labels: [],
      series: [
        ...series,
        {
          label: "Pareto frontier",
          framework: "",
          run: "",
          style: { color: "#1f2328", dash: [4, 3] },
          values: [],
          flags: [],
          notes: [],
          points: frontier,
          line: true,
        },
      ],
      caption:
        "Each point is one framework at one batch size and concurrency (closed loop). The dashed line joins the points no other point beats on both throughput and p95: the operating points worth choosing between.",
    };
  });
}

function charts(entries: readonly Entry[]): ChartSpec[] {
  const percentile = (key: "p50" | "p95" | "p99", value: (s: ScenarioResult) => number, trials: (s: ScenarioResult) => TrialFigure | undefined) =>
    levelChart(
      entries,
      {
        id: `latency-${key}`,
        title: `${key} latency vs concurrency`,
        yTitle: "ms",
        caption: `${key} of the successful requests' durations (sent → whole answer received); with trials, their mean and 95 % confidence band.`,
      },
      { value, trials },
    );
  return [
    levelChart(
      entries,
      {
        id: "throughput",
        title: "Throughput vs concurrency",
        yTitle: "requests/s",
        caption: "Successful requests per second; with trials, the trials' mean and a band for its 95 % confidence interval.",
      },
      { value: (s) => s.throughput_qps, trials: (s) => s.trials?.throughput_qps, notes: (s) => [`${fmt(s.embeddings_per_sec)} embeddings/s`] },
    ),
    percentile(
      "p50",
      (s) => s.latency_ms.median,
      (s) => s.trials?.p50_ms,
    ),
    percentile(
      "p95",
      (s) => s.latency_ms.p95,
      (s) => s.trials?.p95_ms,
    ),
    percentile(
      "p99",
      (s) => s.latency_ms.p99,
      (s) => s.trials?.p99_ms,
    ),
    levelChart(
      entries,
      {
        id: "efficiency",
        title: "Embeddings per second per server CPU core",
        yTitle: "embeddings/s per core",
        caption: "Embeddings per second divided by the server's mean CPU in cores (100 % = one core): the work done per core the server actually used.",
      },
      { value: embeddingsPerCore, notes: (s) => [`server CPU ${fmt(s.server_cpu_percent, 0)} %`] },
    ),
    levelChart(
      entries,
      {
        id: "memory",
        title: "Server memory vs concurrency",
        yTitle: "MiB",
        caption: "Mean resident memory (RSS) of the server's process tree over the level; the tooltip gives the peak.",
      },
      { value: (s) => s.server_memory_mb, notes: (s) => [`peak ${fmt(s.server_memory_peak_mb, 0)} MiB`] },
    ),
    startupChart(entries),
    ...timeSplitChart(entries),
    ...paretoCharts(entries),
    ...windowCharts(entries),
  ];
}

/** A colour scale's position, 0 (lowest of the table) to 1 (highest); 0.5 when all are equal. */
const shadeOf = (v: number, lo: number, hi: number) => (hi > lo ? Number(((v - lo) / (hi - lo)).toFixed(3)) : 0.5);

/**
 * Per model and text length, a table of frameworks (rows) × batch sizes (columns): the highest
 * embeddings per second per server core over the closed-loop levels of that batch size, and where.
 */
function heatmapTables(entries: readonly Entry[]): Table[] {
  const groups = textGroups(entries);
  const models = unique(groups.map((g) => g.model)).length;
  return groups.flatMap((g) => {
    const rowsOf = entries.filter((e) => e.result.model_name === g.model);
    const batches = unique(
      rowsOf.flatMap((e) =>
        levelsOf(e.result)
          .filter((s) => s.seq_len === g.seqLen)
          .map((s) => s.batch_size),
      ),
    ).sort((a, b) => a - b);
    const best = (e: Entry, b: number) =>
      levelsOf(e.result)
        .filter((s) => s.seq_len === g.seqLen && s.batch_size === b && embeddingsPerCore(s) !== null)
        .reduce<ScenarioResult | undefined>((a, s) => (!a || embeddingsPerCore(s)! > embeddingsPerCore(a)! ? s : a), undefined);
    const values = rowsOf.flatMap((e) => batches.map((b) => best(e, b)).flatMap((s) => (s ? [embeddingsPerCore(s)!] : [])));
    if (values.length === 0) return [];
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const rows = rowsOf
      .filter((e) => levelsOf(e.result).some((s) => s.seq_len === g.seqLen))
      .map((e) => [
        text(e.label),
        ...batches.map((b): Cell => {
          const s = best(e, b);
          return s ? { text: `${fmt(embeddingsPerCore(s))} @${s.concurrency}`, shade: shadeOf(embeddingsPerCore(s)!, lo, hi) } : text("-");
        }),
      ]);
    return [
      {
        id: `heatmap-${groupId(g)}`,
        title: `Embeddings/s per server core: ${groupTitle(g, models)}`,
        header: ["framework", ...batches.map((b) => `batch ${b}`)],
        rows,
        notes: [
          "Each cell: the highest embeddings per second per core the server used (its mean CPU, 100 % = one core) over the closed-loop levels at that batch size, and @ the concurrency it came from. Darker = higher, within this table.",
        ],
        kind: "heatmap" as const,
      },
    ];
  });
}

/** The verdict per operating point of each run: its leader, whom it is significantly ahead of, whom it cannot be separated from. */
function verdictTable(runs: readonly LoadedRun[]): Table[] {
  const several = runs.length > 1;
  const rows = runs.flatMap((run) =>
    pointVerdicts(run.results).map((v) => {
      const models = unique(run.results.map((r) => r.model_name)).length > 1;
      const clauses = verdictClauses(v);
      return [
        ...(several ? [text(run.id)] : []),
        text(`${models ? `${v.model} · ` : ""}${describePoint(v.level)}`),
        text(v.leader, "ok"),
        text(`${fmt(v.leaderEmbeddingsPerSec)} (${v.trials} trial${v.trials > 1 ? "s" : ""})`),
        text(clauses.join("; ") || "-", v.behind.length > 0 ? "ok" : v.inseparable.length > 0 ? "warn" : undefined),
      ];
    }),
  );
  if (rows.length === 0) return [];
  return [
    {
      id: "verdict",
      title: "Verdict",
      header: [...(several ? ["run"] : []), "operating point", "leader", "embeddings/s", "against the others"],
      rows,
      notes: [
        "Per operating point measured by two or more frameworks (closed loop): the highest mean throughput leads. With trials, Welch's t-test on the trials' throughputs: significantly ahead = p < 0.05; cannot be separated = p ≥ 0.05. With one trial nothing is tested.",
      ],
      kind: "verdict",
    },
  ];
}

function runsTable(runs: readonly LoadedRun[]): Table {
  const rows = runs.map((run) => {
    const rs = run.results;
    const env = rs[0]?.environment;
    const commit = env?.git_commit ? `${env.git_commit.slice(0, 12)}${env.git_dirty ? " (dirty)" : ""}` : "-";
    return [
      run.id,
      unique(rs.map((r) => r.model_name)).join(", "),
      rs.map((r) => r.framework).join(", "),
      unique(rs.map((r) => r.profile)).join(", "),
      rs.map((r) => r.started_at).sort()[0] ?? "-",
      commit,
      env ? `${env.hostname} (${env.cpu_model}, ${env.cpu_count} CPUs)` : "-",
    ].map((t) => text(t));
  });
  return { id: "runs", title: "Runs", header: ["run", "model", "frameworks", "profile", "started", "commit", "machine"], rows, notes: [] };
}

function verificationTable(entries: readonly Entry[]): Table {
  const rows = entries.map(({ label, result: r }) => {
    const v = r.verification;
    if (!v)
      return [
        text(label),
        text("not reached", "bad"),
        ...["-", "-", "-", "-", "-"].map((t) => text(t)),
        text(r.failure ?? "the server never answered a probe"),
      ];
    return [
      text(label),
      v.passed ? text("pass", "ok") : text("fail", "bad"),
      text(fmt(v.min_cosine, 6)),
      text(fmt(v.min_cosine_required, 4)),
      text(v.precision ?? "-"),
      text(v.max_norm_error === null ? "-" : v.max_norm_error.toExponential(1)),
      text(String(v.probes)),
      text(v.reason ?? ""),
    ];
  });
  const synthetic = entries.filter((e) => e.result.synthetic_weights).map((e) => e.label);
  return {
    id: "verification",
    title: "Verification",
    header: ["framework", "verdict", "min cosine", "required", "precision", "max norm error", "probes", "reason"],
    rows,
    notes: [
      "Each server's embeddings of the model's probe texts against the fp32 reference, before any load; a server that fails is not load-tested.",
      ...(synthetic.length ? [`SYNTHETIC weights (performance only, never quality): ${synthetic.join(", ")}`] : []),
    ],
  };
}

function levelsTable(entries: readonly Entry[]): Table {
  const rows = entries.flatMap(({ label, result }) =>
    [...levelsOf(result), ...openLevelsOf(result)].map((s) => {
      const flags = levelFlags(s);
      const qps = s.trials ? `${fmt(s.trials.throughput_qps.mean)} ± ${fmt(s.trials.throughput_qps.ci95)}` : fmt(s.throughput_qps);
      return [
        text(label),
        text(String(s.batch_size)),
        text(s.seq_len === null ? "-" : String(s.seq_len)),
        text(
          s.mode === "open" ? `${s.target_rps} req/s open loop (achieved ${fmt(s.achieved_rps)}, dropped ${s.dropped_iterations ?? 0})` : String(s.concurrency),
        ),
        text(qps),
        text(fmt(s.latency_ms.median, 2)),
        text(fmt(s.latency_ms.p95, 2)),
        text(fmt(s.latency_ms.p99, 2)),
        text(String(s.errors), s.errors > 0 ? "bad" : undefined),
        text(fmt(s.server_cpu_percent, 0)),
        text(fmt(s.server_memory_mb, 0)),
        text(fmt(embeddingsPerCore(s))),
        text(fmt(s.embeddings_per_sec)),
        text(s.input_tokens_per_sec === null ? "not counted" : fmt(s.input_tokens_per_sec, 0)),
        text(s.batching_speedup === null ? "-" : `${s.batching_speedup.toFixed(2)}×`),
        text(fmt(s.memory_per_1k_embeddings_mb)),
        flags.length ? text(flags.join(", "), "warn") : text(s.validity ? "ok" : "-", s.validity ? "ok" : undefined),
      ];
    }),
  );
  return {
    id: "levels",
    title: "Levels and their validity flags",
    header: [
      "framework",
      "batch",
      "tokens",
      "level (VUs or rate)",
      "requests/s",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "errors",
      "server CPU %",
      "server MiB",
      "embeddings/s per core",
      "embeddings/s",
      "input tokens/s",
      "batching speed-up",
      "MiB per 1k embeddings",
      "flags",
    ],
    rows,
    notes: [
      "Flags: saturated = an open-loop level's achieved rate fell short of its target by more than the profile's tolerance; stalled = the server completed no request for a while; unstable = the windows never agreed; client-bound = the load engine's CPUs were 90 % or more busy; " +
        "noisy = other processes used more than 20 % of a CPU; too few samples = under 1,000 successful requests, too few for p99; ended early = the level was stopped before its duration.",
      "requests/s with trials: mean ± 95 % confidence half-width.",
      "tokens: what every text was cut to with the model's tokenizer (- = not cut). input tokens/s = embeddings/s × the dataset's tokens per text as the model sees them (not counted for texts without a count). " +
        "batching speed-up = embeddings/s ÷ embeddings/s at batch 1, same framework, model, text length and concurrency. MiB per 1k embeddings = (peak RSS in the level − idle RSS after warm-up) × 1000 ÷ (requests in flight × batch). docs/results.md defines each.",
    ],
  };
}

const cpuSets = (c: FrameworkResult["environment"]["cpu_sets"]) => (c ? `${c.mode}; server ${c.server ?? "all"}, load engine ${c.client ?? "all"}` : "-");

const ENV_FIELDS: [string, (r: FrameworkResult) => string][] = [
  ["host", (r) => r.environment.hostname],
  ["OS", (r) => [r.environment.os, r.environment.kernel].filter(Boolean).join(" ")],
  ["CPU", (r) => `${r.environment.cpu_model} (${r.environment.cpu_count} CPUs)`],
  ["CPU extensions", (r) => r.environment.cpu_flags?.join(" ") || "-"],
  ["CPU governor", (r) => r.environment.cpu_governor ?? "-"],
  ["memory", (r) => `${fmt(r.environment.memory_total_mb, 0)} MiB`],
  ["CPU sets", (r) => cpuSets(r.environment.cpu_sets)],
  ["load engine", (r) => engineOf(r)],
  ["Node.js", (r) => r.environment.node_version],
  ["commit", (r) => (r.environment.git_commit ? `${r.environment.git_commit}${r.environment.git_dirty ? " (dirty)" : ""}` : "-")],
  ["config hash", (r) => r.environment.config_hash ?? "-"],
  ["load average at start", (r) => r.environment.load_average_start?.map((l) => l.toFixed(2)).join(" ") ?? "-"],
  ["model", (r) => `${r.model_name}${r.synthetic_weights ? " (SYNTHETIC weights)" : ""}`],
  ["profile, dataset", (r) => `${r.profile}, ${r.dataset}`],
  ["command", (r) => r.environment.argv?.join(" ") ?? "-"],
];

/** One column per run, from its first framework's stamp; frameworks of a run that differ are noted. */
function environmentTable(runs: readonly LoadedRun[]): Table {
  const stamped = runs.filter((r) => r.results.length > 0);
  return {
    id: "environment",
    title: "Environment",
    header: ["", ...stamped.map((r) => r.id)],
    rows: ENV_FIELDS.map(([name, get]) => [text(name), ...stamped.map((r) => text(get(r.results[0]!)))]),
    notes: stamped.flatMap((r) => mixedProvenance(r.results).map((w) => `${r.id}: ${w}`)),
  };
}

/** --slo: each framework's capacity and the rates its search tried; no table without --slo. */
function capacityTable(entries: readonly Entry[]): Table[] {
  const searched = entries.flatMap((e) => (e.result.capacity_at_slo ?? []).map((c) => ({ label: e.label, c })));
  if (searched.length === 0) return [];
  const rows = searched.map(({ label, c }) => {
    return [
      text(label),
      text(`batch ${c.batch_size}${c.seq_len === null ? "" : ` · ${c.seq_len} tokens`}`),
      text(c.slo),
      text(c.capacity_rps === null ? "none" : `${c.capacity_rps} req/s`, c.capacity_rps === null ? "bad" : "ok"),
      text(c.lowest_failing_rps === null ? "-" : `${c.lowest_failing_rps} req/s`),
      text(c.tried.map((t) => `${t.rate_rps} ${t.passed ? "pass" : "fail"} (${t.reason})`).join("; ")),
    ];
  });
  return [
    {
      id: "capacity",
      title: "Capacity at SLO",
      header: ["framework", "operating point", "objective", "capacity", "lowest failing", "rates tried"],
      rows,
      notes: [
        "The highest open-loop arrival rate tried whose level met the objective; a saturated level fails whatever its latency. The search doubles or halves from its start, then bisects, within a step budget.",
      ],
    },
  ];
}

function failuresTable(entries: readonly Entry[]): Table[] {
  const failed = entries.filter((e) => e.result.status !== "completed");
  if (failed.length === 0) return [];
  const rows = failed.map((e) => [text(e.label), text(e.result.status, "bad"), text(e.result.failure ?? "")]);
  return [{ id: "failures", title: "Frameworks that did not complete", header: ["framework", "status", "why"], rows, notes: [] }];
}

export function buildReport(runs: readonly LoadedRun[], generatedAt: Date): Report {
  const entries = entriesOf(runs);
  return {
    title: `embedding-bench report: ${runs.map((r) => r.id).join(" vs ")}`,
    generatedAt: generatedAt.toISOString(),
    synthetic: entries.some((e) => e.result.synthetic_weights),
    // A chart with no series (every framework failed before its first level) is left out.
    charts: charts(entries).filter((c) => c.series.length > 0),
    tables: [
      ...verdictTable(runs),
      runsTable(runs),
      ...heatmapTables(entries),
      verificationTable(entries),
      ...failuresTable(entries),
      levelsTable(entries),
      ...capacityTable(entries),
      environmentTable(runs),
    ],
    problems: runs.flatMap((r) => r.problems),
  };
}
