import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { formatZodIssues } from "../platform/errors.ts";
import { FrameworkResult } from "../results/schema.ts";

import { writeFileAtomic } from "./atomic.ts";

const trialSuffix = (trial: number | undefined) => (trial === undefined ? "" : `.trial-${trial}`);

/** Top-level names of the results folder that belong to the suite itself, never a model of an old layout. */
const RESERVED = new Set(["runs", "latest", "overhead"]);
const LEGACY_CSV = /^benchmark_results_\d{8}_\d{6}\.csv$/;

/**
 * Owns every path at the top of the results folder (`--results-dir`): the run history
 * (`runs/<run_id>/`), the `latest` pointer, bench:overhead runs, and what older versions left there.
 * Below a run's folder, RunFolder owns the paths. Nothing else in the suite builds a path here.
 */
export class ResultsStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get runsDir(): string {
    return path.join(this.root, "runs");
  }

  /** A symlink to `runs/<run_id>` (or, where the filesystem has no symlinks, a file holding the id). */
  get latest(): string {
    return path.join(this.root, "latest");
  }

  runDir(runId: string): string {
    return path.join(this.runsDir, runId);
  }

  run(runId: string): RunFolder {
    return new RunFolder(this.runDir(runId));
  }

  /** Run ids present under runs/, unsorted. */
  runIds(): string[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  }

  /** A report that overlays several runs: `reports/<a>_vs_<b>.html`. */
  comparisonReportFile(runIds: readonly string[]): string {
    return path.join(this.root, "reports", `${runIds.join("_vs_")}.html`);
  }

  /** bench:overhead's runs: a results tree of their own each, outside the run history. */
  overheadDir(runId: string): string {
    return path.join(this.root, "overhead", runId);
  }

  /** Folders and CSV files at the top that an older version wrote there (results/<model>/…), as candidates for migration. */
  legacyEntries(): { modelDirs: string[]; csvFiles: string[] } {
    if (!existsSync(this.root)) return { modelDirs: [], csvFiles: [] };
    const entries = readdirSync(this.root, { withFileTypes: true }).filter((e) => !RESERVED.has(e.name));
    return {
      modelDirs: entries.filter((e) => e.isDirectory()).map((e) => path.join(this.root, e.name)),
      csvFiles: entries.filter((e) => e.isFile() && LEGACY_CSV.test(e.name)).map((e) => path.join(this.root, e.name)),
    };
  }
}

/**
 * Owns every path inside one run's folder (`<results-dir>/runs/<run_id>/`, or a bench:overhead run):
 * result files, server logs, the engine's level files and CSV exports.
 */
export class RunFolder {
  readonly root: string;
  private onLevel: (() => void) | undefined;

  /** `onFirstLevel` runs once, when a result holding a finished level is first saved (bench:k6 points `latest` then). */
  constructor(root: string, onFirstLevel?: () => void) {
    this.root = path.resolve(root);
    this.onLevel = onFirstLevel;
  }

  /** Marks a run in progress: which process writes it (store/history.ts). Removed when the run ends. */
  ownerFile(): string {
    return path.join(this.root, ".in-progress.json");
  }

  /** The run id: the folder's name. */
  get runId(): string {
    return path.basename(this.root);
  }

  modelDir(model: string): string {
    return path.join(this.root, model);
  }

  resultFile(model: string, framework: string): string {
    return path.join(this.modelDir(model), `${framework}.json`);
  }

  /** With trials, each trial's log is its own: `<framework>.trial-<t>.log`. */
  serverLog(model: string, framework: string, trial?: number): string {
    return path.join(this.modelDir(model), "logs", `${framework}${trialSuffix(trial)}.log`);
  }

  /**
   * The load engine's files of one level, under <model>/levels/: its end-of-level document, its full
   * output and (k6 only, on request) its web-dashboard report; `<framework>-c<N>` for N VUs (closed
   * loop), `<framework>-r<N>` for N req/s (open loop): the stem is the level codec's (plan/level-key.ts).
   */
  levelFiles(model: string, framework: string, stem: string, trial?: number): { summary: string; log: string; report: string } {
    const base = path.join(this.modelDir(model), "levels", `${framework}-${stem}${trialSuffix(trial)}`);
    return { summary: `${base}.summary.json`, log: `${base}.log`, report: `${base}.report.html` };
  }

  /** `--layout auto`'s probe of one layout (e.g. `1x2`): the server's log and the engine's files, under <model>/layout-probe/. */
  probeFiles(model: string, framework: string, layout: string): { serverLog: string; level: { summary: string; log: string; report: string } } {
    const base = path.join(this.modelDir(model), "layout-probe", `${framework}-${layout}`);
    return { serverLog: `${base}.server.log`, level: { summary: `${base}.summary.json`, log: `${base}.engine.log`, report: `${base}.report.html` } };
  }

  /** benchmark_results_<YYYYMMDD>_<HHMMSS>.csv, the seed's name for a CSV export. */
  csvFile(at: Date): string {
    const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
    return path.join(this.root, `benchmark_results_${stamp}.csv`);
  }

  /** The HTML report of the results under this root (`npm run report`, or the end of a run). */
  reportFile(): string {
    return path.join(this.root, "report.html");
  }

  /** The models with a results folder here: every folder holding a <framework>.json. */
  models(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && readdirSync(path.join(this.root, d.name)).some((f) => f.endsWith(".json")))
      .map((d) => d.name)
      .sort();
  }

  /** One trial's result, beside the combined one but outside the folder loadResults reads. */
  trialFile(model: string, framework: string, trial: number): string {
    return path.join(this.modelDir(model), "trials", `${framework}${trialSuffix(trial)}.json`);
  }

  saveResult(result: FrameworkResult, trial?: number): string {
    const file = trial === undefined ? this.resultFile(result.model_name, result.framework) : this.trialFile(result.model_name, result.framework, trial);
    writeFileAtomic(file, `${JSON.stringify(FrameworkResult.parse(result), null, 2)}\n`);
    if (this.onLevel && Object.keys(result.scenarios).length > 0) {
      const once = this.onLevel;
      this.onLevel = undefined;
      once();
    }
    return file;
  }

  /** Every result file of the run: each model's <framework>.json and each trial's. */
  resultFiles(): string[] {
    if (!existsSync(this.root)) return [];
    const jsonIn = (dir: string) =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith(".json"))
            .map((f) => path.join(dir, f))
        : [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => [...jsonIn(path.join(this.root, d.name)), ...jsonIn(path.join(this.root, d.name, "trials"))]);
  }

  /** Every <framework>.json of a model, validated; files that do not match the schema are reported, not skipped silently. */
  loadResults(model: string): { results: FrameworkResult[]; problems: string[] } {
    const dir = this.modelDir(model);
    const results: FrameworkResult[] = [];
    const problems: string[] = [];
    if (!existsSync(dir)) return { results, problems };
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".json")) continue;
      const file = path.join(dir, name);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        problems.push(`${file}: not JSON (${(err as Error).message})`);
        continue;
      }
      const parsed = FrameworkResult.safeParse(raw);
      if (parsed.success) results.push(parsed.data);
      else problems.push(formatZodIssues(file, parsed.error));
    }
    return { results, problems };
  }
}
