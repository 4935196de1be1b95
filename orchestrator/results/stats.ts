// The statistics of repeated trials: mean and 95 % confidence interval (Student t), and Welch's
// t-test for whether two frameworks' figures can be told apart. The t distribution comes from
// stdlib-js (a maintained numerical library) rather than a hand-copied table.
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

export interface Estimate {
  n: number;
  mean: number;
  /** Half-width of the 95 % confidence interval of the mean; null with a single value. */
  ci95: number | null;
  values: number[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
/** Sample variance (n − 1). */
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};

export function estimate(values: readonly number[]): Estimate {
  if (values.length === 0) throw new Error("estimate of no values");
  const n = values.length;
  const m = mean(values);
  const ci95 = n < 2 ? null : tQuantile(0.975, n - 1) * Math.sqrt(variance(values) / n);
  return { n, mean: m, ci95, values: [...values] };
}

export interface Comparison {
  /** Two-sided p-value of Welch's t-test; 0 when both samples are constant and differ, 1 when equal. */
  p: number;
  /** p < alpha: the difference is unlikely to be noise. */
  significant: boolean;
}

/** Welch's t-test (unequal variances) on two sets of trial figures; each needs at least 2 values. */
export function welch(a: readonly number[], b: readonly number[], alpha = 0.05): Comparison | null {
  if (a.length < 2 || b.length < 2) return null;
  const [va, vb] = [variance(a) / a.length, variance(b) / b.length];
  const diff = mean(a) - mean(b);
  if (va + vb === 0) return { p: diff === 0 ? 1 : 0, significant: diff !== 0 };
  const t = diff / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const p = 2 * (1 - tCdf(Math.abs(t), df));
  return { p, significant: p < alpha };
}

/** "204 ± 6" (or "204" with a single trial), at the precision of the interval. */
export function formatEstimate(e: Estimate, digits = 1): string {
  return e.ci95 === null ? e.mean.toFixed(digits) : `${e.mean.toFixed(digits)} ± ${e.ci95.toFixed(digits)}`;
}
