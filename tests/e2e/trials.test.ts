// Repeated trials on real servers: interleaved order, each trial kept, mean ± 95 % CI per figure,
// and a server slowed on purpose reported as significantly slower.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";
const read = (dir: string, name: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8")));
const tiny = ["--concurrency-levels", "1", "--duration-s", "3", "--warmup-requests", "5"];

test("--trials 2 of onnx-python and onnx-rust runs A B A B and gives every figure a confidence interval", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("trials");
  const run = await runCli(["--frameworks", "onnx-python", "onnx-rust", "--trials", "2", ...tiny, "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const order = [...run.stderr.matchAll(/trial (\d)\/2: (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(order, ["1 onnx-python", "1 onnx-rust", "2 onnx-python", "2 onnx-rust"], "interleaved");
  for (const name of ["onnx-python", "onnx-rust"]) {
    const s = read(dir, name).scenarios[pointKey(closedPoint(1))]!;
    assert.equal(s.trials?.n, 2);
    const qps = s.trials!.throughput_qps;
    assert.equal(qps.values.length, 2);
    assert.ok(qps.ci95 !== null && qps.ci95 >= 0, `${name}: ci95 ${qps.ci95}`);
    assert.ok(Math.abs(s.throughput_qps - (qps.values[0]! + qps.values[1]!) / 2) < 0.01, "the level's figure is the trials' mean");
    for (const t of [1, 2]) assert.ok(existsSync(path.join(latestRun(dir), MODEL, "trials", `${name}.trial-${t}.json`)), `trial ${t} kept`);
  }
  assert.match(run.stdout, /^onnx-python\s+1\s+\d+\.\d ± \d+\.\d\s/m, "the summary prints mean ± CI");
});

test("a server slowed on purpose is reported as significantly slower", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("slow");
  const run = await runCli(["--frameworks", "slow-onnx", "onnx-python", "--trials", "3", ...tiny, "--results-dir", dir], {
    env: { EMBEDDING_BENCH_EXTRA_SERVERS: path.join(ROOT, "tests", "fixtures", "servers") },
  });
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  assert.match(run.stdout, /batch 1 · 1 VUs: onnx-python leads \([\d.]+ emb\/s, \d trials\); significantly ahead of slow-onnx \(p[=<]/);
  const [fast, slow] = [read(dir, "onnx-python"), read(dir, "slow-onnx")].map((r) => r.scenarios[pointKey(closedPoint(1))]!.trials!.throughput_qps);
  assert.ok(fast!.mean > slow!.mean * 1.3, `${fast!.mean} vs ${slow!.mean}`);
});
