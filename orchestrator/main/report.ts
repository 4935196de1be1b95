// `npm run report -- [run_id …]`: the HTML report of one run, or of several overlaid.
import { runMain } from "../platform/errors.ts";
import { log } from "../platform/log.ts";
import { openStore } from "../store/history.ts";
import { ensureWritableFile } from "../store/writable.ts";
import { parseReportArgs, reportHelpText } from "../plan/report-options.ts";
import { defaultReportFile, resolveRuns, writeReport } from "../outputs/report/write-report.ts";

runMain(async (argv) => {
  const { runIds, options } = parseReportArgs(argv);
  if (options.help) {
    process.stdout.write(reportHelpText());
    return 0;
  }
  const store = openStore(options.results_dir, log.warn);
  const runs = resolveRuns(store, runIds);
  const out = options.out ?? defaultReportFile(store, runs);
  ensureWritableFile(out, options.out ? "--out" : "the report's file", "report.html");
  const file = await writeReport(runs, out);
  log.step(`report of ${runs.map((r) => r.id).join(", ")}`);
  console.log(file);
  return 0;
});
