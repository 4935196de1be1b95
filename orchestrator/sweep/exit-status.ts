// bench:k6's exit status from its frameworks' outcomes.
import { log } from "../platform/log.ts";
import type { FrameworkResult } from "../results/schema.ts";
import type { CliOptions } from "../plan/bench-options.ts";

/**
 * 0 when everything asked for completed. A framework skipped because the machine lacks what it needs
 * (TEI's user-provided binary, say) counts only when it was asked for by name: the default run of
 * every framework must not fail for a peer the user never installed.
 */
export function exitCode(opts: Pick<CliOptions, "skip_on_error" | "frameworks">, results: readonly FrameworkResult[]): number {
  const counted = opts.frameworks === undefined ? results.filter((r) => r.status !== "skipped") : results;
  const failed = counted.filter((r) => r.status !== "completed");
  if (counted.length === 0) return 1;
  if (failed.length === 0) return 0;
  if (opts.skip_on_error && failed.length < counted.length) {
    log.warn(`skipped after errors: ${failed.map((f) => f.framework).join(", ")}`);
    return 0;
  }
  return 1;
}
