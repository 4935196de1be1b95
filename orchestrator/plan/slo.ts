// Capacity at a service-level objective: the highest open-loop arrival rate whose level meets
// `--slo` (e.g. "p99<50ms" or "p95<20ms,errors<1%"). Pure: the level runner is passed in.
import { UserError } from "../platform/errors.ts";

export const SLO_PERCENTILES = ["p50", "p95", "p99"] as const;
export type SloPercentile = (typeof SLO_PERCENTILES)[number];

export interface Slo {
  /** As given, for the result and the summary. */
  text: string;
  latency: { percentile: SloPercentile; maxMs: number }[];
  /** Largest error rate allowed (0.01 = 1 %); absent: errors do not enter the verdict. */
  maxErrorRate?: number;
}

const LATENCY_TERM = /^(p50|p95|p99)\s*<\s*(\d+(?:\.\d+)?)\s*ms$/;
const ERROR_TERM = /^errors\s*<\s*(\d+(?:\.\d+)?)\s*%$/;

/** "p99<50ms" or "p95<20ms,p99<80ms,errors<1%"; anything else is a UserError that says the form. */
export function parseSlo(text: string): Slo {
  const slo: Slo = { text, latency: [] };
  for (const raw of text.split(",")) {
    const term = raw.trim();
    const latency = LATENCY_TERM.exec(term);
    const errors = ERROR_TERM.exec(term);
    if (latency && Number(latency[2]) > 0) slo.latency.push({ percentile: latency[1] as SloPercentile, maxMs: Number(latency[2]) });
    else if (errors && Number(errors[1]) <= 100) slo.maxErrorRate = Number(errors[1]) / 100;
    else
      throw new UserError(
        `--slo: cannot read '${term}' in '${text}'; expected terms like p99<50ms (p50, p95 or p99, in ms) and optionally errors<1%, joined by commas`,
      );
  }
  if (slo.latency.length === 0) throw new UserError(`--slo: '${text}' has no latency bound; give at least one of p50, p95, p99, e.g. p99<50ms`);
  return slo;
}

/** The figures of one open-loop level that the verdict reads. */
export interface LevelFigures {
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  saturated: boolean;
  achievedRps: number;
}

/** Whether a level meets the SLO, and why not: a saturated level fails whatever its latency, since it did not run at its rate. */
export function sloVerdict(slo: Slo, f: LevelFigures): { passed: boolean; reason: string } {
  const misses = [
    ...(f.saturated ? [`saturated (achieved ${f.achievedRps.toFixed(1)} req/s)`] : []),
    ...slo.latency.filter((b) => !(f[b.percentile] < b.maxMs)).map((b) => `${b.percentile} ${f[b.percentile].toFixed(1)} ms ≥ ${b.maxMs} ms`),
    ...(slo.maxErrorRate !== undefined && !(f.errorRate < slo.maxErrorRate)
      ? [`errors ${(f.errorRate * 100).toFixed(2)} % ≥ ${slo.maxErrorRate * 100} %`]
      : []),
  ];
  if (misses.length > 0) return { passed: false, reason: misses.join("; ") };
  const held = slo.latency.map((b) => `${b.percentile} ${f[b.percentile].toFixed(1)} ms < ${b.maxMs} ms`);
  return { passed: true, reason: held.join("; ") };
}

export interface SearchStep {
  rate_rps: number;
  passed: boolean;
  reason: string;
}

export interface SearchOutcome {
  /** Highest rate tried that passed; null when none did. */
  capacity_rps: number | null;
  /** Lowest rate tried that failed above it; null when none did. */
  lowest_failing_rps: number | null;
  tried: SearchStep[];
}

/**
 * Bounded search over whole rates: from `start`, double while levels pass (halve while they fail)
 * until a pass and a fail bracket the capacity, then bisect between the highest passing and the
 * lowest failing rate. Stops after `maxSteps` levels, when the bracket is one req/s wide, when
 * a failure at 1 req/s leaves nothing below, or when `maxRate` (the bound on a level's rate) passes.
 */
export async function searchCapacity(
  start: number,
  maxSteps: number,
  tryRate: (rate: number) => Promise<{ passed: boolean; reason: string }>,
  maxRate = Number.POSITIVE_INFINITY,
): Promise<SearchOutcome> {
  const tried: SearchStep[] = [];
  let pass: number | null = null;
  let fail: number | null = null;
  let rate = Math.min(maxRate, Math.max(1, Math.round(start)));
  while (tried.length < maxSteps) {
    const v = await tryRate(rate);
    tried.push({ rate_rps: rate, ...v });
    if (v.passed) pass = Math.max(pass ?? rate, rate);
    else fail = Math.min(fail ?? rate, rate);
    const next = nextRate(pass, fail, maxRate);
    if (next === null) break;
    rate = next;
  }
  return { capacity_rps: pass, lowest_failing_rps: fail, tried };
}

function nextRate(pass: number | null, fail: number | null, maxRate: number): number | null {
  if (fail === null) return pass! >= maxRate ? null : Math.min(maxRate, pass! * 2);
  if (pass === null) return fail > 1 ? Math.max(1, Math.floor(fail / 2)) : null;
  return fail - pass > 1 ? Math.floor((pass + fail) / 2) : null;
}
