// --layout TxW on a real run: the requested and the effective layout are recorded in the result.
// (That every server, Python, Rust and C++, honours THREADS=1 WORKERS=1 in /info is checked by the
// conformance suite, which starts them all that way.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";

test("bench:k6 --layout records the requested and the effective layout", { timeout: 900_000 }, async () => {
  const dir = tempDir("layout-run");
  const run = await runCli(["--frameworks", "onnx-rust", "--layout", "1x2", "--levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-rust.json"), "utf8")));
  assert.deepEqual(result.layout, { requested: "1x2", threads: 1, workers: 2 });
});
