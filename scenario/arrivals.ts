// Poisson arrivals for open-loop levels (pure: shared by the k6 script and its unit tests). k6 has no
// Poisson executor, so the script builds one from k6 primitives: a `constant-vus` scenario whose VUs
// follow one shared, seeded schedule of arrival times t_i = Σ_{k≤i} E_k, E_k ~ Exp(rate). VU v of N
// takes arrivals v−1, v−1+N, v−1+2N, …: it sleeps until its next intended start, then sends. Every VU
// draws the same sequence from the same seed, so together they send exactly the schedule; a VU whose
// previous request is still running when its next arrival is due starts late, and that lateness is
// measured (the request's latency from its intended start), not hidden.
import { mulberry32 } from "./random.ts";

/** An exponential variate of rate `rate` (mean 1/rate) from a uniform u in [0, 1), by inversion. */
export const exponential = (u: number, rate: number) => -Math.log1p(-u) / rate;

/** The arrival times (seconds from the level's start) one VU of `vus` is to start requests at. */
export class PoissonSchedule {
  private readonly rng: () => number;
  private t = 0;
  private first = true;

  /** `vu` is 1-based (k6's exec.vu.idInTest); all VUs of a level share `rateRps`, `seed` and `vus`. */
  constructor(
    private readonly rateRps: number,
    seed: number,
    private readonly vus: number,
    private readonly vu: number,
  ) {
    if (!(rateRps > 0)) throw new Error(`Poisson arrivals need a positive rate, got ${rateRps}`);
    if (!(Number.isInteger(vus) && vus >= 1 && Number.isInteger(vu) && vu >= 1 && vu <= vus)) throw new Error(`VU ${vu} of ${vus}`);
    this.rng = mulberry32(seed);
  }

  /** The intended start of this VU's next arrival, seconds from the level's start (increasing). */
  next(): number {
    const steps = this.first ? this.vu : this.vus;
    this.first = false;
    for (let i = 0; i < steps; i++) this.t += exponential(this.rng(), this.rateRps);
    return this.t;
  }
}

/** Kolmogorov–Smirnov distance between a sample and Exp(rate): sup |F_n(x) − (1 − e^{−rate·x})|. */
export function ksDistanceExponential(sample: readonly number[], rate: number): number {
  const xs = [...sample].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  xs.forEach((x, i) => {
    const f = 1 - Math.exp(-rate * x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  return d;
}

/** A Poisson start later than this after its scheduled time counts as late (its VU was busy), ms. */
export const LATE_START_MS = 10;

/** The shared schedule's arrival times before `durationS`: what a Poisson level is asked to send. */
export function scheduleTimes(rateRps: number, seed: number, durationS: number): number[] {
  const s = new PoissonSchedule(rateRps, seed, 1, 1);
  const out: number[] = [];
  for (let t = s.next(); t < durationS; t = s.next()) out.push(t);
  return out;
}

/** Arrivals the shared schedule holds before `durationS`. */
export function scheduledArrivals(rateRps: number, seed: number, durationS: number): number {
  const s = new PoissonSchedule(rateRps, seed, 1, 1);
  let n = 0;
  for (let t = s.next(); t < durationS; t = s.next()) n++;
  return n;
}

/**
 * The longest stretch without an arrival in the level (from its start, between arrivals, and to its
 * end), seconds: a silence the schedule itself makes, which the stall watch must not take for a
 * server that stopped answering.
 */
export function longestQuiet(rateRps: number, seed: number, durationS: number): number {
  // One pass over the schedule, no array: a long level at a high rate holds millions of arrivals
  // (too many for Math.max's arguments).
  const s = new PoissonSchedule(rateRps, seed, 1, 1);
  let previous = 0;
  let longest = 0;
  for (let t = s.next(); t < durationS; t = s.next()) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return Math.max(longest, durationS - previous);
}
