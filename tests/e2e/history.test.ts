// Run history and run-to-run comparison on real runs: the embedded load engine, the real onnx-python server, the
// real all-MiniLM-L6-v2, and the slowed copy of onnx-python (tests/fixtures/servers/slow-onnx) as
// the regression a CI gate must catch.
import assert from "node:assert/strict";
import { cpSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { RunComparison } from "../../orchestrator/results/run-comparison.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const tiny = ["--concurrency-levels", "1", "--duration-s", "3", "--warmup-requests", "5"];
const compare = (args: string[]) => runCli(args, { entry: "orchestrator/main/compare.ts", timeoutMs: 60_000 });
const fixtures = { EMBEDDING_BENCH_EXTRA_SERVERS: path.join(ROOT, "tests", "fixtures", "servers") };

test("each run keeps its own folder, --runs lists them, compare tells noise from a slowed server", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("history");
  // Three trials where significance must show: with two, Welch's test has 1 to 2 degrees of freedom.
  const first = await runCli(["--frameworks", "onnx-python", "--trials", "3", ...tiny, "--results-dir", dir]);
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  const idA = path.basename(latestRun(dir));
  // Off a terminal the progress is plain lines, one per event.
  assert.match(first.stderr, /progress: onnx-python \(trial 2\/3\): level 1\/1, 1 VUs, window 1\/2; elapsed [\dhms]+, ETA [\dhms]+\n/);

  const second = await runCli(["--frameworks", "onnx-python", ...tiny, "--results-dir", dir]);
  assert.equal(second.code, 0, second.stderr.slice(-3000));
  const idB = path.basename(latestRun(dir));
  assert.notEqual(idA, idB);
  assert.deepEqual(readdirSync(path.join(dir, "runs")).sort(), [idA, idB].sort(), "the second run wrote beside the first");
  assert.equal(realpathSync(path.join(dir, "latest")), realpathSync(path.join(dir, "runs", idB)));

  const list = await runCli(["--runs", "--results-dir", dir]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stdout,
    new RegExp(`^${idA}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\s+completed\\s+1\\s+${MODEL}\\s+onnx-python\\s+quick\\s+[0-9a-f]{10}`, "m"),
    "date, status, levels finished, model, frameworks, profile, commit",
  );
  assert.match(list.stdout, new RegExp(`^${idB} \\*\\s`, "m"), "the latest is marked");

  const old = await runCli(["--summary-only", "--run", idA, "--results-dir", dir]);
  assert.equal(old.code, 0, old.stderr);
  assert.match(old.stdout, /^onnx-python\s+1\s+\d+\.\d ± \d+\.\d\s/m, "the first run's trials, not the latest run");

  const same = await compare([idA, idB, "--json", "--results-dir", dir]);
  assert.equal(same.code, 0, same.stderr);
  const cmp = RunComparison.parse(JSON.parse(same.stdout));
  assert.equal(cmp.levels.length, 1);
  assert.deepEqual([cmp.levels[0]!.framework_a, cmp.levels[0]!.concurrency, cmp.levels[0]!.trials_a, cmp.levels[0]!.trials_b], ["onnx-python", 1, 3, 1]);
  assert.equal(cmp.levels[0]!.throughput_qps.significance, "untested", "run B has one trial");

  const slow = await runCli(["--frameworks", "slow-onnx", "--trials", "3", ...tiny, "--results-dir", dir], { env: fixtures });
  assert.equal(slow.code, 0, slow.stderr.slice(-3000));
  const gate = await compare([idA, "latest", "--pair", "onnx-python=slow-onnx", "--fail-on-regression", "5", "--results-dir", dir]);
  assert.equal(gate.code, 1, gate.stdout + gate.stderr);
  assert.match(gate.stdout, /Regressions beyond 5 %:\n {2}onnx-python → slow-onnx c=1 b=1: (throughput|p50|p95) [\d.]+ → [\d.]+ \([+-][\d.]+ %, p[=<][\d.]+\)/);

  const unknown = await compare(["no-such-run", "latest", "--results-dir", dir]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, new RegExp(`ERROR: unknown run 'no-such-run'; .*runs holds: .*${idA}.*${idB}.*, latest\\n$`));
  assert.equal(unknown.stderr.trim().split("\n").length, 1);

  // Results as an older version left them (results/<model>/…) are moved into a run of their own.
  cpSync(path.join(dir, "runs", idA, MODEL), path.join(dir, MODEL), { recursive: true });
  const migrated = await runCli(["--runs", "--results-dir", dir]);
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.match(
    migrated.stderr,
    /results of an earlier version \(all-MiniLM-L6-v2\) moved from .* to .*runs\/legacy-\d{8}-\d{6}; read them with --summary-only --run legacy-/,
  );
  assert.match(migrated.stdout, /^legacy-\d{8}-\d{6}\s+.*onnx-python/m);
});
