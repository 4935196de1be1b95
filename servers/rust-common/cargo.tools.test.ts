// Runs the Rust unit tests of the shared server crate (pooling, normalisation, the session pool)
// from `npm test`, so they count with the rest of the suite.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cargoTestsPassed } from "../../tests/cargo-test.ts";

test("cargo test of servers/rust-common passes", { timeout: 1_800_000 }, async () => {
  const { passed, tail } = await cargoTestsPassed(path.dirname(fileURLToPath(import.meta.url)));
  assert.ok(passed >= 6, `expected the crate's unit tests to run and pass:\n${tail}`);
});
