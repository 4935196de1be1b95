// docs/cli.md is generated from the option schemas: an option added, removed or redescribed without
// regenerating it (npm run docs:cli) fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CliOptions } from "../orchestrator/plan/bench-options.ts";
import { flagSpecs } from "../orchestrator/plan/flags.ts";
import { CLI_REFERENCE, renderCliReference } from "./cli-reference.ts";

test("docs/cli.md is what scripts/cli-reference.ts generates from the option schemas (run npm run docs:cli)", () => {
  assert.equal(readFileSync(CLI_REFERENCE, "utf8"), renderCliReference());
});

test("the reference lists every bench:k6 flag", () => {
  const text = renderCliReference();
  for (const spec of flagSpecs(CliOptions)) assert.ok(text.includes(`\`${spec.flag}`), spec.flag);
});
