import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
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
      "--levels",
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
    () => plan("--rates", "10", "20"),
    (e: unknown) => e instanceof UserError && /--rates needs --mode open/.test(e.message),
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
