// Runs the unit tests of onnx-cpp's C ABI over tokenizers (invalid UTF-8 is named, not lossily
// decoded) from `npm test`; the ids themselves are checked end to end in tests/e2e/native.test.ts.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cacheDir } from "../../../orchestrator/platform/paths.ts";
import { runCommand } from "../../../orchestrator/platform/proc.ts";

test("cargo test of servers/onnx-cpp/tokenizers-c passes", { timeout: 1_800_000 }, async () => {
  // --release in the servers' shared target dir: the dependencies are the ones the servers' release
  // builds compile anyway, so the tests add no second (debug) build of them.
  const out = await runCommand("cargo", ["test", "--release", "--locked"], {
    cwd: path.dirname(fileURLToPath(import.meta.url)),
    env: { ...process.env, CARGO_TARGET_DIR: path.join(cacheDir(), "cargo-target") },
  });
  const passed = [...out.matchAll(/test result: ok\. (\d+) passed; 0 failed/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.ok(passed >= 1, `expected the crate's unit tests to run and pass:\n${out.slice(-2000)}`);
});
