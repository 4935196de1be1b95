// `npm run compare -- <run A> <run B> [--json] [--fail-on-regression <pct>]`: how run B's figures
// changed from run A's, per framework and level (orchestrator/results/run-comparison.ts).
import { compareHelpText, parseCompareArgs } from "../plan/compare-options.ts";
import { runMain } from "../platform/errors.ts";
import { log } from "../platform/log.ts";
import { renderComparison } from "../outputs/comparison-text.ts";
import { compareRuns, RunComparison } from "../results/run-comparison.ts";
import { describeRun, runDifferences, openStore, resolveRun, type RunInfo } from "../store/history.ts";
import type { RunFolder } from "../store/folders.ts";
import type { FrameworkResult } from "../results/schema.ts";

const runLine = (label: string, r: RunInfo) =>
  `Run ${label}: ${r.id}  ${r.started_at?.slice(0, 16).replace("T", " ") ?? "-"} UTC  profile ${r.profiles.join(", ") || "-"}  commit ${r.commits.join(", ") || "-"}  on ${r.machines.join(", ") || "-"}`;

/** A run's results (of `model`, or of every model in it), with its description; unreadable files are warned about. */
function resultsOf(layout: RunFolder, model: string | undefined): { info: RunInfo; results: FrameworkResult[] } {
  const info = describeRun(layout);
  for (const p of info.problems) log.warn(p);
  const models = model !== undefined ? [model] : layout.models();
  return { info, results: models.flatMap((m) => layout.loadResults(m).results) };
}

runMain(async (argv) => {
  const { options, runs } = parseCompareArgs(argv);
  if (runs === null) {
    process.stdout.write(compareHelpText());
    return 0;
  }
  const store = openStore(options.results_dir, log.warn);
  const [a, b] = [resultsOf(resolveRun(store, runs[0]), options.model), resultsOf(resolveRun(store, runs[1]), options.model)];
  for (const d of runDifferences(a.info, b.info)) log.warn(d);
  const cmp = compareRuns(
    { id: a.info.id, results: a.results },
    { id: b.info.id, results: b.results },
    { thresholdPct: options.fail_on_regression ?? null, pairs: options.pair ?? [] },
  );
  if (options.json) console.log(JSON.stringify(RunComparison.parse(cmp), null, 2));
  else console.log([runLine("A", a.info), runLine("B", b.info), "", renderComparison(cmp)].join("\n"));
  return cmp.regressions.length > 0 ? 1 : 0;
});
