// bench:k6's run history: --runs lists the runs kept, --summary-only [--run <id>] prints one again.
import { writeCsv } from "../outputs/csv.ts";
import { renderRuns } from "../outputs/runs-table.ts";
import { mixedProvenance, renderSummary } from "../outputs/summary.ts";
import type { CliOptions } from "../plan/bench-options.ts";
import { log } from "../platform/log.ts";
import type { FrameworkResult } from "../results/schema.ts";
import type { ResultsStore } from "../store/folders.ts";
import { latestRunId, listRuns, resolveRun } from "../store/history.ts";

export function printRuns(store: ResultsStore): number {
  const runs = listRuns(store);
  for (const p of runs.flatMap((r) => r.problems)) log.warn(p);
  if (runs.length === 0) {
    console.log(`no runs in ${store.runsDir} yet`);
    return 0;
  }
  console.log(renderRuns(runs, latestRunId(store)));
  console.log("\n* = latest. Re-print one: --summary-only --run <id>; compare two: npm run compare -- <run A> <run B>");
  return 0;
}

/** The summary of a stored run (latest unless --run says which), of the --model keys or of every model in it. */
export function summaryOnly(opts: CliOptions, store: ResultsStore): number {
  const layout = resolveRun(store, opts.run ?? "latest");
  log.step(`run ${layout.runId}: ${layout.root}`);
  const models = opts.model ?? layout.models();
  const all: FrameworkResult[] = [];
  for (const model of models) {
    const { results, problems } = layout.loadResults(model);
    for (const p of [...problems, ...mixedProvenance(results)]) log.warn(p);
    if (results.length > 0) console.log(renderSummary(model, results));
    all.push(...results);
  }
  if (all.length === 0) {
    log.error(`no results${opts.model !== undefined ? ` for ${opts.model.join(", ")}` : ""} in run ${layout.runId} (${layout.root})`);
    return 1;
  }
  writeCsv(opts.csv, layout, all);
  return 0;
}
