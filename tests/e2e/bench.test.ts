// The walking skeleton end to end: the embedded load engine, the real onnx-python server, the real all-MiniLM-L6-v2.
import assert from "node:assert/strict";
import { existsSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { SEED_CSV_HEADER } from "../../orchestrator/outputs/csv.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { isAlive, latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

test("bench:k6 runs onnx-python at tiny scale and writes the standard JSON and CSV", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("bench");
  const csvFile = path.join(dir, "out.csv");
  const run = await runCli([
    "--frameworks",
    "onnx-python",
    "--concurrency-levels",
    "2",
    "--duration-s",
    "4",
    "--warmup-requests",
    "10",
    "--results-dir",
    dir,
    "--csv",
    csvFile,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));

  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.equal(result.status, "completed");
  assert.equal(result.failure, null);
  assert.equal(result.framework, "onnx-python");
  assert.equal(result.model_name, MODEL);
  assert.equal(result.synthetic_weights, false);
  assert.equal(result.dataset, "builtin");
  assert.ok(result.first_inference_ms !== null && result.first_inference_ms > 0);
  assert.ok(result.cold_start_ms !== null && result.cold_start_ms > 0);
  assert.equal(result.server_info?.["framework"], "onnx-python");
  assert.equal(result.server_info?.["embedding_dim"], 384);
  assert.ok(typeof result.server_info?.["model_load_time_ms"] === "number");
  assert.deepEqual(Object.keys(result.scenarios), [pointKey(closedPoint(2))]);
  const s = result.scenarios[pointKey(closedPoint(2))]!;
  assert.equal(s.concurrency, 2);
  assert.equal(s.errors, 0);
  assert.equal(s.error_rate, 0);
  assert.ok(s.num_requests > 10, `requests ${s.num_requests}`);
  assert.ok(s.throughput_qps > 0);
  const l = s.latency_ms;
  assert.ok(0 < l.min && l.min <= l.median && l.median <= l.p90 && l.p90 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
  assert.ok(l.stddev > 0);
  assert.ok(s.total_duration_sec >= 4 && s.total_duration_sec < 20);
  assert.ok(s.server_cpu_percent !== null && s.server_cpu_percent > 5, `server CPU ${s.server_cpu_percent}`);
  assert.ok(s.server_memory_mb !== null && s.server_memory_mb > 50, `server RSS ${s.server_memory_mb}`);
  assert.ok(s.client_cpu_percent > 0 && s.client_memory_mb > 5);
  assert.ok(s.server_inference_ms !== null && s.server_inference_ms.median > 0 && s.server_inference_ms.median < l.median);
  // No k6 here: the embedded engine ran the level, and the result says so.
  assert.equal(result.environment.load_engine?.name, "embedded");
  assert.match(result.environment.load_engine?.version ?? "", /\(Node v\d+\.\d+\.\d+, http1 client\)$/);
  assert.equal(result.environment.k6_version, null);
  assert.deepEqual(s.errors_by_kind, {});
  assert.ok(existsSync(path.join(latestRun(dir), MODEL, "levels", "onnx-python-c2-b1.summary.json")), "the engine's figures of the level");
  assert.ok(existsSync(path.join(latestRun(dir), MODEL, "levels", "onnx-python-c2-b1.log")), "and its log");
  // Every standard key of FrameworkResult and ScenarioResult (orchestrator/results/schema.ts).
  for (const key of ["framework", "model_name", "server_url", "first_inference_ms", "server_info", "final_server_info", "scenarios"])
    assert.ok(key in result, key);
  for (const key of [
    "scenario_name",
    "concurrency",
    "num_requests",
    "batch_size",
    "latency_ms",
    "throughput_qps",
    "total_duration_sec",
    "server_cpu_percent",
    "server_memory_mb",
    "client_cpu_percent",
    "client_memory_mb",
    "errors",
    "error_rate",
  ])
    assert.ok(key in s, key);
  for (const key of ["mean", "median", "p95", "p99", "p999", "min", "max", "stddev"]) assert.ok(key in l, key);

  const csv = readFileSync(csvFile, "utf8").trim().split("\n");
  assert.equal(csv[0]!.split(",").slice(0, 14).join(","), SEED_CSV_HEADER.join(","));
  assert.equal(csv.length, 2);
  const row = csv[1]!.split(",");
  assert.equal(row[1], MODEL);
  assert.equal(row[2], "ONNX Runtime");
  assert.equal(row[3], "Python");
  assert.equal(row[4], "2");
  assert.equal(Number(row[5]), s.throughput_qps);
  assert.equal(Number(row[6]), l.median);

  assert.match(run.stdout, /Benchmark Results Summary - all-MiniLM-L6-v2/);
  assert.match(run.stdout, /onnx-python\s+ok/);

  // --summary-only reads the same files back without running anything.
  const summary = await runCli(["--summary-only", "--results-dir", dir]);
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, /onnx-python\s+2\s+/);
  // The server is gone after the run.
  assert.equal(isAlive(Number(result.server_info?.["pid"])), false);
});

test("a server that crashes is reported and the run goes on to the next framework", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("crash");
  const extra = path.join(dir, "servers");
  mkdirSync(path.join(extra, "crashes-at-start"), { recursive: true });
  writeFileSync(
    path.join(extra, "crashes-at-start", "manifest.yaml"),
    [
      "name: crashes-at-start",
      "display_name: Broken",
      "language: Python",
      "runtime: none",
      "model_format: onnx",
      "precision: fp32",
      "description: exits with an error before it serves",
      "prepare: { kind: none }",
      "start:",
      `  command: ["python3", "-c", "import sys; print('cannot load the model'); sys.exit(3)"]`,
    ].join("\n"),
  );
  const args = [
    "--frameworks",
    "crashes-at-start",
    "onnx-python",
    "--concurrency-levels",
    "1",
    "--duration-s",
    "2",
    "--warmup-requests",
    "2",
    "--results-dir",
    dir,
  ];
  const env = { EMBEDDING_BENCH_EXTRA_SERVERS: extra };
  const run = await runCli(args, { env });
  assert.equal(run.code, 1, "a failed framework fails the run without --skip-on-error");
  const broken = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "crashes-at-start.json"), "utf8")));
  assert.equal(broken.status, "failed");
  assert.match(broken.failure ?? "", /exited before it was healthy \(exit 3\)/);
  assert.match(broken.failure ?? "", /cannot load the model/);
  const good = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.equal(good.status, "completed");
  assert.match(run.stdout, /crashes-at-start\s+failed/);

  const skipped = await runCli([...args, "--skip-on-error"], { env });
  assert.equal(skipped.code, 0, "with --skip-on-error the run succeeds when another framework completed");
});

test("Ctrl-C during a level keeps finished levels, marks the result interrupted and leaves no server behind", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("sigint");
  let sent = false;
  const run = await runCli(
    ["--frameworks", "onnx-python", "--concurrency-levels", "1", "2", "--duration-s", "6", "--warmup-requests", "2", "--results-dir", dir],
    {
      onStderr: (text, child) => {
        if (!sent && text.includes("level 2/2")) {
          sent = true;
          setTimeout(() => child.kill("SIGINT"), 1500);
        }
      },
    },
  );
  assert.ok(sent, "the second level started");
  assert.equal(run.code, 130, run.stderr.slice(-2000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.equal(result.status, "interrupted");
  assert.deepEqual(Object.keys(result.scenarios), [pointKey(closedPoint(1))], "the finished level is on disk");
  const pid = Number(result.server_info?.["pid"]);
  assert.ok(pid > 0);
  assert.equal(isAlive(pid), false, `server pid ${pid} is gone`);
});

test("bad input fails with a clear message", { timeout: 120_000 }, async () => {
  const unknown = await runCli(["--frameworks", "no-such-framework"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown framework 'no-such-framework'; servers\/\*\/manifest\.yaml defines: .*onnx-python/);
  const model = await runCli(["--model", "no-such-model"]);
  assert.equal(model.code, 2);
  assert.match(model.stderr, /unknown model 'no-such-model'; config\/models.yaml defines: .*all-MiniLM-L6-v2/);
  const typo = await runCli(["--prfile", "quick"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown option --prfile; did you mean --profile\?/);
  const profile = await runCli(["--profile", "quik"]);
  assert.equal(profile.code, 2);
  assert.match(profile.stderr, /unknown profile 'quik'; config\/benchmark\.yaml defines: quick, standard, full, open \(did you mean quick\?\)/);
});

test("bad output paths and dataset files are refused at once, before the load engine, the model or any server", { timeout: 120_000 }, async () => {
  const nullDataset = path.join(tempDir("dataset"), "null.json");
  writeFileSync(nullDataset, "null");
  const cases: [string[], RegExp][] = [
    [["--results-dir", "/proc/x"], /ERROR: --results-dir: \/proc\/x is on procfs, a kernel pseudo-filesystem; choose a normal folder\n$/],
    [["--csv", "/proc/x/y.csv"], /ERROR: --csv: \/proc\/x is on procfs/],
    [["--results-dir", "/sys/x"], /ERROR: --results-dir: \/sys\/x is on sysfs/],
    [["--results-dir", `${nullDataset}/sub`], /is a file, not a folder\n$/],
    [["--dataset", nullDataset], /ERROR: --dataset: .*null\.json: expected an object \{"texts": \[\.\.\.\]\}, got null\n$/],
    [["--duration-s", "1e-9"], /ERROR: --duration-s: expected a whole number, got '1e-9'\n$/],
    [["--duration-s", "0"], /ERROR: --duration-s: must be at least 1, got 0\n$/],
  ];
  for (const [args, message] of cases) {
    const started = performance.now();
    const r = await runCli(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.ok(performance.now() - started < 30_000, `${args.join(" ")} answered at once`);
  }
});
