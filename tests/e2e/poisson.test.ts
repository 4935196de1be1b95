// Poisson arrivals as the embedded engine really sends them: `npm run load -- --rate 100 --arrivals
// poisson` against a stub server that records when each request arrives (the arrival times are the
// load generator's, whatever answers). The arrival gaps seen by the server must be exponential at
// the requested rate (Kolmogorov–Smirnov at 1 %); constant arrivals on the same stub must fail the
// same test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { promisify } from "node:util";
import type { LevelOutcome } from "../../orchestrator/plan/level-spec.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { constantTimes } from "../../orchestrator/level/embedded/load-loops.ts";
import { ksDistanceExponential, scheduleTimes } from "../../scenario/arrivals.ts";

const RATE = 100;
const SEED = 7;
const DURATION_S = 12;

/** Runs one open-loop level against the stub; returns the engine's figures and the arrival times (s) the stub saw. */
async function level(
  arrivals: "poisson" | "constant",
  url: string,
  seen: number[],
): Promise<{ outcome: LevelOutcome & { thresholds_ok: boolean }; arrivals: number[] }> {
  seen.length = 0;
  const args = ["--url", url, "--rate", String(RATE), "--arrivals", arrivals, "--duration", `${DURATION_S}s`, "--dim", "0", "--json"];
  if (arrivals === "poisson") args.push("--seed", String(SEED));
  const { stdout } = await promisify(execFile)("npm", ["run", "-s", "load", "--", ...args], { cwd: ROOT, maxBuffer: 16 << 20 });
  return { outcome: JSON.parse(stdout) as LevelOutcome & { thresholds_ok: boolean }, arrivals: [...seen].sort((a, b) => a - b) };
}

const gapsOf = (times: readonly number[]) => times.slice(1).map((t, i) => t - times[i]!);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test("the embedded engine sends Poisson arrivals: exponential gaps at the requested rate at the server; constant arrivals are not", {
  timeout: 240_000,
}, async (t) => {
  // Answers like a small embedding server (one vector for the batch of one), 5–25 ms later; notes
  // when each request arrived.
  const seen: number[] = [];
  const server = http.createServer((req, res) => {
    seen.push(performance.now() / 1000);
    req.resume();
    req.on("end", () =>
      setTimeout(() => res.writeHead(200, { "Content-Type": "application/json" }).end('{"embeddings":[[0.1,0.2,0.3]]}'), 5 + Math.random() * 20),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const poisson = await level("poisson", url, seen);
    const schedule = scheduleTimes(RATE, SEED, DURATION_S);
    // Every scheduled start was sent (a Poisson start waits for a slot, never dropped), answered, and passed the checks.
    assert.equal(poisson.arrivals.length, schedule.length, "the stub saw every scheduled start");
    assert.equal(poisson.outcome.requests, schedule.length);
    assert.equal(poisson.outcome.errors, 0, JSON.stringify(poisson.outcome.errorsByKind));
    assert.equal(poisson.outcome.open?.dropped, 0);
    assert.equal(poisson.outcome.thresholds_ok, true);
    const gaps = gapsOf(poisson.arrivals);
    const n = gaps.length;
    assert.ok(Math.abs(n + 1 - RATE * DURATION_S) < 4 * Math.sqrt(RATE * DURATION_S), `${n + 1} requests in ${DURATION_S} s at ${RATE}/s`);
    const d = ksDistanceExponential(gaps, RATE);
    const critical = 1.628 / Math.sqrt(n);
    assert.ok(d < critical, `KS distance of the arrival gaps to Exp(${RATE}): ${d.toFixed(4)} (critical ${critical.toFixed(4)})`);
    const mean = gaps.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(gaps.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(sd / mean - 1) < 0.1, `coefficient of variation ${(sd / mean).toFixed(3)} (exponential: 1)`);
    // The server sees the seeded schedule itself: past the level's start (the typical offset between
    // its clock and the stub's), each arrival is where the schedule puts it, to well within a mean gap
    // (a loose bound: this machine is shared).
    const offset = median(poisson.arrivals.map((t, i) => t - schedule[i]!));
    const drift = poisson.arrivals.map((t, i) => Math.abs(t - schedule[i]! - offset));
    t.diagnostic(
      `poisson: KS ${d.toFixed(4)} (critical ${critical.toFixed(4)}), CV ${(sd / mean).toFixed(3)}, median drift ${(median(drift) * 1000).toFixed(2)} ms, late starts ${poisson.outcome.open!.lateStarts}`,
    );
    assert.ok(median(drift) < 0.5 / RATE, `median distance of an arrival from its scheduled time: ${(median(drift) * 1000).toFixed(1)} ms`);
    // Requests start on time: the pool keeps up with a fast server, so few starts are late.
    assert.ok(poisson.outcome.open!.lateStarts < 0.2 * schedule.length, `${poisson.outcome.open!.lateStarts} late starts of ${schedule.length}`);

    const constant = await level("constant", url, seen);
    const planned = constantTimes(RATE, DURATION_S).length;
    assert.equal(constant.outcome.requests + constant.outcome.open!.dropped, planned, "every constant start is sent or dropped");
    assert.equal(constant.arrivals.length, constant.outcome.requests, "the stub saw every request sent");
    assert.equal(constant.outcome.errors, 0);
    const cGaps = gapsOf(constant.arrivals);
    assert.ok(ksDistanceExponential(cGaps, RATE) > 1.628 / Math.sqrt(cGaps.length), "evenly spaced starts are rejected by the same test");
    const cMean = cGaps.reduce((a, x) => a + x, 0) / cGaps.length;
    assert.ok(Math.abs(cMean * RATE - 1) < 0.1, `constant arrivals' mean gap ${(cMean * 1000).toFixed(1)} ms at ${RATE}/s`);
  } finally {
    server.close();
  }
});
