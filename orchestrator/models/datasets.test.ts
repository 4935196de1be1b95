import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { BUILTIN_TEXTS, checkDatasetFile, resolveTextSets, tokenDatasetPath } from "./datasets.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "eb-datasets-"));
mkdirSync(path.join(dir, "datasets"));
writeFileSync(tokenDatasetPath(dir, 32), JSON.stringify({ texts: ["a b c"], tokens: 32, effective_tokens: 32 }));
writeFileSync(tokenDatasetPath(dir, 512), JSON.stringify({ texts: ["d e f"], tokens: 512, effective_tokens: 256 }));

test("no option: the engine keeps its built-in texts, whose tokens are not counted", () => {
  assert.deepEqual(resolveTextSets(dir, undefined, undefined), [BUILTIN_TEXTS]);
  assert.equal(BUILTIN_TEXTS.tokensPerText, null);
});

test("--seq-len picks the model's tokens-<N>.json per length, with the tokens the model sees", () => {
  assert.deepEqual(resolveTextSets(dir, [32, 512], undefined), [
    { seqLen: 32, file: path.join(dir, "datasets", "tokens-32.json"), tokensPerText: 32, texts: ["a b c"] },
    { seqLen: 512, file: path.join(dir, "datasets", "tokens-512.json"), tokensPerText: 256, texts: ["d e f"] },
  ]);
  assert.throws(() => resolveTextSets(dir, [32, 128], undefined), /--seq-len 128: .*tokens-128\.json not found/);
});

test("--dataset is checked for {texts: [strings]}; its tokens are counted only where the file says", () => {
  const good = path.join(dir, "good.json");
  writeFileSync(good, JSON.stringify({ texts: ["x", "y"] }));
  assert.deepEqual(resolveTextSets(dir, undefined, good), [{ seqLen: null, file: good, tokensPerText: null, texts: ["x", "y"] }]);
  const counted = path.join(dir, "counted.json");
  writeFileSync(counted, JSON.stringify({ texts: ["x"], tokens: 128, effective_tokens: 128 }));
  assert.equal(resolveTextSets(dir, undefined, counted)[0]!.tokensPerText, 128);
  const bad = path.join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ texts: ["x", 3] }));
  assert.throws(() => resolveTextSets(dir, undefined, bad), /--dataset: .*bad\.json: texts: expected a non-empty array/);
  writeFileSync(bad, "{not json");
  assert.throws(() => resolveTextSets(dir, undefined, bad), /not valid JSON/);
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
