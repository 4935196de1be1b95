import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { loadSuiteConfig } from "../plan/config.ts";
import { UserError } from "../platform/errors.ts";
import { ROOT } from "../platform/paths.ts";
import { dryRunPlan } from "./dry-run.ts";
import { parseArgs } from "../plan/bench-options.ts";

const config = loadSuiteConfig(ROOT);
const plan = (...argv: string[]) => dryRunPlan(parseArgs([...argv, "--dry-run"]), config).join("\n");

test("--dry-run prints the frameworks, the profile after overrides, the engine and where results go, and creates nothing", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-dryrun-"));
  try {
    const results = path.join(dir, "not", "yet");
    const text = plan(
      "--frameworks",
      "onnx-python",
      "onnx-rust",
      "--concurrency-levels",
      "1",
      "8",
      "--duration-s",
      "5",
      "--results-dir",
      results,
      "--csv",
      "--engine",
      "embedded",
    );
    assert.match(text, /frameworks: +onnx-python, onnx-rust/);
    assert.match(text, /closed loop at 1, 8 VUs, up to 5 s each/);
    assert.match(text, /load engine: +embedded .*--engine embedded/);
    assert.match(text, new RegExp(`${results}/runs/<new run id>/all-MiniLM-L6-v2/ \\(${results} would be created\\)`));
    assert.ok(!existsSync(path.join(dir, "not")), "the results folder is not created");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--dry-run refuses what a run refuses: a --name of the suite's, an unknown framework, a profile mismatch, a bad InfluxDB URL", () => {
  assert.throws(
    () => plan("--url", "http://127.0.0.1:7997", "--name", "infinity"),
    (e: unknown) => e instanceof UserError && /--name infinity: a framework of this suite/.test(e.message),
  );
  assert.throws(
    () => plan("--frameworks", "onnx-pyhton"),
    (e: unknown) => e instanceof UserError && /onnx-python/.test(e.message),
  );
  assert.throws(
    () => plan("--rates-rps", "10", "20"),
    (e: unknown) => e instanceof UserError && /--rates-rps needs --mode open/.test(e.message),
  );
  assert.throws(
    () => plan("--influx", "http://127.0.0.1:8086"),
    (e: unknown) => e instanceof UserError && /--influx: .*the path must name the database/.test(e.message),
  );
  assert.throws(
    () => plan("--dataset", "/nonexistent/texts.json"),
    (e: unknown) => e instanceof UserError && /--dataset: .* not found/.test(e.message),
  );
});

test("--dry-run of a server by URL names it, its API and whether its resources are measured", () => {
  const text = plan(
    "--url",
    "http://10.0.0.5:8000",
    "--api",
    "kserve",
    "--served-model",
    "minilm",
    "--name",
    "triton-ort",
    "--influx",
    "http://127.0.0.1:8086/embedding_bench",
  );
  assert.match(text, /server: +http:\/\/10\.0\.0\.5:8000, kserve API, served model minilm, as 'triton-ort'/);
  assert.match(text, /resources: +not measured/);
  assert.match(text, /InfluxDB: +http:\/\/127\.0\.0\.1:8086, database embedding_bench .*not contacted/);
});

test("--dry-run goes with --summary-only, --run, --runs and --list, and says what they would read", () => {
  assert.match(plan("--summary-only", "--run", "20261130-145952-7b2a"), /would: +print the summary of run 20261130-145952-7b2a/);
  assert.match(plan("--runs"), /would: +list the runs/);
  assert.match(plan("--list"), /would: +list the models/);
});

test("a sweep is the cross product: its points and ETA are printed before anything starts, and above max_points it is refused unless confirmed", () => {
  const sweep = ["--frameworks", "onnx-python", "openvino", "onnx-cpp", "--batch-size", "1", "8", "32", "--seq-len", "32", "128"];
  const text = plan(...sweep, "--concurrency-levels", "1", "4", "--trials", "3", "--duration-s", "5");
  assert.match(
    text,
    /sweep: +36 operating points \(1 model × 3 frameworks × 3 batch sizes × 2 text lengths × 2 levels\), 3 trials: 108 levels; ETA \d+m\d\ds of load at most \+ 9 server start-ups \(max_points 100\)/,
  );
  assert.match(text, /texts: +tokens-32\.json, tokens-128\.json of each model's datasets\/ .*tokens counted/);
  assert.match(text, /batch 1, 8, 32;/);
  const two = plan("--model", "all-MiniLM-L6-v2", "bge-small-en-v1.5", "--frameworks", "onnx-python", "--batch-size", "1", "8");
  assert.match(two, /models: +all-MiniLM-L6-v2 /);
  assert.match(two, /\n {16}bge-small-en-v1\.5 /);
  assert.match(two, /sweep: +8 operating points \(2 models × 1 framework × 2 batch sizes × 1 text length × 2 levels\)/);
  assert.throws(
    () => plan(...sweep, "--concurrency-levels", "1", "2", "4", "8", "16", "32"),
    (e: unknown) =>
      e instanceof UserError &&
      /^this sweep has 108 operating points \(.*\); ETA .*: more than the profile's max_points \(100\)\. Run it anyway with --confirm-points, raise the bound with --max-points/.test(
        e.message,
      ),
  );
  assert.match(
    plan(...sweep, "--concurrency-levels", "1", "2", "4", "8", "16", "32", "--confirm-points"),
    /108 operating points .*exceeded: --confirm-points given/,
  );
  assert.match(plan(...sweep, "--concurrency-levels", "1", "2", "4", "8", "16", "32", "--max-points", "200"), /108 operating points .*\(max_points 200\)/);
});

test("a profile's text lengths and a --dataset file cannot both say what is sent; --url serves one model", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-dryrun-texts-"));
  try {
    const file = path.join(dir, "mine.json");
    writeFileSync(file, JSON.stringify({ texts: ["a"] }));
    assert.throws(
      () => plan("--dataset", file, "--profile", "quick", "--max-points", "5", "--seq-len", "32"),
      (e: unknown) => e instanceof UserError && /--seq-len cannot be used with --dataset/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(
    () => plan("--url", "http://127.0.0.1:1", "--model", "all-MiniLM-L6-v2", "bge-small-en-v1.5"),
    (e: unknown) => e instanceof UserError && /--url benchmarks one server, which serves one model/.test(e.message),
  );
});
