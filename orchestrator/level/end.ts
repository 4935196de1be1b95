// How a level ended, and whether it held its thresholds: one rule for every engine, from the level's
// own figures (never from an engine's exit code, which says only how the engine's process ended).
import type { Stall } from "./watch.ts";

export type LevelEnd =
  /** It ran its whole duration. */
  | { kind: "full" }
  /** Its last windows agreed, so it was ended after `afterWindows` complete windows. */
  | { kind: "stable"; afterWindows: number }
  /** Every request was failing, so it was ended (the watch's reason). */
  | { kind: "all-failed"; reason: string }
  /** The user stopped the run (Ctrl-C) during it. */
  | { kind: "interrupted" };

export interface EndFigures {
  requests: number;
  ok: number;
  errors: number;
  stalls: readonly Stall[];
  end: LevelEnd;
}

/**
 * The level's thresholds held: its error rate was below the maximum (none at all when the maximum is
 * 0), it did not stall, not every request failed, and it was not interrupted.
 */
export function thresholdsOk(f: EndFigures, maxErrorRate: number): boolean {
  if (f.end.kind === "interrupted" || f.end.kind === "all-failed" || f.ok === 0 || f.stalls.length > 0) return false;
  return f.errors === 0 || f.errors / f.requests < maxErrorRate;
}

/**
 * The result's ended_early: why the level did not run as a clean level for a reason other than
 * stability: each stall (the server stopped answering; the framework is not benchmarked further), every
 * request failing, or an interruption; null otherwise.
 */
export function endedEarly(end: LevelEnd, stalls: readonly Stall[] = []): string | null {
  const why = stalls.map((s) => `server stopped answering for ${s.duration_s} s from ${s.start_s} s`);
  if (end.kind === "all-failed") why.push(end.reason);
  if (end.kind === "interrupted") why.push("interrupted");
  return why.length > 0 ? why.join("; ") : null;
}
