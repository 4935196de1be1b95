import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { catalogueModel, loadSuiteConfig } from "../plan/config.ts";
import { ROOT } from "../platform/paths.ts";
import { UserError } from "../platform/errors.ts";
import { verifyModel } from "./prepare-model.ts";

// `npm run models -- verify <model>` checks the key against the catalogue first (catalogueModel),
// then verifyModel looks for the prepared folder.
test("verify of an unknown model lists the catalogue and does not suggest preparing it", () => {
  const catalogue = loadSuiteConfig(ROOT).models;
  assert.throws(
    () => catalogueModel(catalogue, "nope"),
    (e: Error) =>
      e instanceof UserError && /^unknown model 'nope'; config\/models\.yaml defines: all-MiniLM-L6-v2, /.test(e.message) && !e.message.includes("prepare"),
  );
  assert.throws(() => catalogueModel(catalogue, "bge-smal-en-v1.5"), /\(did you mean bge-small-en-v1\.5\?\)$/);
});

test("verify of a known model that is not prepared says how to prepare it", async () => {
  const models = mkdtempSync(path.join(os.tmpdir(), "eb-models-"));
  const saved = process.env["EMBEDDING_BENCH_MODELS"];
  process.env["EMBEDDING_BENCH_MODELS"] = models;
  try {
    await assert.rejects(verifyModel("all-MiniLM-L6-v2", { torch: false }), {
      name: "UserError",
      message: `${path.join(models, "all-MiniLM-L6-v2")}: not prepared (run: npm run models -- prepare all-MiniLM-L6-v2)`,
    });
  } finally {
    if (saved === undefined) delete process.env["EMBEDDING_BENCH_MODELS"];
    else process.env["EMBEDDING_BENCH_MODELS"] = saved;
  }
});
