// The layout on a real run: the requested and the effective layout are recorded in the result and
// the CSV. (That every server, Python, Rust and C++, honours THREADS=1 WORKERS=1 and defaults to one
// single-threaded call per CPU is checked by the conformance suite, which starts them all both ways.)
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parseCpuList } from "../../orchestrator/launch/cpus.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";

async function run(extra: string[]): Promise<{ result: FrameworkResult; csv: string }> {
  const dir = tempDir("layout-run");
  const cli = await runCli(["--frameworks", "onnx-rust", ...extra, "--levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir, "--csv"]);
  assert.equal(cli.code, 0, cli.stderr.slice(-3000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(dir, MODEL, "onnx-rust.json"), "utf8")));
  const csvFile = readdirSync(dir).find((f) => f.endsWith(".csv"));
  assert.ok(csvFile, `no CSV in ${dir}`);
  return { result, csv: readFileSync(path.join(dir, csvFile), "utf8") };
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
