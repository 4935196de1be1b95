// Open-loop levels end to end: the embedded load engine (constant arrivals), the real onnx-python server, the real
// all-MiniLM-L6-v2. One rate the server meets easily, one far beyond what one CPU can serve.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, openPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

test("--mode open --rates-rps writes rate_<N> levels with target and achieved rates, and flags the one beyond capacity saturated", {
  timeout: 300_000,
}, async () => {
  const dir = tempDir("openloop");
  const csvFile = path.join(dir, "out.csv");
  const args = [
    "--frameworks",
    "onnx-python",
    "--mode",
    "open",
    "--rates-rps",
    "5",
    "500",
    "--duration-s",
    "5",
    "--warmup-requests",
    "5",
    "--results-dir",
    dir,
    "--csv",
    csvFile,
  ];
  const run = await runCli(args);
  assert.equal(run.code, 0, run.stderr.slice(-4000));

  const modelDir = path.join(latestRun(dir), MODEL);
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(modelDir, "onnx-python.json"), "utf8")));
  assert.equal(result.status, "completed");
  assert.deepEqual(Object.keys(result.scenarios), [pointKey(openPoint(5)), pointKey(openPoint(500))]);
  const [low, high] = [result.scenarios[pointKey(openPoint(5))]!, result.scenarios[pointKey(openPoint(500))]!];
  for (const s of [low, high]) {
    assert.equal(s.mode, "open");
    assert.ok(s.vus_max !== undefined && s.vus_max >= 1 && s.vus_max <= s.concurrency, `VUs ${s.vus_max} of ${s.concurrency}`);
    assert.equal(s.errors, 0);
  }
  assert.equal(low.target_rps, 5);
  assert.ok(low.achieved_rps! >= 5 * 0.95, `achieved ${low.achieved_rps} req/s at a target of 5`);
  assert.equal(low.validity?.saturated, false);
  assert.equal(high.target_rps, 500);
  assert.equal(high.validity?.saturated, true, `achieved ${high.achieved_rps} req/s at a target of 500`);
  assert.ok(high.achieved_rps! < 500 * 0.95);
  assert.ok(high.dropped_iterations! > 0, "starts with no free VU are counted");
  assert.ok(existsSync(path.join(modelDir, "levels", "onnx-python-r5-b1.summary.json")), "the engine's files are named by the rate");
  assert.ok(existsSync(path.join(modelDir, "levels", "onnx-python-r500-b1.log")));

  assert.match(run.stdout, /Open loop \(constant arrival rate\):/);
  assert.match(run.stdout, /onnx-python\s+500\s+[\d.]+\s+\d+\s+\d+\/\d+.*saturated/);

  const csv = readFileSync(csvFile, "utf8").trim().split("\n");
  const header = csv[0]!.split(",");
  const col = (line: string, name: string) => line.split(",")[header.indexOf(name)];
  assert.deepEqual(
    csv.slice(1).map((l) => [col(l, "mode"), col(l, "target_rps"), col(l, "saturated")]),
    [
      ["open", "5", "false"],
      ["open", "500", "true"],
    ],
  );
});

test("--slo searches open-loop rates from the closed-loop throughput and records every rate tried", { timeout: 300_000 }, async () => {
  const dir = tempDir("slo");
  const steps = 3;
  const args = [
    "--frameworks",
    "onnx-python",
    "--concurrency-levels",
    "1",
    "--duration-s",
    "3",
    "--warmup-requests",
    "5",
    "--slo",
    "p99<200ms",
    "--slo-max-steps",
    String(steps),
    "--results-dir",
    dir,
  ];
  const run = await runCli(args);
  assert.equal(run.code, 0, run.stderr.slice(-4000));

  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.equal(result.capacity_at_slo?.length, 1, "one search: one batch size, one text length");
  const c = result.capacity_at_slo[0]!;
  assert.deepEqual([c.slo, c.batch_size, c.seq_len], ["p99<200ms", 1, null]);
  assert.equal(c.start_from, "closed_loop_qps");
  assert.equal(c.start_rps, Math.round(result.scenarios[pointKey(closedPoint(1))]!.throughput_qps));
  assert.equal(c.tried[0]!.rate_rps, c.start_rps);
  assert.ok(c.tried.length >= 2 && c.tried.length <= steps, `${c.tried.length} levels`);
  const passed = c.tried.filter((t) => t.passed).map((t) => t.rate_rps);
  const failed = c.tried.filter((t) => !t.passed).map((t) => t.rate_rps);
  // The server has one CPU: twice its throughput at 1 VU cannot meet the SLO, and its start or half of it can.
  assert.ok(passed.length > 0 && failed.length > 0, JSON.stringify(c.tried));
  assert.equal(c.capacity_rps, Math.max(...passed));
  assert.equal(c.lowest_failing_rps, Math.min(...failed));
  assert.ok(c.capacity_rps! < c.lowest_failing_rps!);
  for (const t of c.tried) {
    const level = result.scenarios[pointKey(openPoint(t.rate_rps))];
    assert.ok(level && level.mode === "open" && level.target_rps === t.rate_rps, `level ${pointKey(openPoint(t.rate_rps))}`);
    assert.equal(level.stability, undefined, "open-loop levels run their whole duration");
    assert.match(t.reason, t.passed ? /p99 [\d.]+ ms < 200 ms/ : /saturated|p99 [\d.]+ ms ≥ 200 ms/);
  }
  assert.match(run.stdout, new RegExp(`Capacity at SLO[^\\n]*\\n  onnx-python: p99<200ms: ${c.capacity_rps} req/s`));
});

test("--arrivals poisson: an open-loop level with Poisson arrivals records late starts and latency from the scheduled start", {
  timeout: 300_000,
}, async () => {
  const dir = tempDir("poisson-cli");
  const run = await runCli([
    "--frameworks",
    "onnx-python",
    "--mode",
    "open",
    "--rates-rps",
    "10",
    "--arrivals",
    "poisson",
    "--duration-s",
    "10",
    "--warmup-requests",
    "5",
    "--results-dir",
    dir,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  const level = result.scenarios[pointKey(openPoint(10))]!;
  assert.equal(level.mode, "open");
  assert.equal(level.arrivals, "poisson");
  assert.equal(level.target_rps, 10);
  assert.equal(level.dropped_iterations, 0, "Poisson starts are delayed, never dropped");
  assert.ok(level.late_starts !== undefined && level.late_starts < level.num_requests / 10, `${level.late_starts} late starts`);
  // The seeded schedule (seed 1, the default) holds 93 arrivals in its 10 s: every one is sent.
  const { scheduledArrivals } = await import("../../scenario/arrivals.ts");
  assert.equal(level.num_requests, scheduledArrivals(10, 1, 10));
  assert.equal(level.validity?.saturated, false);
  const fromIntended = level.latency_from_intended_ms!;
  assert.ok(fromIntended.p99 >= level.latency_ms.p99 - 1 && fromIntended.median >= level.latency_ms.median - 1, "lateness only adds");
  assert.match(run.stderr, /10 req\/s \(Poisson\): achieved [\d.]+ req\/s, late starts \d+/);
});
