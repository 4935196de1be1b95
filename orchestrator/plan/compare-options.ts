// Options of `npm run compare -- <run A> <run B>`: one zod schema gives parsing (./flags.ts),
// validation, types and the --help text.
import { z } from "zod";
import { UserError } from "../platform/errors.ts";
import { flagSpecs, flagsHelp, parseFlags } from "./flags.ts";

export const CompareOptions = z
  .object({
    json: z.boolean().default(false).describe("print the comparison as JSON (RunComparison in orchestrator/results/run-comparison.ts) instead of a table"),
    fail_on_regression: z
      .number()
      .positive()
      .optional()
      .meta({ placeholder: "pct" })
      .describe(
        "exit 1 when a figure of run B (throughput, p50, p95, p99) is worse than run A's by more than <pct> percent and the change is significant " +
          "(Welch, p < 0.05, when both runs have trials) or untested (no trials: the threshold alone decides)",
      ),
    pair: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ placeholder: "a=b" })
      .describe("compare framework a of run A with framework b of run B, e.g. onnx-python=onnx-python-next (default: frameworks of the same name)"),
    model: z.string().min(1).optional().describe("compare only this model's results (default: every model the runs hold)"),
    results_dir: z.string().min(1).default("results").describe("where the runs are kept, as for bench:k6"),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type CompareOptions = z.infer<typeof CompareOptions>;

const USAGE = "npm run compare -- <run A> <run B> [options]";

/** The options and the two run references (ids from `bench:k6 -- --runs`, or latest). */
export function parseCompareArgs(argv: readonly string[]): { options: CompareOptions; runs: [string, string] | null } {
  const { options, positionals } = parseFlags(CompareOptions, argv, { maxPositionals: 2, helpHint: "see --help" });
  if (options.help) return { options, runs: null };
  if (positionals.length < 2) throw new UserError(`compare needs two runs: ${USAGE} (run ids from npm run bench:k6 -- --runs, or latest)`);
  return { options, runs: [positionals[0]!, positionals[1]!] };
}

export function compareHelpText(): string {
  return [
    `Usage: ${USAGE}`,
    "",
    "Per framework and level, the change from run A to run B in throughput and p50/p95/p99 latency, with",
    "significance where both runs have trials (--trials 2 or more). A run is an id from",
    "`npm run bench:k6 -- --runs`, or latest. Exit status: 0, 1 with --fail-on-regression when a regression",
    "beyond it exists, 2 for bad input.",
    "",
    "Options:",
    ...flagsHelp(flagSpecs(CompareOptions)),
    "",
  ].join("\n");
}
