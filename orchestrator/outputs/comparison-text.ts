// A run comparison (results/run-comparison.ts) as text: one row per framework and operating point, the
// changes with their significance marks, and the regressions beyond the threshold.
import { METRICS, pairName, signed, type MetricChange, type RunComparison, type Significance } from "../results/run-comparison.ts";
import { table } from "./table.ts";

const MARK: Record<Significance, string> = { significant: "*", not_significant: "~", untested: "?", too_few_samples: " few" };

/** One change as printed: `-12.3 %*` (* significant, ~ not significant, ? untested, few: too few requests for p99). */
export const formatChange = (c: MetricChange) => `${signed(c.change_pct)}${MARK[c.significance]}`;

export const CHANGE_LEGEND =
  "Change = (B − A) ÷ A. * significant (Welch's t-test on both runs' trials, p < 0.05); ~ not significant (noise); " +
  "? untested: a run has no trials at this level (--trials 2 or more); few: too few requests for p99.";

/** The comparison table, the legend, what only one run holds, and the gate's verdict. */
export function renderComparison(cmp: RunComparison): string {
  const rows = cmp.levels.map((l) => [
    pairName(l),
    l.point,
    `${l.trials_a}/${l.trials_b}`,
    l.throughput_qps.a.toFixed(1),
    l.throughput_qps.b.toFixed(1),
    ...METRICS.map((m) => formatChange(l[m])),
  ]);
  const gate =
    cmp.threshold_pct === null
      ? []
      : cmp.regressions.length > 0
        ? ["", `Regressions beyond ${cmp.threshold_pct} %:`, ...cmp.regressions.map((r) => `  ${r}`)]
        : ["", `No regression beyond ${cmp.threshold_pct} %.`];
  return [
    table(["Framework", "Point", "Trials A/B", "QPS A", "QPS B", "QPS", "p50", "p95", "p99"], rows),
    "",
    CHANGE_LEGEND,
    ...(cmp.unmatched.length ? ["", "In one run only (not compared):", ...cmp.unmatched.map((u) => `  ${u}`)] : []),
    ...gate,
  ].join("\n");
}
