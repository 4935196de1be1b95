// Finding runs, loading their results and writing the HTML report. The pure parts are data.ts
// (results → charts and tables) and html.ts (the page); this file does the reading and writing.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../../platform/errors.ts";
import { log } from "../../platform/log.ts";
import { ROOT } from "../../platform/paths.ts";
import { runCommand } from "../../platform/proc.ts";
import { loadRun, resolveRun } from "../../store/history.ts";
import { RunFolder, type ResultsStore } from "../../store/folders.ts";
import { writeFileAtomic } from "../../store/atomic.ts";
import { buildReport, type LoadedRun } from "./data.ts";
import { renderReportHtml } from "./html.ts";

export interface RunRef {
  id: string;
  dir: string;
}

const PAGE_SCRIPT = path.join(ROOT, "build", "report-page.js");

/** The runs named, each as `runs/<id>` of the results folder; with none, the latest. */
export function resolveRuns(store: ResultsStore, ids: readonly string[]): RunRef[] {
  const layouts = (ids.length === 0 ? ["latest"] : ids).map((id) => resolveRun(store, id));
  return layouts.map((layout) => ({ id: layout.runId, dir: layout.root }));
}

/** Every model's results in a run folder; files that do not parse are kept as problems, not dropped silently. */
export function loadReportRun(run: RunRef): LoadedRun {
  const { results, problems } = loadRun(new RunFolder(run.dir));
  if (results.length === 0) throw new UserError(`run ${run.id}: no results in ${run.dir}${problems.length ? `\n${problems.join("\n")}` : ""}`);
  return { id: run.id, results, problems };
}

/** The page's script; built on demand, as the orchestrator builds the k6 script. */
async function pageScript(): Promise<string> {
  if (!existsSync(PAGE_SCRIPT)) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  return readFileSync(PAGE_SCRIPT, "utf8");
}

/** Writes the report of these runs to `out`; returns its path. */
export async function writeReport(runs: readonly RunRef[], out: string): Promise<string> {
  const loaded = runs.map(loadReportRun);
  for (const p of loaded.flatMap((r) => r.problems)) log.warn(p);
  const file = path.resolve(out);
  writeFileAtomic(file, renderReportHtml(buildReport(loaded, new Date()), await pageScript()));
  return file;
}

/** The default file: report.html in the run's folder, or reports/<a>_vs_<b>.html beside runs/ for several runs. */
export function defaultReportFile(store: ResultsStore, runs: readonly RunRef[]): string {
  return runs.length === 1 ? new RunFolder(runs[0]!.dir).reportFile() : store.comparisonReportFile(runs.map((r) => r.id));
}

/** At the end of a run: its report.html in the run's folder, and the path printed. */
export async function writeRunReport(layout: RunFolder, runId: string): Promise<string> {
  const file = await writeReport([{ id: runId, dir: layout.root }], layout.reportFile());
  log.step(`report: ${file}`);
  return file;
}
