// The suite's one error model. A UserError is something the user can fix (a flag, a config file, a
// missing package, an unreachable database): one clear message, exit 2, no stack trace. Anything
// else is a bug and keeps its stack (exit 1). Every CLI enters through runMain.
import type { z } from "zod";
import { log } from "./log.ts";

export class UserError extends Error {
  override name = "UserError";
}

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;
/** Exit status of a run stopped by SIGTERM (128 + SIGTERM), as a shell reports a process that SIGTERM ended. */
export const EXIT_TERMINATED = 143;

/** 128 + the signal's number: what a run stopped by `sig` exits with. */
export function exitStatusOf(sig: NodeJS.Signals | undefined): number {
  return sig === "SIGTERM" ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/** The abort reason runMain gives its signal: which signal stopped the run. */
export class Interrupted extends UserError {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
  }
}

/**
 * One line per zod issue: `<where>: <field>: <message>`. `field` names the issue's path the way the
 * user wrote it (a YAML path by default; a CLI flag when `fieldName` says so).
 */
export function formatZodIssues(where: string | undefined, error: z.ZodError, fieldName: (path: readonly PropertyKey[]) => string = yamlPath): string {
  return error.issues.map((issue) => [where, fieldName(issue.path), issueText(issue)].filter((s) => s !== undefined && s !== "").join(": ")).join("\n");
}

/** zod says only "Invalid key in record" for a bad key; what the key broke is in its nested issues. */
function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_key") return issue.message;
  return `${issue.message}: ${issue.issues.map((i) => i.message).join("; ")}`;
}

function yamlPath(p: readonly PropertyKey[]): string {
  return p.length > 0 ? p.map(String).join(".") : "(top level)";
}

export interface MainContext {
  /** Aborted on the first SIGINT/SIGTERM; everything long-running takes it. */
  signal: AbortSignal;
}

export type Main = (argv: string[], ctx: MainContext) => Promise<number>;

/**
 * Runs a CLI's main with the shared signal handling and error-to-exit-code mapping.
 * First Ctrl-C or SIGTERM: abort the signal (the work stops cleanly and keeps what is finished); the
 * exit status is then 130 (SIGINT) or 143 (SIGTERM). A second one more than 1.5 s later forces that
 * exit at once: Ctrl-C arrives twice at once when npm/tsx forward it.
 */
export function runMain(main: Main, argv: string[] = process.argv.slice(2)): void {
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (firstSignalAt > 0) {
      if (Date.now() - firstSignalAt < 1500) return;
      log.error(`second ${sig}: exiting now`);
      process.exit(exitStatusOf(sig));
    }
    firstSignalAt = Date.now();
    log.warn(`${sig}: stopping (finished work is kept); press again to force`);
    controller.abort(new Interrupted(sig));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  main(argv, { signal: controller.signal })
    .then((code) => {
      process.exitCode = controller.signal.aborted ? exitStatusOf(signalOf(controller.signal)) : code;
    })
    .catch((err: unknown) => {
      process.exitCode = exitCodeOf(err, controller.signal);
    })
    .finally(() => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
}

/** Reports `err` and returns the exit status it means. */
export function exitCodeOf(err: unknown, signal?: AbortSignal): number {
  if (signal?.aborted) {
    log.error(err instanceof Error ? err.message : String(err));
    return exitStatusOf(signalOf(signal));
  }
  if (err instanceof UserError) {
    log.error(err.message);
    return 2;
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}

function signalOf(signal: AbortSignal): NodeJS.Signals | undefined {
  return signal.reason instanceof Interrupted ? signal.reason.signalName : undefined;
}
