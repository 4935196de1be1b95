import assert from "node:assert/strict";
import { test } from "node:test";
import { estimate, formatEstimate, welch } from "./stats.ts";

const close = (a: number, b: number, eps = 1e-3) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test("estimate: mean and the Student-t 95 % half-width", () => {
  // Hand computation: mean 10, s = 1, n = 3, t(0.975, 2) = 4.3027 → 4.3027 / sqrt(3) = 2.4841.
  const e = estimate([9, 10, 11]);
  assert.equal(e.mean, 10);
  close(e.ci95!, 2.4841);
  // n = 10, s = 1.0: t(0.975, 9) = 2.2622 → 0.7154 (checks the degrees of freedom follow n).
  close(estimate([9, 11, 9, 11, 9, 11, 9, 11, 10, 10].map((x) => x)).ci95!, 2.2622 * Math.sqrt(0.8889 / 10), 2e-3);
  assert.equal(estimate([5]).ci95, null, "one trial has no interval");
  assert.equal(estimate([4, 4, 4]).ci95, 0);
  assert.throws(() => estimate([]));
});

test("welch: clearly different trials are significant, overlapping ones are not", () => {
  const fast = [204, 198, 210];
  const slow = [120, 118, 125];
  const w = welch(fast, slow)!;
  assert.ok(w.significant && w.p < 0.001, `p ${w.p}`);
  const noisy = welch([200, 180, 220], [205, 185, 215])!;
  assert.ok(!noisy.significant && noisy.p > 0.5, `p ${noisy.p}`);
  // scipy.stats.ttest_ind(a, b, equal_var=False) on the same data: t = -3.7473, df = 4.4004, p = 0.016828.
  close(welch([19.1, 20.2, 21.3, 20.0], [22.0, 24.5, 23.1, 26.2])!.p, 0.016828, 1e-5);
  assert.equal(welch([1], [2, 3]), null, "one trial cannot be tested");
  assert.deepEqual(welch([3, 3], [3, 3]), { p: 1, significant: false });
  assert.deepEqual(welch([3, 3], [4, 4]), { p: 0, significant: true });
});

test("formatEstimate prints mean ± half-width", () => {
  assert.equal(formatEstimate(estimate([200, 204, 208]), 0), "204 ± 10");
  assert.equal(formatEstimate(estimate([204])), "204.0");
});
