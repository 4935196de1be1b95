// `npm run report -- [run_id …] [options]`: one zod schema gives parsing (through ../cli/flags.ts),
// validation, types and --help.
import { z } from "zod";
import { flagSpecs, flagsHelp, parseFlags } from "./flags.ts";

export const ReportOptions = z
  .object({
    results_dir: z.string().min(1).default("results").describe("folder holding runs/<run_id>/ and latest").meta({ placeholder: "dir" }),
    out: z
      .string()
      .min(1)
      .optional()
      .describe("HTML file to write (default: report.html in the run's folder; for several runs, <results-dir>/reports/<a>_vs_<b>.html)")
      .meta({ placeholder: "file" }),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type ReportOptions = z.infer<typeof ReportOptions>;

export interface ReportArgs {
  runIds: string[];
  options: ReportOptions;
}

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  const { options, positionals } = parseFlags(ReportOptions, argv, { maxPositionals: Number.POSITIVE_INFINITY, helpHint: "see npm run report -- --help" });
  return { runIds: positionals, options };
}

export function reportHelpText(): string {
  return [
    "Usage: npm run report -- [run_id …] [options]",
    "",
    "Writes one self-contained HTML file (charts and tables; no network, opens from disk) for the runs",
    "under <results-dir>/runs/. No run id: the newest run (<results-dir>/latest). Several: overlaid.",
    "",
    "Options:",
    ...flagsHelp(flagSpecs(ReportOptions)),
    "",
  ].join("\n");
}
