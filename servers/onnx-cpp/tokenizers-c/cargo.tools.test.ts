// Runs the unit tests of onnx-cpp's C ABI over tokenizers (invalid UTF-8 is named, not lossily
// decoded) from `npm test`; the ids themselves are checked end to end in tests/e2e/token-ids.test.ts.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cargoTestsPassed } from "../../../tests/cargo-test.ts";

test("cargo test of servers/onnx-cpp/tokenizers-c passes", { timeout: 1_800_000 }, async () => {
  const { passed, tail } = await cargoTestsPassed(path.dirname(fileURLToPath(import.meta.url)));
  assert.ok(passed >= 1, `expected the crate's unit tests to run and pass:\n${tail}`);
});
