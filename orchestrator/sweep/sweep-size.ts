// How big a run is before it starts: its operating points (models × frameworks × batch sizes × text
// lengths × levels), the levels it runs with its trials, and the time that takes; above the
// profile's max_points it is refused unless --confirm-points says it is meant.
import type { Profile } from "../plan/config-schema.ts";
import { pointsOf } from "../plan/profile.ts";
import { UserError } from "../platform/errors.ts";
import { formatDuration, Progress, progressPlan } from "../outputs/progress.ts";

export interface SweepSize {
  models: number;
  frameworks: number;
  batchSizes: number;
  textLengths: number;
  levels: number;
  /** models × frameworks × batch sizes × text lengths × levels */
  points: number;
  trials: number;
  /** points × trials: the levels the run measures (an --slo search adds its own) */
  levelRuns: number;
  /** servers started: models × frameworks × trials (each runs all its points) */
  serverStarts: number;
  /** the progress line's estimate before anything started: every level at its maximum duration, with the pauses; start-ups not included */
  etaMs: number;
}

export function sweepSize(models: readonly string[], frameworks: readonly string[], p: Profile): SweepSize {
  const perServer = pointsOf(p).length;
  const textLengths = p.seq_len?.length ?? 1;
  const points = models.length * frameworks.length * perServer;
  const eta = new Progress(progressPlan(frameworks, p, models), { tty: false, status: () => {}, line: () => {} }).etaMs();
  return {
    models: models.length,
    frameworks: frameworks.length,
    batchSizes: p.batch_size.length,
    textLengths,
    levels: perServer / (p.batch_size.length * textLengths),
    points,
    trials: p.trials,
    levelRuns: points * p.trials,
    serverStarts: models.length * frameworks.length * p.trials,
    etaMs: eta,
  };
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `36 operating points (1 model × 3 frameworks × 3 batch sizes × 2 text lengths × 2 levels), 3 trials: 108 levels; ETA 9m00s + 9 server start-ups` */
export function describeSweep(s: SweepSize): string {
  const factors = [
    count(s.models, "model"),
    count(s.frameworks, "framework"),
    count(s.batchSizes, "batch size"),
    count(s.textLengths, "text length"),
    count(s.levels, "level"),
  ].join(" × ");
  const trials = s.trials > 1 ? `, ${count(s.trials, "trial")}: ${count(s.levelRuns, "level")}` : "";
  return (
    `${count(s.points, "operating point")} (${factors})${trials}; ETA ${formatDuration(s.etaMs)} of load at most ` +
    `+ ${count(s.serverStarts, "server start-up")}`
  );
}

/** A sweep of more points than the profile's max_points is refused, with its size, unless confirmed. */
export function checkMaxPoints(s: SweepSize, p: Profile, confirmed: boolean): void {
  if (s.points <= p.max_points || confirmed) return;
  throw new UserError(
    `this sweep has ${describeSweep(s)}: more than the profile's max_points (${p.max_points}). ` +
      "Run it anyway with --confirm-points, raise the bound with --max-points, or sweep fewer values",
  );
}
