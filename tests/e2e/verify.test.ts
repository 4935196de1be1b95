// Verify before benchmark, end to end: a server that returns wrong vectors (CLS instead of mean
// pooling, otherwise the real onnx-python engine) is caught, reported and not load-tested, and the
// run goes on to a correct framework.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { modelsDir, ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

test("a server with wrong pooling fails verification, is not benchmarked, and the run goes on", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("verify");
  const run = await runCli(
    ["--frameworks", "wrong-pooling", "onnx-python", "--concurrency-levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir],
    { env: { EMBEDDING_BENCH_EXTRA_SERVERS: path.join(ROOT, "tests", "fixtures", "servers") } },
  );
  assert.equal(run.code, 1, run.stderr.slice(-3000));

  const wrong = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "wrong-pooling.json"), "utf8")));
  assert.equal(wrong.status, "failed");
  assert.match(wrong.failure ?? "", /^verification failed, not benchmarked: \d+ problem\(s\) vs the reference \(sentence-transformers/);
  assert.match(wrong.failure ?? "", /one at a time: probe \d+ ".*": cosine 0\.\d+ < 0\.9999/);
  assert.deepEqual(wrong.scenarios, {}, "no load level ran");
  assert.equal(wrong.cold_start_ms, null, "no correct embedding ever came back");
  const v = wrong.verification!;
  assert.equal(v.passed, false);
  assert.equal(v.min_cosine_required, 0.9999, "the fp32 tolerance");
  assert.equal(v.precision, "fp32");
  assert.ok(v.min_cosine !== null && v.min_cosine < 0.99, `min cosine ${v.min_cosine}`);
  assert.ok(v.max_norm_error !== null && v.max_norm_error < 1e-3, "its vectors are unit length: only the reference catches it");
  // Every probe of the model's reference set (the model pipeline owns its size).
  const probes = JSON.parse(readFileSync(path.join(modelsDir(), MODEL, "reference", "probes.json"), "utf8")) as { texts: string[] };
  assert.equal(v.probes, probes.texts.length);
  assert.ok(typeof wrong.model_load_time_ms === "number" && wrong.model_load_time_ms > 0);
  assert.match(run.stdout, /wrong-pooling\s+failed/);
  assert.match(run.stdout, /Failures:\n {2}wrong-pooling: verification failed/);

  const good = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.equal(good.status, "completed");
  assert.equal(good.verification?.passed, true);
  assert.ok(good.verification!.min_cosine! >= 0.9999, `min cosine ${good.verification!.min_cosine}`);
  assert.equal(good.verification!.reason, null);
  assert.ok(good.cold_start_ms !== null && good.model_load_time_ms !== null && good.cold_start_ms > good.model_load_time_ms);
  assert.ok(good.first_inference_ms !== null && good.first_inference_ms > 0);
  assert.deepEqual(Object.keys(good.scenarios), [pointKey(closedPoint(1))]);
});

test("an fp32 server that adds 2 % noise to every vector is refused by the fp32 tolerance", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("noisy");
  const run = await runCli(["--frameworks", "noisy-fp32", "--concurrency-levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir], {
    env: { EMBEDDING_BENCH_EXTRA_SERVERS: path.join(ROOT, "tests", "fixtures", "servers") },
  });
  assert.equal(run.code, 1, run.stderr.slice(-3000));
  const noisy = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "noisy-fp32.json"), "utf8")));
  assert.equal(noisy.status, "failed");
  assert.match(noisy.failure ?? "", /^verification failed, not benchmarked: .*< 0\.9999/);
  const v = noisy.verification!;
  assert.equal(v.precision, "fp32");
  assert.equal(v.min_cosine_required, 0.9999);
  // Close enough that the old single tolerance (0.999) let it through: only the fp32 one catches it.
  assert.ok(v.min_cosine !== null && v.min_cosine > 0.999 && v.min_cosine < 0.9999, `min cosine ${v.min_cosine}`);
  assert.deepEqual(noisy.scenarios, {});
});
