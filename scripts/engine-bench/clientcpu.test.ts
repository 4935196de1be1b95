import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuUsPerRequest, cpuWithin } from "./clientcpu.ts";

const s = (t_ms: number, cpu_percent: number) => ({ t_ms, cpu_percent, rss_mb: 0 });

test("only the intervals inside the load count, weighted by their length", () => {
  // 0–1 s starting (100 %), then loaded: 1–2 s at 50 %, 2–4 s at 80 %; 4–5 s ending
  const samples = [s(0, 0), s(1000, 100), s(2000, 50), s(4000, 80), s(5000, 5)];
  assert.equal(cpuWithin(samples, 1000, 4000), (50 * 1000 + 80 * 2000) / 3000);
  assert.equal(cpuWithin(samples, 1500, 1900), null, "no whole interval inside");
  assert.equal(cpuUsPerRequest(50, 5000), 100);
  assert.equal(cpuUsPerRequest(null, 5000), null);
});
