import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { catalogueModel, discoverServers, getModel, loadSuiteConfig, loadYamlFile, parseYamlText, selectFrameworks, selectProfile } from "./config.ts";
import { BenchmarkFile, ModelsFile, ServerManifest } from "./config-schema.ts";
import { ROOT } from "../platform/paths.ts";
import { UserError } from "../platform/errors.ts";

test("the repository's own config files are valid", () => {
  const config = loadSuiteConfig(ROOT);
  assert.ok(config.models.models["all-MiniLM-L6-v2"]);
  assert.deepEqual(config.benchmark.profiles["standard"]?.concurrency_levels, [1, 4, 8, 16, 32]);
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
  const text =
    "models:\n  m:\n    name: m\n    type: text_embedding\n    huggingface_id: a/b\n    max_seq_length: 128\n    embedding_dim: 8\n    params: 1M\n    pooling: mean\n    poolling: cls\n";
  assert.throws(() => parseYamlText("models.yaml", text, ModelsFile), /models\.yaml: models\.m: Unrecognized key: "poolling"/);
});

test("literal unions reject free strings", () => {
  const text =
    "models:\n  m:\n    name: m\n    type: text_embedding\n    huggingface_id: a/b\n    max_seq_length: 128\n    embedding_dim: 8\n    params: 1M\n    pooling: max\n";
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

test("cannot_serve names catalogue models only; candle's says why it refuses MPNet", () => {
  const candle = loadSuiteConfig(ROOT).servers.find((s) => s.manifest.name === "candle");
  assert.match(candle?.manifest.cannot_serve["all-mpnet-base-v2"] ?? "", /no MPNet model/);
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-servers-"));
  mkdirSync(path.join(dir, "onnx-python-x"));
  const manifest = readFileSync(path.join(ROOT, "servers/onnx-python/manifest.yaml"), "utf8").replace(/^name: onnx-python$/m, "name: onnx-python-x");
  writeFileSync(path.join(dir, "onnx-python-x", "manifest.yaml"), `${manifest}\ncannot_serve:\n  all-mpnet-base-v3: "no reason"\n`);
  const before = process.env["EMBEDDING_BENCH_EXTRA_SERVERS"];
  process.env["EMBEDDING_BENCH_EXTRA_SERVERS"] = dir;
  try {
    assert.throws(() => loadSuiteConfig(ROOT), /onnx-python-x\/manifest\.yaml: cannot_serve: all-mpnet-base-v3 not in config\/models\.yaml/);
  } finally {
    if (before === undefined) delete process.env["EMBEDDING_BENCH_EXTRA_SERVERS"];
    else process.env["EMBEDDING_BENCH_EXTRA_SERVERS"] = before;
  }
});

test("a manifest with a bad prepare kind names the field", () => {
  const manifest = readFileSync(path.join(ROOT, "servers/onnx-python/manifest.yaml"), "utf8").replace("kind: python-venv", "kind: pip");
  assert.throws(() => parseYamlText("servers/x/manifest.yaml", manifest, ServerManifest), /servers\/x\/manifest\.yaml: prepare\.kind: /);
});

test("an INT8 model format must be declared precision int8, so it is verified and recorded as int8", () => {
  const manifest = readFileSync(path.join(ROOT, "servers/onnx-python-int8/manifest.yaml"), "utf8");
  assert.equal(parseYamlText("servers/onnx-python-int8/manifest.yaml", manifest, ServerManifest).precision, "int8");
  assert.throws(
    () => parseYamlText("servers/x/manifest.yaml", manifest.replace("precision: int8", "precision: fp32"), ServerManifest),
    /servers\/x\/manifest\.yaml: precision: model_format onnx-int8 computes in int8: declare precision: int8/,
  );
});

test("metrics: on the server's own port at /metrics by default; Triton's on a second port the launcher fills", () => {
  const onnx = readFileSync(path.join(ROOT, "servers/onnx-python/manifest.yaml"), "utf8");
  assert.deepEqual(parseYamlText("servers/onnx-python/manifest.yaml", onnx, ServerManifest).metrics, { path: "/metrics" });
  const triton = readFileSync(path.join(ROOT, "servers/triton/manifest.yaml"), "utf8");
  assert.deepEqual(parseYamlText("servers/triton/manifest.yaml", triton, ServerManifest).metrics, { port_env: "METRICS_PORT", path: "/metrics" });
  const bad = (metrics: string) => () => parseYamlText("servers/x/manifest.yaml", `${onnx}\nmetrics: ${metrics}\n`, ServerManifest);
  assert.throws(bad("{ port_env: PORT }"), /metrics\.port_env: not one of the contract's variables/);
  assert.throws(bad("{ port_env: metrics-port }"), /metrics\.port_env: an environment variable name/);
  assert.throws(bad("{ port_env: THREADS }"), /metrics\.port_env: THREADS is already threads_env/);
  assert.throws(bad("{ path: metrics }"), /metrics\.path: a URL path starting with \//);
});

test("a text tower must say which kind it is, and only towers may", () => {
  const base = "models:\n  m:\n    name: m\n    huggingface_id: a/b\n    max_seq_length: 64\n    embedding_dim: 8\n    params: 1M\n    pooling: last_token\n";
  assert.throws(
    () => parseYamlText("models.yaml", `${base}    type: multimodal_text_tower\n`, ModelsFile),
    /models\.yaml: models\.m\.text_tower: text_tower is required for type multimodal_text_tower/,
  );
  assert.throws(
    () => parseYamlText("models.yaml", `${base}    type: text_embedding\n    text_tower: clip\n`, ModelsFile),
    /models\.m\.text_tower: .*only allowed there/,
  );
  assert.throws(
    () => parseYamlText("models.yaml", `${base}    type: multimodal_text_tower\n    text_tower: blip\n`, ModelsFile),
    /models\.m\.text_tower: Invalid option: expected one of "clip"\|"siglip"/,
  );
  const ok = parseYamlText("models.yaml", `${base}    type: multimodal_text_tower\n    text_tower: siglip\n`, ModelsFile);
  assert.equal(ok.models["m"]!.text_tower, "siglip");
});

/** Asserts `fn` throws a UserError with exactly `message`. */
function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof UserError, `${err.name}: ${err.message}`);
    assert.equal(err.message, message);
    return true;
  });
}

const OPEN_PROFILES = path.join(ROOT, "orchestrator/plan/testdata/benchmark-open-profiles.yaml");

test("profiles are open: any name defined in the file validates and is selectable", () => {
  const benchmark = loadYamlFile(OPEN_PROFILES, BenchmarkFile);
  assert.deepEqual(Object.keys(benchmark.profiles), ["quick", "soak"]);
  assert.equal(benchmark.default_profile, "soak");
  const soak = selectProfile(benchmark, "soak");
  assert.equal(soak.name, "soak");
  assert.deepEqual(soak.profile.concurrency_levels, [8]);
  assert.equal(soak.profile.duration_s, 3600);
  assert.equal(soak.profile.warmup_requests, 100, "the profile's defaults apply");
  assert.equal(selectProfile(benchmark, undefined).name, "soak", "without --profile: default_profile");
});

test("an unknown profile lists the defined ones and suggests the closest", () => {
  const benchmark = loadSuiteConfig(ROOT).benchmark;
  refused(() => selectProfile(benchmark, "quik"), "unknown profile 'quik'; config/benchmark.yaml defines: quick, standard, full, open (did you mean quick?)");
  refused(() => selectProfile(benchmark, "huge"), "unknown profile 'huge'; config/benchmark.yaml defines: quick, standard, full, open");
});

test("default_profile must name a defined profile: the error names the file and the field", () => {
  const text = readFileSync(OPEN_PROFILES, "utf8").replace("default_profile: soak", "default_profile: soka");
  refused(
    () => parseYamlText("config/benchmark.yaml", text, BenchmarkFile),
    "invalid configuration\nconfig/benchmark.yaml: default_profile: 'soka' is not defined under profiles (defined: quick, soak); did you mean soak?",
  );
  const noDefault = readFileSync(OPEN_PROFILES, "utf8").replace("default_profile: soak\n", "").replace("  quick:", "  smoke:");
  refused(
    () => parseYamlText("config/benchmark.yaml", noDefault, BenchmarkFile),
    "invalid configuration\nconfig/benchmark.yaml: default_profile: 'quick' is not defined under profiles (defined: smoke, soak)",
  );
});

test("profile names are checked like other keys, and there must be at least one profile", () => {
  const upper = readFileSync(OPEN_PROFILES, "utf8").replace("  soak:", "  Soak Test:");
  assert.throws(() => parseYamlText("b.yaml", upper, BenchmarkFile), /b\.yaml: profiles\.Soak Test: Invalid key in record: lower-case letters, digits/);
  const none = "default_model: m\nprofiles: {}\n";
  assert.throws(() => parseYamlText("b.yaml", none, BenchmarkFile), /b\.yaml: profiles: at least one profile/);
});

test("unknown models and frameworks list what exists and suggest the closest", () => {
  const config = loadSuiteConfig(ROOT);
  const models = Object.keys(config.models.models).join(", ");
  refused(
    () => getModel(config, "all-minilm-l6-v2"),
    `unknown model 'all-minilm-l6-v2'; config/models.yaml defines: ${models} (did you mean all-MiniLM-L6-v2?)`,
  );
  refused(() => catalogueModel(config.models, "nope"), `unknown model 'nope'; config/models.yaml defines: ${models}`);
  const frameworks = config.servers.map((s) => s.manifest.name).join(", ");
  refused(
    () => selectFrameworks(config.servers, ["onnx-python", "onnx-pyhton"]),
    `unknown framework 'onnx-pyhton'; servers/*/manifest.yaml defines: ${frameworks} (did you mean onnx-python?)`,
  );
  assert.deepEqual(
    selectFrameworks(config.servers, ["onnx-python"]).map((s) => s.manifest.name),
    ["onnx-python"],
  );
  assert.equal(selectFrameworks(config.servers, undefined).length, config.servers.length);
});

test("--layout auto's probe settings: the repository's, defaults when absent, bounds checked", () => {
  assert.deepEqual(loadSuiteConfig(ROOT).benchmark.layout_probe, { max_concurrency: 16, duration_s: 5, tie_tolerance: 0.02 });
  const minimal = "default_model: m\nprofiles:\n  quick:\n    concurrency_levels: [1]\n    duration_s: 1\n";
  assert.deepEqual(parseYamlText("b.yaml", minimal, BenchmarkFile).layout_probe, { max_concurrency: 16, duration_s: 5, tie_tolerance: 0.02 });
  const partial = parseYamlText("b.yaml", `${minimal}layout_probe: { duration_s: 3 }\n`, BenchmarkFile);
  assert.deepEqual(partial.layout_probe, { max_concurrency: 16, duration_s: 3, tie_tolerance: 0.02 });
  assert.throws(() => parseYamlText("b.yaml", `${minimal}layout_probe: { tie_tolerance: 1.5 }\n`, BenchmarkFile), /b\.yaml: layout_probe\.tie_tolerance: /);
  assert.throws(
    () => parseYamlText("b.yaml", `${minimal}layout_probe: { duration: 3 }\n`, BenchmarkFile),
    /b\.yaml: layout_probe: Unrecognized key: "duration"/,
  );
});

test("an open-loop profile needs its rates; the open-loop settings have defaults", () => {
  const head = "default_model: m\ndefault_profile: o\nprofiles:\n  o:\n    concurrency_levels: [1]\n    duration_s: 1\n";
  assert.throws(() => parseYamlText("b.yaml", `${head}    mode: open\n`, BenchmarkFile), /b\.yaml: profiles\.o\.rates_rps: mode open needs rates_rps/);
  const o = parseYamlText("b.yaml", `${head}    mode: open\n    rates_rps: [5, 10]\n`, BenchmarkFile).profiles["o"]!;
  assert.deepEqual(
    [o.mode, o.rates_rps, o.expected_latency_ms, o.vu_headroom, o.max_vus, o.saturation_tolerance, o.slo_start_rps, o.slo_max_steps],
    ["open", [5, 10], 100, 4, 200, 0.05, 10, 6],
  );
  assert.equal(loadSuiteConfig(ROOT).benchmark.profiles["open"]?.mode, "open", "the repository's open profile");
});

test("every level, rate, duration, batch and trial count of a profile is bounded, one line per key over its bound", () => {
  const base = readFileSync(path.join(ROOT, "config/benchmark.yaml"), "utf8");
  for (const [from, to, message] of [
    ["duration_s: 30", "duration_s: 99999", /profiles\.standard\.duration_s: Too big: expected number to be <=3600/],
    [
      "concurrency_levels: [1, 4, 8, 16, 32]",
      "concurrency_levels: [1, 99999999999]",
      /profiles\.standard\.concurrency_levels\.1: Too big: expected number to be <=1024/,
    ],
    ["trials: 3", "trials: 101", /profiles\.standard\.trials: Too big: expected number to be <=100/],
  ] as const) {
    assert.ok(base.includes(from), from);
    assert.throws(
      () => parseYamlText("config/benchmark.yaml", base.replace(from, to), BenchmarkFile),
      (err: Error) => err instanceof UserError && message.test(err.message) && err.message.split("\n").length === 2,
    );
  }
  const profile = (extra: string) => `default_profile: p\nprofiles:\n  p:\n    concurrency_levels: [1]\n    duration_s: 10\n${extra}`;
  assert.throws(() => parseYamlText("b.yaml", profile("    batch_size: [1, 257]\n"), BenchmarkFile), /batch_size\.1: Too big: expected number to be <=256/);
  assert.throws(() => parseYamlText("b.yaml", profile("    mode: open\n    rates_rps: [10001]\n"), BenchmarkFile), /rates_rps\.0: Too big/);
  assert.throws(() => parseYamlText("b.yaml", profile("    max_vus: 5000\n"), BenchmarkFile), /max_vus: Too big/);
});
