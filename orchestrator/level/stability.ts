// Stability of a level, from its measurement windows: the level is stable once its last
// `windows` complete windows agree within ±`tolerance` of their mean on throughput and on p95
// (perf_analyzer's rule: 3 windows within 10 %). Pure; fed live by level/drive.ts, and again from
// the figures by level/result.ts, so that the recorded figures come from the same windows.
import type { WindowFigures } from "../plan/level-spec.ts";

export interface StabilityRule {
  /** Seconds per window; 0 disables windows. */
  windowS: number;
  /** How many consecutive windows must agree. */
  windows: number;
  /** Allowed relative deviation from the windows' mean, e.g. 0.1 for ±10 %. */
  tolerance: number;
}

const within = (xs: number[], tolerance: number) => {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return mean > 0 && xs.every((x) => Math.abs(x - mean) <= tolerance * mean);
};

/** The last `rule.windows` windows when they agree (and every one had a success), else null. */
export function stableTail(windows: readonly WindowFigures[], rule: StabilityRule): WindowFigures[] | null {
  if (rule.windowS <= 0 || windows.length < rule.windows) return null;
  const tail = windows.slice(-rule.windows);
  if (tail.some((w) => w.ok_requests === 0)) return null;
  return within(
    tail.map((w) => w.throughput_qps),
    rule.tolerance,
  ) &&
    within(
      tail.map((w) => w.p95_ms),
      rule.tolerance,
    )
    ? [...tail]
    : null;
}
