// Finding runs, loading their results and writing the HTML report. The pure parts are data.ts
// (results → charts and tables) and html.ts (the page); this file does the reading and writing.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { unknownName } from "../cli/suggest.ts";
import { UserError } from "../errors.ts";
import { log } from "../log.ts";
import { ROOT } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { ResultsLayout, writeFileAtomic } from "../results/layout.ts";
import { buildReport, type LoadedRun } from "./data.ts";
import { renderReportHtml } from "./html.ts";

export interface RunRef {
  id: string;
  dir: string;
}

const PAGE_SCRIPT = path.join(ROOT, "build", "report-page.js");

/**
 * `<results-dir>/runs/<id>` for each id; with none, the newest run: what `<results-dir>/latest`
 * points at, else the most recently written folder under runs/.
 */
export function resolveRuns(resultsDir: string, ids: readonly string[]): RunRef[] {
  const runsDir = path.join(path.resolve(resultsDir), "runs");
  const known = existsSync(runsDir) ? readdirSync(runsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  if (ids.length === 0) return [newestRun(resultsDir, runsDir, known)];
  return ids.map((id) => {
    if (id !== path.basename(id) || id === "." || id === "..") throw new UserError(`run id '${id}': a run id is a folder name under ${runsDir}, not a path`);
    if (!known.includes(id)) throw unknownName("run", id, [...known].sort(), runsDir);
    return { id, dir: path.join(runsDir, id) };
  });
}

function newestRun(resultsDir: string, runsDir: string, known: readonly string[]): RunRef {
  const latest = path.join(path.resolve(resultsDir), "latest");
  if (existsSync(latest)) {
    const dir = realpathSync(latest);
    return { id: path.basename(dir), dir };
  }
  const newest = [...known].sort((a, b) => statSync(path.join(runsDir, b)).mtimeMs - statSync(path.join(runsDir, a)).mtimeMs)[0];
  if (newest === undefined) throw new UserError(`no runs in ${runsDir}: run npm run bench:k6 first, or pass --results-dir`);
  return { id: newest, dir: path.join(runsDir, newest) };
}

/** Every model's results in a run folder; files that do not parse are kept as problems, not dropped silently. */
export function loadRun(run: RunRef): LoadedRun {
  const layout = new ResultsLayout(run.dir);
  const loaded = layout.models().map((model) => layout.loadResults(model));
  const results = loaded.flatMap((l) => l.results);
  const problems = loaded.flatMap((l) => l.problems);
  if (results.length === 0) throw new UserError(`run ${run.id}: no results in ${run.dir}${problems.length ? `\n${problems.join("\n")}` : ""}`);
  return { id: run.id, results, problems };
}

/** The page's script; built on demand, as the orchestrator builds the k6 scenario. */
async function pageScript(): Promise<string> {
  if (!existsSync(PAGE_SCRIPT)) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  return readFileSync(PAGE_SCRIPT, "utf8");
}

/** Writes the report of these runs to `out`; returns its path. */
export async function writeReport(runs: readonly RunRef[], out: string): Promise<string> {
  const loaded = runs.map(loadRun);
  for (const p of loaded.flatMap((r) => r.problems)) log.warn(p);
  const file = path.resolve(out);
  writeFileAtomic(file, renderReportHtml(buildReport(loaded, new Date()), await pageScript()));
  return file;
}

/** The default file: report.html in the run's folder, or reports/<a>_vs_<b>.html beside runs/ for several runs. */
export function defaultReportFile(resultsDir: string, runs: readonly RunRef[]): string {
  return runs.length === 1 ? new ResultsLayout(runs[0]!.dir).reportFile() : new ResultsLayout(resultsDir).comparisonReportFile(runs.map((r) => r.id));
}

/** At the end of a run: its report.html in the run's folder, and the path printed. */
export async function writeRunReport(layout: ResultsLayout, runId: string): Promise<string> {
  const file = await writeReport([{ id: runId, dir: layout.root }], layout.reportFile());
  log.step(`report: ${file}`);
  return file;
}
