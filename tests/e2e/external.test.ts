// bench:k6 --url: servers started here by hand (through the launcher, as a user would start one
// elsewhere), then benchmarked as servers the suite did not start, in the contract's API and in
// OpenAI's. One onnx-python serves every test of the file; levels are one VU for two seconds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { discoverServers, getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { call, startServer, type RunningServer } from "./servers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const TINY = ["--concurrency-levels", "1", "--duration-s", "2", "--warmup-requests", "3", "--window-s", "0"];
const readResult = (dir: string, name: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8")));

let model: PreparedModel;
let server: RunningServer;

before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
  const onnx = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  server = await startServer(onnx, model, config.benchmark.health_timeout_s * 1000, { THREADS: "1", WORKERS: "1" });
});

after(async () => {
  await server?.proc.stop(config.benchmark.stop_timeout_s);
});

test("--url --server-pid: verified through the adapter, benchmarked, resources of that process measured", { timeout: 600_000 }, async () => {
  const dir = tempDir("external");
  const run = await runCli(["--url", server.base, "--api", "embed", "--name", "ext", "--server-pid", String(server.proc.pid), ...TINY, "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const r = readResult(dir, "ext");
  assert.equal(r.status, "completed");
  assert.equal(r.framework, "ext");
  assert.equal(r.api, "embed");
  assert.equal(r.language, "unknown");
  assert.equal(r.server_url, server.base);
  assert.deepEqual(r.external, { server_pid: server.proc.pid, served_model: "" });
  assert.equal(r.verification?.passed, true, r.verification?.reason ?? "");
  assert.ok(r.verification!.min_cosine! >= 0.9999);
  assert.equal(r.cold_start_ms, null, "the suite did not start it");
  assert.ok(r.first_inference_ms !== null && r.first_inference_ms > 0);
  assert.equal(r.server_info?.["framework"], "onnx-python", "its /info is recorded");
  const level = r.scenarios[pointKey(closedPoint(1))]!;
  assert.ok(level.num_requests > 0 && level.errors === 0, JSON.stringify(level));
  assert.ok(level.server_cpu_percent !== null && level.server_cpu_percent > 5, `server CPU ${level.server_cpu_percent}`);
  assert.ok(level.server_memory_mb !== null && level.server_memory_mb > 50, `server RSS ${level.server_memory_mb}`);
  assert.ok(server.proc.hasExited() === false, "the suite leaves a server it did not start running");
});

test("--url --api openai without --server-pid: resources recorded as not measured, shown n/m", { timeout: 600_000 }, async () => {
  const dir = tempDir("external-openai");
  const run = await runCli([
    "--url",
    server.base,
    "--api",
    "openai",
    "--name",
    "ext-openai",
    ...TINY,
    "--results-dir",
    dir,
    "--csv",
    path.join(dir, "out.csv"),
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const r = readResult(dir, "ext-openai");
  assert.equal(r.status, "completed");
  assert.equal(r.api, "openai");
  assert.deepEqual(r.external, { server_pid: null, served_model: getModel(config, MODEL).huggingface_id });
  assert.equal(r.verification?.passed, true, r.verification?.reason ?? "");
  const level = r.scenarios[pointKey(closedPoint(1))]!;
  assert.ok(level.num_requests > 0 && level.errors === 0, JSON.stringify(level));
  assert.equal(level.server_cpu_percent, null);
  assert.equal(level.server_memory_mb, null);
  assert.equal(level.server_memory_peak_mb, null);
  assert.match(run.stdout, /^ext-openai\s+1\s+.*\s+n\/m\s+n\/m\s+/m, run.stdout);
  assert.match(run.stdout, /n\/m: not measured/);
  const [header, row] = readFileSync(path.join(dir, "out.csv"), "utf8").split("\n");
  const cell = (name: string) => row!.split(",")[header!.split(",").indexOf(name)];
  assert.equal(cell("server_cpu_percent"), "");
  assert.equal(cell("server_memory_mb"), "");
  assert.notEqual(cell("client_cpu_percent"), "");
});

test("--url --api tei: TEI's /embed body and bare-array answer, verified and benchmarked through the tei adapter", { timeout: 600_000 }, async () => {
  // onnx-python answers TEI's body (outside the contract) as TEI does: the adapter meets a real server.
  const unit = await call(`${server.base}/embed`, { method: "POST", body: JSON.stringify({ inputs: ["a cat", "a dog"] }) });
  assert.equal(unit.status, 200, unit.text.slice(0, 300));
  const vectors = unit.json as number[][];
  assert.equal(vectors.length, 2);
  assert.ok(Math.abs(Math.hypot(...vectors[0]!) - 1) < 1e-4, "TEI normalises by default");
  const raw = await call(`${server.base}/embed`, { method: "POST", body: JSON.stringify({ inputs: "a cat", normalize: false }) });
  assert.equal((raw.json as number[][]).length, 1, "a single string is one input");
  assert.ok(Math.abs(Math.hypot(...(raw.json as number[][])[0]!) - 1) > 1e-3, "normalize: false is honoured");
  const bad = await call(`${server.base}/embed`, { method: "POST", body: JSON.stringify({ inputs: [] }) });
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.json as object).sort(), ["error", "error_type"], "TEI's error shape");

  const dir = tempDir("external-tei");
  const run = await runCli(["--url", server.base, "--api", "tei", "--name", "ext-tei", ...TINY, "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const r = readResult(dir, "ext-tei");
  assert.equal(r.status, "completed");
  assert.equal(r.api, "tei");
  assert.equal(r.verification?.passed, true, r.verification?.reason ?? "");
  assert.ok(r.verification!.min_cosine! >= 0.9999);
  const level = r.scenarios[pointKey(closedPoint(1))]!;
  assert.ok(level.num_requests > 0 && level.errors === 0, JSON.stringify(level));
});

test("--url of a server with another pooling is refused by verification, through the openai adapter", { timeout: 600_000 }, async () => {
  const wrong = discoverServers(path.join(ROOT, "tests", "fixtures", "servers")).find((s) => s.manifest.name === "wrong-pooling")!;
  const other = await startServer(wrong, model, config.benchmark.health_timeout_s * 1000);
  try {
    const dir = tempDir("external-wrong");
    const run = await runCli(["--url", other.base, "--api", "openai", "--name", "ext-wrong", ...TINY, "--results-dir", dir]);
    assert.equal(run.code, 1, run.stderr.slice(-3000));
    const r = readResult(dir, "ext-wrong");
    assert.equal(r.status, "failed");
    assert.match(r.failure ?? "", /^verification failed, not benchmarked: .*cosine 0\.\d+ < 0\.9999/);
    assert.deepEqual(r.scenarios, {}, "no load level ran");
  } finally {
    await other.proc.stop(config.benchmark.stop_timeout_s);
  }
});

test("--url mistakes are one line and exit 2: a dead --server-pid, a suite framework's --name, no server there", { timeout: 120_000 }, async () => {
  const dir = tempDir("external-bad");
  // A pid that a process had a moment ago: within the kernel's bound, owned by nobody now.
  const gone = spawnSync("true").pid;
  const dead = await runCli(["--url", server.base, "--server-pid", String(gone), "--results-dir", dir]);
  assert.equal(dead.code, 2, dead.stderr);
  assert.match(dead.stderr, new RegExp(`--server-pid ${gone}: no such process on this machine`));
  const taken = await runCli(["--url", server.base, "--name", "onnx-python", "--results-dir", dir]);
  assert.equal(taken.code, 2, taken.stderr);
  assert.match(taken.stderr, /--name onnx-python: a framework of this suite has that name/);
  const nobody = await runCli(["--url", "http://127.0.0.1:9", ...TINY, "--results-dir", dir]);
  assert.equal(nobody.code, 1, nobody.stderr.slice(-2000));
  assert.match(readResult(dir, "external").failure ?? "", /^cannot reach http:\/\/127\.0\.0\.1:9: /);
});
