// What the benchmark scripts share: bench:k6 run as a user runs it (the CLI, one results folder of
// their own), and its results read back through the run history.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { cliArgs } from "../orchestrator/platform/bundle.ts";
import { UserError } from "../orchestrator/platform/errors.ts";
import { ROOT } from "../orchestrator/platform/paths.ts";
import { resolveRun } from "../orchestrator/store/history.ts";
import { ResultsStore, type RunFolder } from "../orchestrator/store/folders.ts";
import { FrameworkResult } from "../orchestrator/results/schema.ts";

/** Runs bench:k6 with `args` into `resultsDir` (its progress on this stderr); resolves its exit code. */
export function runBench(args: string[], resultsDir: string, signal: AbortSignal): Promise<number> {
  const child = spawn(process.execPath, [...cliArgs(ROOT, "orchestrator/main/bench.ts"), ...args, "--results-dir", resultsDir], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    signal,
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** The newest run in `resultsDir`. */
export const latestRunIn = (resultsDir: string): RunFolder => resolveRun(new ResultsStore(resultsDir), "latest");

export const readResult = (file: string): FrameworkResult => FrameworkResult.parse(JSON.parse(readFileSync(file, "utf8")));

/**
 * The script's options: a mistyped or unknown one is one line and exit 2, listing the options there are.
 * `--help` lists them and exits 0, after the other arguments were checked (the docs check relies on that).
 * A repeatable option is given once per value: `--frameworks onnx-python --frameworks onnx-rust`.
 */
export function scriptArgs<T extends ParseArgsConfig & { options: NonNullable<ParseArgsConfig["options"]> }>(
  config: T,
): ReturnType<typeof parseArgs<T>>["values"] {
  const known = Object.entries(config.options).map(
    ([name, o]) => `--${name}${o.multiple ? " (repeatable)" : ""}${o.default !== undefined ? ` (default ${[o.default].flat().join(" ")})` : ""}`,
  );
  const args = config.args ?? process.argv.slice(2);
  const help = args.includes("--help");
  try {
    const { values } = parseArgs({ ...config, args: args.filter((a) => a !== "--help") });
    if (help) {
      console.log(`Options: ${known.join(", ")}`);
      process.exit(0);
    }
    return values;
  } catch (err) {
    throw new UserError(`${(err as Error).message}; the options are ${known.join(", ")}`);
  }
}
