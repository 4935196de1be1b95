import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { checkDatasetFile, resolveDataset, tokenDatasetPath } from "./datasets.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "eb-datasets-"));
mkdirSync(path.join(dir, "datasets"));
writeFileSync(tokenDatasetPath(dir, 32), JSON.stringify({ texts: ["a b c"], tokens: 32, effective_tokens: 32 }));

test("no option: k6 keeps its built-in texts", () => {
  assert.equal(resolveDataset(dir, undefined, undefined), undefined);
});

test("--seq-len picks the model's tokens-<N>.json", () => {
  assert.equal(resolveDataset(dir, 32, undefined), path.join(dir, "datasets", "tokens-32.json"));
  assert.throws(() => resolveDataset(dir, 128, undefined), /--seq-len: .*tokens-128\.json not found/);
});

test("--dataset is checked for {texts: [strings]}", () => {
  const good = path.join(dir, "good.json");
  writeFileSync(good, JSON.stringify({ texts: ["x", "y"] }));
  assert.equal(resolveDataset(dir, undefined, good), good);
  const bad = path.join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ texts: ["x", 3] }));
  assert.throws(() => resolveDataset(dir, undefined, bad), /--dataset: .*bad\.json: texts: expected a non-empty array/);
  writeFileSync(bad, "{not json");
  assert.throws(() => resolveDataset(dir, undefined, bad), /not valid JSON/);
});

test("a dataset that is null, a list or a number is one clear line, not a TypeError", () => {
  const file = path.join(dir, "odd.json");
  for (const [body, what] of [
    ["null", "null"],
    ["[1]", "a list"],
    ["3", "number"],
  ] as const) {
    writeFileSync(file, body);
    assert.throws(
      () => checkDatasetFile(file, "--dataset"),
      (err: Error) => err instanceof UserError && err.message === `--dataset: ${file}: expected an object {"texts": [...]}, got ${what}`,
    );
  }
  assert.throws(() => checkDatasetFile(path.join(dir, "nope.json"), "--dataset"), /--dataset: .*nope\.json not found/);
});

test("a dataset that cannot be read says so, not 'not valid JSON'", () => {
  const folder = path.join(dir, "a-folder.json");
  mkdirSync(folder);
  assert.throws(
    () => checkDatasetFile(folder, "--dataset"),
    (err: Error) => err instanceof UserError && err.message === `--dataset: ${folder} is a folder, not a file (EISDIR)`,
  );
});
