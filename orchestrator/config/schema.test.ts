import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { discoverServers, loadSuiteConfig, parseYamlText } from "./load.ts";
import { BenchmarkFile, ModelsFile, ServerManifest } from "./schema.ts";
import { ROOT } from "../paths.ts";
import { UserError } from "../errors.ts";

test("the repository's own config files are valid", () => {
  const config = loadSuiteConfig(ROOT);
  assert.ok(config.models.models["all-MiniLM-L6-v2"]);
  assert.deepEqual(config.benchmark.profiles.standard.concurrency_levels, [1, 4, 8, 16, 32]);
  assert.equal(config.benchmark.default_profile, "quick");
  assert.ok(config.servers.some((s) => s.manifest.name === "onnx-python"));
});

test("an invalid field is reported with the file name, the field path and what was expected", () => {
  const bad = readFileSync(path.join(ROOT, "config/benchmark.yaml"), "utf8").replace("duration_s: 30", "duration_s: thirty");
  assert.throws(
    () => parseYamlText("config/benchmark.yaml", bad, BenchmarkFile),
    (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /config\/benchmark\.yaml: profiles\.standard\.duration_s: .*expected number/i);
      return true;
    },
  );
});

test("unknown keys are rejected (strict schemas catch typos)", () => {
  const text = "models:\n  m:\n    name: m\n    type: text_embedding\n    huggingface_id: a/b\n    max_seq_length: 128\n    embedding_dim: 8\n    params: 1M\n    pooling: mean\n    poolling: cls\n";
  assert.throws(() => parseYamlText("models.yaml", text, ModelsFile), /models\.yaml: models\.m: Unrecognized key: "poolling"/);
});

test("literal unions reject free strings", () => {
  const text = "models:\n  m:\n    name: m\n    type: text_embedding\n    huggingface_id: a/b\n    max_seq_length: 128\n    embedding_dim: 8\n    params: 1M\n    pooling: max\n";
  assert.throws(() => parseYamlText("models.yaml", text, ModelsFile), /models\.m\.pooling: Invalid option: expected one of "mean"\|"cls"\|"last_token"/);
});

test("YAML syntax errors name the file", () => {
  assert.throws(() => parseYamlText("x.yaml", "a: [1, 2", ModelsFile), /x\.yaml: not valid YAML/);
});

test("defaults are applied", () => {
  const m = parseYamlText(
    "models.yaml",
    "models:\n  m:\n    name: m\n    type: text_embedding\n    huggingface_id: a/b\n    max_seq_length: 128\n    embedding_dim: 8\n    params: 1M\n    pooling: cls\n",
    ModelsFile,
  );
  assert.equal(m.models["m"]!.normalize, true);
  assert.equal(m.models["m"]!.gated, false);
});

test("a manifest whose name differs from its folder is an error naming the file", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-servers-"));
  mkdirSync(path.join(dir, "foo"));
  const manifest = readFileSync(path.join(ROOT, "servers/onnx-python/manifest.yaml"), "utf8");
  writeFileSync(path.join(dir, "foo", "manifest.yaml"), manifest);
  assert.throws(() => discoverServers(dir), /foo\/manifest\.yaml: name: must equal its folder name 'foo'/);
});

test("a manifest with a bad prepare kind names the field", () => {
  const manifest = readFileSync(path.join(ROOT, "servers/onnx-python/manifest.yaml"), "utf8").replace("kind: python-venv", "kind: pip");
  assert.throws(() => parseYamlText("servers/x/manifest.yaml", manifest, ServerManifest), /servers\/x\/manifest\.yaml: prepare\.kind: /);
});

test("a text tower must say which kind it is, and only towers may", () => {
  const base = "models:\n  m:\n    name: m\n    huggingface_id: a/b\n    max_seq_length: 64\n    embedding_dim: 8\n    params: 1M\n    pooling: last_token\n";
  assert.throws(
    () => parseYamlText("models.yaml", base + "    type: multimodal_text_tower\n", ModelsFile),
    /models\.yaml: models\.m\.text_tower: text_tower is required for type multimodal_text_tower/,
  );
  assert.throws(
    () => parseYamlText("models.yaml", base + "    type: text_embedding\n    text_tower: clip\n", ModelsFile),
    /models\.m\.text_tower: .*only allowed there/,
  );
  assert.throws(
    () => parseYamlText("models.yaml", base + "    type: multimodal_text_tower\n    text_tower: blip\n", ModelsFile),
    /models\.m\.text_tower: Invalid option: expected one of "clip"\|"siglip"/,
  );
  const ok = parseYamlText("models.yaml", base + "    type: multimodal_text_tower\n    text_tower: siglip\n", ModelsFile);
  assert.equal(ok.models["m"]!.text_tower, "siglip");
});
