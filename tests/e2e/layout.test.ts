// The layout on a real run: the requested and the effective layout are recorded in the result and
// the CSV, and --layout auto probes each candidate layout before benchmarking the best. (That every
// server, Python, Rust and C++, honours THREADS=1 WORKERS=1 and defaults to one single-threaded call
// per CPU is checked by the conformance suite, which starts them all both ways.)
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { allowedCpus, parseCpuList } from "../../orchestrator/platform/affinity.ts";
import { candidateLayouts, chooseLayout, layoutName } from "../../orchestrator/results/layout-choice.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

const readJson = (file: string) => FrameworkResult.parse(JSON.parse(readFileSync(file, "utf8")));
const readResult = (dir: string, framework: string) => readJson(path.join(latestRun(dir), MODEL, `${framework}.json`));
const readTrial = (dir: string, trial: number) => readJson(path.join(latestRun(dir), MODEL, "trials", `onnx-python.trial-${trial}.json`));

async function run(extra: string[]): Promise<{ result: FrameworkResult; csv: string }> {
  const dir = tempDir("layout-run");
  const cli = await runCli([
    "--frameworks",
    "onnx-rust",
    ...extra,
    "--concurrency-levels",
    "1",
    "--duration-s",
    "2",
    "--warmup-requests",
    "2",
    "--results-dir",
    dir,
    "--csv",
  ]);
  assert.equal(cli.code, 0, cli.stderr.slice(-3000));
  const result = readResult(dir, "onnx-rust");
  const runDir = latestRun(dir);
  const csvFile = readdirSync(runDir).find((f) => f.endsWith(".csv"));
  assert.ok(csvFile, `no CSV in ${runDir}`);
  return { result, csv: readFileSync(path.join(runDir, csvFile), "utf8") };
}

/** The CSV's layout column of its only data row. */
function csvLayout(csv: string): string {
  const [header, row] = csv.trim().split("\n");
  return row!.split(",")[header!.split(",").indexOf("layout")]!;
}

test("bench:k6 --layout records the requested and the effective layout", { timeout: 900_000 }, async () => {
  const { result, csv } = await run(["--layout", "1x2"]);
  assert.deepEqual(result.layout, { requested: "1x2", threads: 1, workers: 2 });
  assert.equal(csvLayout(csv), "1x2");
  assert.equal(result.layout_probe, undefined);
});

test("without --layout the result records the server's default: one single-threaded call per CPU of its set", { timeout: 900_000 }, async () => {
  const { result, csv } = await run([]);
  const serverCpus = result.environment.cpu_sets?.server;
  assert.ok(serverCpus, "the default run splits the CPUs");
  const cpus = parseCpuList(serverCpus).length;
  assert.deepEqual(result.layout, { requested: null, threads: 1, workers: cpus });
  assert.equal(result.server_info?.["cpu_count"], cpus);
  assert.equal(csvLayout(csv), `1x${cpus}`);
});

test("bench:k6 --layout auto probes every candidate layout once, records their figures and benchmarks every trial with the best", {
  timeout: 900_000,
}, async () => {
  const dir = tempDir("layout-auto");
  // --cpus shared: the server may use every CPU (2 on the development VM), so there are at least two candidates.
  const cpus = allowedCpus().length;
  const args = [
    "--frameworks",
    "onnx-python",
    "--layout",
    "auto",
    "--cpus",
    "shared",
    "--concurrency-levels",
    "2",
    "--duration-s",
    "2",
    "--window-s",
    "0",
    "--warmup-requests",
    "2",
    "--trials",
    "2",
  ];
  const run = await runCli([...args, "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const result = readResult(dir, "onnx-python");
  const probe = result.layout_probe;
  assert.ok(probe, "the result records the probe");
  assert.deepEqual([probe.server_cpus, probe.probe_concurrency, probe.probe_duration_s, probe.note], [cpus, 2, 5, null]);
  assert.deepEqual(probe.tried.map(layoutName), candidateLayouts(cpus).map(layoutName));
  assert.ok(probe.tried.length >= 2, `${probe.tried.length} layouts tried`);
  for (const t of probe.tried) {
    assert.equal(t.status, "completed", `${layoutName(t)}: ${t.failure}`);
    assert.ok(t.throughput_qps! > 0 && t.p95_ms! > 0 && t.p50_ms! > 0, `${layoutName(t)} has figures: ${JSON.stringify(t)}`);
  }
  const chosen = probe.chosen!;
  const best = Math.max(...probe.tried.map((t) => t.throughput_qps!));
  const chosenTried = probe.tried.find((t) => layoutName(t) === layoutName(chosen))!;
  assert.ok(chosenTried.throughput_qps! >= best * (1 - probe.tie_tolerance), `${layoutName(chosen)} is within the tie tolerance of the best`);
  assert.deepEqual(chosen, chooseLayout(probe.tried, probe.tie_tolerance));
  // The sweep ran with that layout, and the server said so in /info.
  assert.deepEqual(result.layout, { requested: layoutName(chosen), threads: chosen.threads, workers: chosen.workers });
  assert.deepEqual(Object.keys(result.scenarios), [pointKey(closedPoint(2))]);
  for (const t of probe.tried)
    assert.ok(
      existsSync(path.join(latestRun(dir), MODEL, "layout-probe", `onnx-python-${layoutName(t)}.summary.json`)),
      "each probe keeps the engine's figures",
    );
  for (const t of probe.tried)
    assert.ok(existsSync(path.join(latestRun(dir), MODEL, "layout-probe", `onnx-python-${layoutName(t)}.engine.log`)), "and the engine's log");
  // The probe ran once, before the first trial; the second trial reused its choice.
  assert.equal([...run.stderr.matchAll(/layout probe 1\//g)].length, 1, "one probe for two trials");
  for (const t of [1, 2]) assert.deepEqual(readTrial(dir, t).layout_probe, probe, `trial ${t} records the probe`);
  assert.deepEqual(readTrial(dir, 2).layout, result.layout);
  assert.match(run.stdout, new RegExp(`^ {2}onnx-python: ${layoutName(chosen)} chosen \\(tried at 2 VUs for 5 s on ${cpus} server CPUs: `, "m"));
});
