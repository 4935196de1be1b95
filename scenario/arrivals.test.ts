// The Poisson schedule's statistics, with fixed seeds (deterministic): inter-arrival times are
// exponential with the requested rate (Kolmogorov–Smirnov), counts per second are Poisson
// (variance ≈ mean), and the VUs' schedules together are exactly the one shared schedule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exponential, ksDistanceExponential, longestQuiet, PoissonSchedule, scheduledArrivals, scheduleTimes } from "./arrivals.ts";
import { mulberry32 } from "./random.ts";

const RATE = 40;
const N = 20_000;
/** KS critical value at α = 0.01 for large n: 1.628 / √n. */
const KS_CRITICAL_1PCT = (n: number) => 1.628 / Math.sqrt(n);

const schedule = (rate: number, seed: number, vus: number, vu: number, n: number) => {
  const s = new PoissonSchedule(rate, seed, vus, vu);
  return Array.from({ length: n }, () => s.next());
};
const gaps = (times: readonly number[]) => times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));

test("mulberry32 is deterministic per seed and uniform on [0, 1)", () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const xs = Array.from({ length: N }, () => a());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, mulberry32(8)));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  // Uniform: KS distance to U(0, 1).
  const sorted = [...xs].sort((p, q) => p - q);
  const d = Math.max(...sorted.map((x, i) => Math.max((i + 1) / N - x, x - i / N)));
  assert.ok(d < KS_CRITICAL_1PCT(N), `KS distance to uniform ${d}`);
});

test("inter-arrival times are exponential with the requested rate (KS test, fixed seeds)", () => {
  for (const seed of [1, 2, 3]) {
    const g = gaps(schedule(RATE, seed, 1, 1, N));
    const d = ksDistanceExponential(g, RATE);
    assert.ok(d < KS_CRITICAL_1PCT(N), `seed ${seed}: KS distance ${d.toFixed(4)} ≥ ${KS_CRITICAL_1PCT(N).toFixed(4)}`);
    const mean = g.reduce((a, x) => a + x, 0) / N;
    const sd = Math.sqrt(g.reduce((a, x) => a + (x - mean) ** 2, 0) / (N - 1));
    // Mean 1/rate within 4 standard errors (sd of an exponential = its mean); coefficient of variation 1.
    assert.ok(Math.abs(mean - 1 / RATE) < 4 / RATE / Math.sqrt(N), `seed ${seed}: mean gap ${mean} s`);
    assert.ok(Math.abs(sd / mean - 1) < 0.05, `seed ${seed}: CV ${sd / mean}`);
  }
});

test("the KS test has power: evenly spaced and wrong-rate arrivals are rejected", () => {
  const even = Array.from({ length: N }, () => 1 / RATE);
  assert.ok(ksDistanceExponential(even, RATE) > KS_CRITICAL_1PCT(N));
  const g = gaps(schedule(RATE * 1.1, 1, 1, 1, N));
  assert.ok(ksDistanceExponential(g, RATE) > KS_CRITICAL_1PCT(N), "10 % off the rate is detected");
});

test("arrivals per second are Poisson: dispersion index ≈ 1", () => {
  const times = schedule(RATE, 5, 1, 1, N);
  const seconds = Math.floor(times[times.length - 1]!);
  const counts = new Array<number>(seconds).fill(0);
  for (const t of times) if (t < seconds) counts[Math.floor(t)]!++;
  const mean = counts.reduce((a, x) => a + x, 0) / seconds;
  const variance = counts.reduce((a, x) => a + (x - mean) ** 2, 0) / (seconds - 1);
  assert.ok(Math.abs(mean - RATE) < 4 * Math.sqrt(RATE / seconds), `mean ${mean}/s`);
  // Var/mean of a Poisson count is 1; its sampling sd is about √(2/(k−1)) for k bins.
  assert.ok(Math.abs(variance / mean - 1) < 4 * Math.sqrt(2 / (seconds - 1)), `dispersion ${variance / mean}`);
});

test("the VUs' schedules together are exactly the shared schedule, each VU's in order", () => {
  const vus = 7;
  const all = schedule(RATE, 11, 1, 1, 700);
  const perVu = Array.from({ length: vus }, (_, i) => schedule(RATE, 11, vus, i + 1, 100));
  for (const s of perVu) assert.ok(s.every((t, i) => i === 0 || t > s[i - 1]!));
  const merged = perVu.flat().sort((a, b) => a - b);
  assert.equal(merged.length, all.length);
  merged.forEach((t, i) => assert.ok(Math.abs(t - all[i]!) < 1e-9, `arrival ${i}`));
  // Round robin: VU v takes arrivals v−1, v−1+N, …
  assert.ok(Math.abs(perVu[2]![3]! - all[2 + 3 * vus]!) < 1e-9);
});

test("exponential() inverts the CDF; a schedule needs a positive rate and a VU within the pool", () => {
  assert.equal(exponential(0, 5), 0);
  assert.ok(Math.abs(exponential(1 - Math.exp(-1), 2) - 0.5) < 1e-12);
  assert.throws(() => new PoissonSchedule(0, 1, 1, 1), /positive rate/);
  assert.throws(() => new PoissonSchedule(1, 1, 2, 3), /VU 3 of 2/);
});

test("scheduledArrivals counts the shared schedule's arrivals before the end, as the VUs send them", () => {
  const vus = 5;
  const perVu = Array.from({ length: vus }, (_, i) => schedule(RATE, 3, vus, i + 1, 200).filter((t) => t < 10).length);
  assert.equal(
    scheduledArrivals(RATE, 3, 10),
    perVu.reduce((a, x) => a + x, 0),
  );
  // About rate × duration, within 4 sd of a Poisson count.
  assert.ok(Math.abs(scheduledArrivals(RATE, 3, 10) - RATE * 10) < 4 * Math.sqrt(RATE * 10));
});

test("longestQuiet is the longest stretch of the level without an arrival", () => {
  const times = scheduleTimes(2, 9, 30);
  const gaps = [times[0]!, ...times.slice(1).map((t, i) => t - times[i]!), 30 - times[times.length - 1]!];
  assert.equal(longestQuiet(2, 9, 30), Math.max(...gaps));
  // At 2/s a quiet second or more happens in 30 s (P(gap > 1 s) = e^-2 per gap).
  assert.ok(longestQuiet(2, 9, 30) > 1);
  assert.equal(longestQuiet(1, 1, 0.0001), 0.0001, "no arrival: the whole level");
});

test("scheduledArrivals and longestQuiet hold for a schedule of millions of arrivals (no argument-list limit)", () => {
  assert.equal(scheduledArrivals(10_000, 1, 3600) > 35_000_000, true);
  const quiet = longestQuiet(10_000, 1, 300);
  assert.ok(quiet > 0 && quiet < 0.01, `${quiet}`);
});
