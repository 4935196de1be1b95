// Poisson arrivals as real k6 sends them: build/embed.js with -e ARRIVALS=poisson against a stub
// server (the arrival times are the load generator's, whatever answers), every request's time read
// from k6's own JSON output. The send times' gaps must be exponential at the requested rate
// (Kolmogorov–Smirnov at 1 %); constant arrivals on the same stub must fail the same test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ksDistanceExponential } from "../../scenario/arrivals.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { ensureK6 } from "../../orchestrator/toolchain/k6.ts";
import { tempDir } from "./helpers.ts";

const RATE = 40;

/** Start times (s) of every request of a k6 run: the sample's time is its end; minus http_req_duration. */
async function sendTimes(arrivals: "poisson" | "constant", url: string): Promise<{ starts: number[]; lateness: number[] }> {
  const k6 = await ensureK6();
  const out = path.join(tempDir("poisson"), "out.json");
  const env = { ...process.env, K6_NO_USAGE_REPORT: "true" };
  const args = ["run", "-q", path.join(ROOT, "build", "embed.js"), "--out", `json=${out}`];
  for (const [k, v] of Object.entries({ BASE_URL: url, MODE: "open", RATE: String(RATE), ARRIVALS: arrivals, ARRIVAL_SEED: "7", DURATION: "30s", MAX_VUS: "40" })) args.push("-e", `${k}=${v}`);
  await promisify(execFile)(k6.path, args, { env, maxBuffer: 16 << 20 });
  const starts: number[] = [];
  const lateness: number[] = [];
  for (const line of readFileSync(out, "utf8").split("\n")) {
    if (!line.includes('"type":"Point"')) continue;
    const p = JSON.parse(line) as { metric: string; data: { time: string; value: number } };
    // RFC 3339 with nanoseconds: Date keeps milliseconds, the fraction beyond is added back.
    const frac = /\.(\d+)/.exec(p.data.time)?.[1] ?? "0";
    const t = Math.floor(Date.parse(p.data.time) / 1000) + Number(`0.${frac}`);
    if (p.metric === "http_req_duration") starts.push(t - p.data.value / 1000);
    if (p.metric === "arrival_lateness_ms") lateness.push(p.data.value);
  }
  return { starts: starts.sort((a, b) => a - b), lateness };
}

test("k6 sends Poisson arrivals: exponential gaps at the requested rate; constant arrivals are not", { timeout: 180_000 }, async () => {
  // Answers like a small embedding server, 5–25 ms later.
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.writeHead(200, { "Content-Type": "application/json" }).end('{"embeddings":[[0.1,0.2,0.3]]}'), 5 + Math.random() * 20));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const poisson = await sendTimes("poisson", url);
    const gaps = poisson.starts.slice(1).map((t, i) => t - poisson.starts[i]!);
    const n = gaps.length;
    assert.ok(Math.abs(n - RATE * 30) < 4 * Math.sqrt(RATE * 30), `${n + 1} requests in 30 s at ${RATE}/s`);
    const d = ksDistanceExponential(gaps, RATE);
    assert.ok(d < 1.628 / Math.sqrt(n), `KS distance of the send gaps to Exp(${RATE}): ${d.toFixed(4)} (critical ${(1.628 / Math.sqrt(n)).toFixed(4)})`);
    const mean = gaps.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(gaps.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(sd / mean - 1) < 0.1, `coefficient of variation ${(sd / mean).toFixed(3)} (exponential: 1)`);
    // Requests start on time: the VU pool keeps up with a fast server.
    const sorted = [...poisson.lateness].sort((a, b) => a - b);
    assert.equal(sorted.length, n + 1);
    assert.ok(sorted[Math.floor(0.95 * sorted.length)]! < 10, `p95 lateness ${sorted[Math.floor(0.95 * sorted.length)]} ms`);

    const constant = await sendTimes("constant", url);
    const cGaps = constant.starts.slice(1).map((t, i) => t - constant.starts[i]!);
    assert.ok(ksDistanceExponential(cGaps, RATE) > 1.628 / Math.sqrt(cGaps.length), "evenly spaced starts are rejected by the same test");
    assert.equal(constant.lateness.length, 0, "constant arrivals record no lateness");
  } finally {
    server.close();
  }
});
