// Run-to-run comparison: per framework and operating point (model, batch size, text length, and
// concurrency or rate: the whole point must match), the change from run A to run B in throughput and
// in p50/p95/p99 latency, whether the change can be told from noise, and whether it is a
// regression beyond a threshold (the CI gate of `npm run compare -- --fail-on-regression <pct>`).
//
// Significance: when both levels were measured with trials (--trials 2 or more), Welch's t-test on
// the trials' values, p < 0.05. A single run per side has no spread to test against, so the change
// is "untested": it is shown, and for the gate the threshold alone decides (the percentage is then
// the user's noise allowance). A change with trials that is not significant is never a regression.
// p99 of a level with too few requests for it (validity) is shown but not gated.
import { z } from "zod";
import { UserError } from "../platform/errors.ts";
import type { FrameworkResult, ScenarioResult } from "./schema.ts";
import { welch } from "./stats.ts";
import { comparePoints, pointFields, pointId, shortPoint } from "./point-figures.ts";

export const ALPHA = 0.05;

export const Significance = z
  .enum(["significant", "not_significant", "untested", "too_few_samples"])
  .describe(
    "significant / not_significant: Welch's t-test on both runs' trials, p < 0.05 or not; untested: a run has fewer than 2 trials at this level; " +
      "too_few_samples: p99 of a level with fewer than 1,000 requests (not gated)",
  );
export type Significance = z.infer<typeof Significance>;

export const MetricChange = z
  .object({
    a: z.number().describe("run A's figure: req/s for throughput, ms for latency (the trials' mean where there are trials)"),
    b: z.number().describe("run B's figure, same unit"),
    change_pct: z.number().nullable().describe("(b − a) ÷ a × 100; null when a is 0"),
    worse_pct: z.number().nullable().describe("how much worse B is, percent: −change_pct for throughput, change_pct for latency; negative = better"),
    p: z.number().nullable().describe("two-sided p-value of Welch's t-test on the trials' values; null when untested"),
    significance: Significance,
    regression: z.boolean().describe("worse by more than threshold_pct, and significant or untested; false without a threshold"),
  })
  .strict();
export type MetricChange = z.infer<typeof MetricChange>;

export const METRICS = ["throughput_qps", "p50_ms", "p95_ms", "p99_ms"] as const;
export type Metric = (typeof METRICS)[number];

export const LevelComparison = z
  .object({
    model: z.string(),
    framework_a: z.string(),
    framework_b: z.string().describe("the same as framework_a unless paired with --pair"),
    point: z
      .string()
      .describe("the operating point, as compare prints it: c=<VUs> (closed loop) or r=<req/s> (open loop), b=<batch size>, s=<tokens per text> where cut"),
    mode: z.enum(["closed", "open"]),
    concurrency: z.number().int().positive().describe("closed loop: VUs; open loop: the cap on requests in flight"),
    target_rps: z.number().positive().nullable().describe("open loop: the rate asked; null in closed loop"),
    batch_size: z.number().int().positive(),
    seq_len: z.number().int().positive().nullable().describe("tokens per text; null: texts not cut to a token count"),
    trials_a: z.number().int().positive().describe("trials behind run A's figures (1 without --trials)"),
    trials_b: z.number().int().positive(),
    throughput_qps: MetricChange.describe("successful requests per second"),
    p50_ms: MetricChange.describe("median latency, ms"),
    p95_ms: MetricChange.describe("ms"),
    p99_ms: MetricChange.describe("ms"),
  })
  .strict();
export type LevelComparison = z.infer<typeof LevelComparison>;

export const RunComparison = z
  .object({
    run_a: z.string(),
    run_b: z.string(),
    threshold_pct: z.number().nullable().describe("--fail-on-regression; null when not given"),
    alpha: z.number().describe("significance level of Welch's t-test"),
    levels: z.array(LevelComparison),
    unmatched: z.array(z.string()).describe("framework points present in one run only, e.g. 'A only: onnx-rust c=4 b=1'"),
    regressions: z.array(z.string()).describe("one line per regression (empty without a threshold)"),
  })
  .strict();
export type RunComparison = z.infer<typeof RunComparison>;

const LOWER_IS_BETTER: Record<Metric, boolean> = { throughput_qps: false, p50_ms: true, p95_ms: true, p99_ms: true };

/** Each trial's value of a metric at a level, or the level's single figure without trials. */
function valuesOf(s: ScenarioResult, m: Metric): number[] {
  const single = { throughput_qps: s.throughput_qps, p50_ms: s.latency_ms.median, p95_ms: s.latency_ms.p95, p99_ms: s.latency_ms.p99 }[m];
  return s.trials?.[m].values ?? [single];
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function compareMetric(a: ScenarioResult, b: ScenarioResult, m: Metric, thresholdPct: number | null): MetricChange {
  const [va, vb] = [valuesOf(a, m), valuesOf(b, m)];
  const [ma, mb] = [mean(va), mean(vb)];
  const change = ma === 0 ? null : ((mb - ma) / ma) * 100;
  const worse = change === null ? null : LOWER_IS_BETTER[m] ? change : -change;
  const test = welch(va, vb, ALPHA);
  const fewSamples = m === "p99_ms" && (a.validity?.p99_enough_samples === false || b.validity?.p99_enough_samples === false);
  const significance: Significance = fewSamples ? "too_few_samples" : test === null ? "untested" : test.significant ? "significant" : "not_significant";
  const gated = significance === "significant" || significance === "untested";
  return {
    a: round(ma, 3),
    b: round(mb, 3),
    change_pct: change === null ? null : round(change, 2),
    worse_pct: worse === null ? null : round(worse, 2),
    p: fewSamples || test === null ? null : test.p,
    significance,
    regression: thresholdPct !== null && gated && worse !== null && worse > thresholdPct,
  };
}

/**
 * Framework of A → framework of B: the explicit pairs (`a=b`), then every other framework under
 * the same name in both runs. A pair naming a framework a run does not hold is a UserError.
 */
export function pairFrameworks(inA: readonly string[], inB: readonly string[], pairs: readonly string[]): [string, string][] {
  const explicit = pairs.map((p): [string, string] => {
    const [fa, fb, ...rest] = p.split("=");
    if (!fa || !fb || rest.length > 0) throw new UserError(`--pair: expected <framework of A>=<framework of B>, got '${p}'`);
    if (!inA.includes(fa)) throw new UserError(`--pair ${p}: run A has no ${fa}; it holds ${inA.join(", ") || "no results"}`);
    if (!inB.includes(fb)) throw new UserError(`--pair ${p}: run B has no ${fb}; it holds ${inB.join(", ") || "no results"}`);
    return [fa, fb];
  });
  const taken = new Set(explicit.flatMap(([fa, fb]) => [`A:${fa}`, `B:${fb}`]));
  const same = inA.filter((f) => inB.includes(f) && !taken.has(`A:${f}`) && !taken.has(`B:${f}`)).map((f): [string, string] => [f, f]);
  return [...explicit, ...same];
}

/** A result's levels by their whole operating point (its fields, so results of every schema version match). */
const byPoint = (r: FrameworkResult) => new Map(Object.values(r.scenarios).map((s) => [pointId(s), s]));

export interface ComparedRun {
  id: string;
  results: readonly FrameworkResult[];
}

export function compareRuns(a: ComparedRun, b: ComparedRun, opts: { thresholdPct: number | null; pairs: readonly string[] }): RunComparison {
  const names = (r: ComparedRun) => [...new Set(r.results.map((x) => x.framework))];
  const pairs = pairFrameworks(names(a), names(b), opts.pairs);
  if (pairs.length === 0) {
    throw new UserError(
      `runs ${a.id} and ${b.id} share no framework (A: ${names(a).join(", ") || "none"}; B: ${names(b).join(", ") || "none"}); pair two with --pair <A's>=<B's>`,
    );
  }
  const levels: LevelComparison[] = [];
  const unmatched = [
    ...names(a)
      .filter((f) => !pairs.some(([fa]) => fa === f))
      .map((f) => `A only: ${f}`),
    ...names(b)
      .filter((f) => !pairs.some(([, fb]) => fb === f))
      .map((f) => `B only: ${f}`),
  ];
  for (const [fa, fb] of pairs) {
    for (const ra of a.results.filter((r) => r.framework === fa)) {
      const rb = b.results.find((r) => r.framework === fb && r.model_name === ra.model_name);
      if (!rb) {
        unmatched.push(`A only: ${fa} (${ra.model_name})`);
        continue;
      }
      const [la, lb] = [byPoint(ra), byPoint(rb)];
      const ids = [...new Set([...la.keys(), ...lb.keys()])].sort((x, y) => comparePoints((la.get(x) ?? lb.get(x))!, (la.get(y) ?? lb.get(y))!));
      for (const id of ids) {
        const [sa, sb] = [la.get(id), lb.get(id)];
        if (!sa || !sb) {
          unmatched.push(`${sa ? `A only: ${fa}` : `B only: ${fb}`} ${shortPoint((sa ?? sb)!)}`);
          continue;
        }
        const metrics = Object.fromEntries(METRICS.map((m) => [m, compareMetric(sa, sb, m, opts.thresholdPct)])) as Record<Metric, MetricChange>;
        const p = pointFields(sa);
        levels.push({
          model: ra.model_name,
          framework_a: fa,
          framework_b: fb,
          point: shortPoint(sa),
          mode: p.mode,
          concurrency: sa.concurrency,
          target_rps: p.mode === "open" ? p.value : null,
          batch_size: p.batch_size,
          seq_len: p.seq_len,
          trials_a: sa.trials?.n ?? 1,
          trials_b: sb.trials?.n ?? 1,
          ...metrics,
        });
      }
    }
  }
  return { run_a: a.id, run_b: b.id, threshold_pct: opts.thresholdPct, alpha: ALPHA, levels, unmatched, regressions: regressionLines(levels) };
}

const METRIC_LABEL: Record<Metric, string> = { throughput_qps: "throughput", p50_ms: "p50", p95_ms: "p95", p99_ms: "p99" };
const pText = (p: number) => (p < 0.001 ? "p<0.001" : `p=${p.toFixed(3)}`);
export const pairName = (l: LevelComparison) => (l.framework_a === l.framework_b ? l.framework_a : `${l.framework_a} → ${l.framework_b}`);

function regressionLines(levels: readonly LevelComparison[]): string[] {
  return levels.flatMap((l) =>
    METRICS.filter((m) => l[m].regression).map((m) => {
      const c = l[m];
      const why = c.p === null ? "untested: no trials, the threshold alone decides" : pText(c.p);
      return `${pairName(l)} ${l.point}: ${METRIC_LABEL[m]} ${c.a} → ${c.b} (${signed(c.change_pct)}, ${why})`;
    }),
  );
}

export const signed = (pct: number | null) => (pct === null ? "-" : `${pct > 0 ? "+" : ""}${pct.toFixed(1)} %`);
