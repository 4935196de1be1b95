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

/** The result's ended_early: why the level stopped before its duration for a reason other than stability; null otherwise. */
export function endedEarly(end: LevelEnd): string | null {
  if (end.kind === "all-failed") return end.reason;
  if (end.kind === "interrupted") return "interrupted";
  return null;
}
