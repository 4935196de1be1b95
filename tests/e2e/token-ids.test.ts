// Every server that tokenizes itself feeds its model exactly the ids of Python `tokenizers` (the
// reference): on all-MiniLM-L6-v2's real WordPiece tokenizer.json (the probe set, the k6 texts, texts
// that take each step of a tokenizer off its easy path, long texts truncated at serving.json's
// max_seq_length) and on a byte-level BPE and a Unigram tokenizer trained here. Each server prints
// its ids with its own `--tokenize FILE` mode: its manifest's start command, the code path of its
// /embed (the same truncation and special tokens, one padded batch, the padding left out). Two tests
// per family of servers that share their tokenization code; every member's own entry point runs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { isDeepStrictEqual, promisify } from "node:util";
import { generateTexts } from "../../scenario/texts.ts";
import { getModel, loadSuiteConfig, type DiscoveredServer } from "../../orchestrator/plan/config.ts";
import { manifestCommand, manifestEnv } from "../../orchestrator/launch/launcher.ts";
import { prepareServer } from "../../orchestrator/launch/build-server.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { ensureVenv } from "../../orchestrator/toolchain/python.ts";
import { tempDir } from "./helpers.ts";
import { serverNamed } from "./servers.ts";

const MODEL = "all-MiniLM-L6-v2";
// A first build of the native servers compiles many crates on a small machine (native.test.ts).
const BUILD_TIMEOUT_MS = 3_600_000;

/**
 * Servers by the tokenization code they share. Not listed: onnx-python-int8 and openvino-int8 run
 * onnx-python's and openvino's server.py, their manifests changing only the model file.
 */
const FAMILIES = [
  { family: "onnx-cpp (tokenizers-c)", servers: ["onnx-cpp"] },
  { family: "the Rust servers (rust-common TextTokenizer)", servers: ["onnx-rust", "candle"] },
  { family: "the Python graph servers (pycommon GraphTokenizer)", servers: ["onnx-python", "openvino"] },
  { family: "the Python torch servers (sentence-transformers' tokenizer)", servers: ["pytorch", "pytorch-batching"] },
] as const;

const config = loadSuiteConfig(ROOT);
const server = (name: string): DiscoveredServer => serverNamed(config, name);

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

// Texts that take each step of a tokenizer off its easy path: accents and case, CJK, emoji,
// whitespace and control characters, special tokens inside the text, long words, empty texts.
const TRICKY = [
  "Héllo WÖRLD, naïve café — déjà vu!",
  "İstanbul ΣΊΣΥΦΟΣ straße ﬁle Ⅻ",
  "中文字符和日本語のテキスト、한국어도",
  "emoji 🙂👍🏽 and symbols $100 + 5% ^_^ ~tilde~ `code` |pipe|",
  "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em-space\u200bzero-width\u0000nul\u0007bell",
  "[CLS] special [SEP] tokens [MASK] inside [UNK] text[PAD]",
  "<s> special </s> tokens <mask> inside <unk> text<pad></s><s>",
  `${"a".repeat(101)} ${"b".repeat(100)} supercalifragilisticexpialidocious`,
  `x${"\u0301".repeat(5)} combining \u0300marks`,
  "",
  "   ",
];

// execFile, not runCommand: the id lists are far longer than the output runCommand keeps.
const run = promisify(execFile);
const MAX_BUFFER = 256 * 1024 * 1024;

function textsFile(texts: string[]): string {
  const file = path.join(tempDir("token-ids"), "texts.json");
  writeFileSync(file, JSON.stringify({ texts }));
  return file;
}

/** The last line of a --tokenize run's stdout, `{"ids": [...]}` (a library may print before it). */
function parseIds(stdout: string): number[][] {
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  return (JSON.parse(last) as { ids: number[][] }).ids;
}

/** The ids server `name` feeds its model for the texts of `file`, from its --tokenize mode on `modelDir`. */
async function serverIds(name: string, modelDir: string, file: string): Promise<number[][]> {
  const s = server(name);
  // Prepared on the real model (its build or venv, as the other tests prepare it); run on `modelDir`.
  const vars = await prepareServer(s, model.dir);
  const [cmd, ...args] = manifestCommand(s.manifest.start.command, vars);
  const env = manifestEnv(s, vars, { env: { MODEL_DIR: modelDir } });
  return parseIds((await run(cmd!, [...args, "--tokenize", file], { cwd: s.dir, env, maxBuffer: MAX_BUFFER })).stdout);
}

/** Python `tokenizers`' ids of `modelDir`'s tokenizer.json, truncated at its serving.json's max_seq_length, no padding. */
async function pythonIds(modelDir: string, file: string): Promise<{ ids: number[][]; maxSeq: number }> {
  const venv = await ensureVenv("onnx-python", path.join(ROOT, "servers", "onnx-python", "requirements.txt"));
  const script =
    "import json,sys\nfrom tokenizers import Tokenizer\n" +
    "t=Tokenizer.from_file(sys.argv[1]); t.no_padding(); t.enable_truncation(max_length=int(sys.argv[3]))\n" +
    "texts=json.load(open(sys.argv[2]))['texts']\nprint(json.dumps({'ids':[e.ids for e in t.encode_batch(texts)]}))";
  const serving = JSON.parse(readFileSync(path.join(modelDir, "serving.json"), "utf8")) as { max_seq_length: number };
  const args = ["-c", script, path.join(modelDir, "tokenizer.json"), file, String(serving.max_seq_length)];
  return { ids: parseIds((await run(venv.python, args, { maxBuffer: MAX_BUFFER })).stdout), maxSeq: serving.max_seq_length };
}

/** Each server of `servers` gives, text for text, the reference's ids for `texts` on `modelDir`. */
async function assertSameIds(servers: readonly string[], modelDir: string, texts: string[]): Promise<void> {
  const file = textsFile(texts);
  const want = await pythonIds(modelDir, file);
  assert.ok(
    want.ids.some((row) => row.length === want.maxSeq),
    "the long texts exercise truncation",
  );
  for (const name of servers) {
    const got = await serverIds(name, modelDir, file);
    assert.equal(got.length, texts.length, name);
    const differ = texts.flatMap((_, i) => (isDeepStrictEqual(got[i], want.ids[i]) ? [] : [i]));
    const first = differ[0];
    if (first === undefined) continue;
    const what = `${name}: ${differ.length} of ${texts.length} texts differ from Python tokenizers'`;
    assert.deepEqual(got[first], want.ids[first], `${what}; the first, text ${first}: ${JSON.stringify(texts[first]!.slice(0, 80))}`);
  }
}

// Tokenizers of the other families the catalogue holds, trained here on the suite's own texts:
// byte-level BPE (Qwen3), SentencePiece-style Unigram with Metaspace (XLM-R), each with special
// tokens and a template post-processor.
const TRAIN = `
import json, sys
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
texts = json.load(open(sys.argv[1]))["texts"]
special = ["<s>", "</s>", "<pad>", "<unk>", "<mask>"]
def save(tok, trainer, name):
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    tok.save(f"{sys.argv[2]}/{name}/tokenizer.json")
bpe = Tokenizer(models.BPE())
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
save(bpe, trainers.BpeTrainer(vocab_size=600, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()), "bpe")
uni = Tokenizer(models.Unigram())
uni.normalizer = normalizers.NFKC()
uni.pre_tokenizer = pre_tokenizers.Metaspace()
uni.decoder = decoders.Metaspace()
save(uni, trainers.UnigramTrainer(vocab_size=400, special_tokens=special, unk_token="<unk>"), "unigram")
`;

/**
 * sentence-transformers/ for a trained tokenizer: MiniLM's modules and weights (linked; the trained
 * vocabularies are smaller than the model's) with the trained tokenizer.json, loaded as it is
 * (TokenizersBackend) where MiniLM's tokenizer_config rebuilds a BERT tokenizer from vocab.txt.
 */
function sentenceTransformersFolder(familyDir: string): void {
  const from = path.join(model.dir, "sentence-transformers");
  const to = path.join(familyDir, "sentence-transformers");
  mkdirSync(to);
  const replaced = new Set(["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]);
  for (const name of readdirSync(from)) if (!replaced.has(name)) symlinkSync(path.join(from, name), path.join(to, name));
  copyFileSync(path.join(familyDir, "tokenizer.json"), path.join(to, "tokenizer.json"));
  writeFileSync(path.join(to, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "TokenizersBackend", pad_token: "<pad>" }));
}

let trained: Promise<string[]> | undefined;
/** Model folders of the trained BPE and Unigram tokenizers (serving.json of MiniLM), trained once for every family. */
function trainedTokenizers(): Promise<string[]> {
  trained ??= (async () => {
    const dir = tempDir("trained-tokenizers");
    const corpus = path.join(dir, "corpus.json");
    writeFileSync(corpus, JSON.stringify({ texts: [...generateTexts(300, 24, 7), ...TRICKY] }));
    const families = ["bpe", "unigram"].map((f) => path.join(dir, f));
    for (const familyDir of families) {
      mkdirSync(familyDir);
      copyFileSync(path.join(model.dir, "serving.json"), path.join(familyDir, "serving.json"));
    }
    const venv = await ensureVenv("onnx-python", path.join(ROOT, "servers", "onnx-python", "requirements.txt"));
    await run(venv.python, ["-c", TRAIN, corpus, dir]);
    for (const familyDir of families) sentenceTransformersFolder(familyDir);
    return families;
  })();
  return trained;
}

for (const { family, servers } of FAMILIES) {
  test(`${family}: exactly Python tokenizers' ids on MiniLM's WordPiece`, { timeout: BUILD_TIMEOUT_MS }, async () => {
    const ref = JSON.parse(readFileSync(path.join(model.dir, "reference", "probes.json"), "utf8")) as { texts: string[] };
    const texts = [...ref.texts, ...TRICKY, generateTexts(1, 400, 5)[0]!, ...generateTexts(1000, 24), ...generateTexts(50, 200, 3)];
    await assertSameIds(servers, model.dir, texts);
  });

  test(`${family}: exactly Python tokenizers' ids on byte-level BPE and Unigram tokenizers`, { timeout: BUILD_TIMEOUT_MS }, async () => {
    const texts = [...TRICKY, generateTexts(1, 400, 5)[0]!, ...generateTexts(300, 24, 11)];
    for (const dir of await trainedTokenizers()) {
      const type = (JSON.parse(readFileSync(path.join(dir, "tokenizer.json"), "utf8")) as { model: { type: string } }).model.type;
      assert.equal(type, path.basename(dir) === "bpe" ? "BPE" : "Unigram");
      // One member: the family shares this code, and each member's entry point ran above (a torch
      // server's run loads the model, ~25 s on 2 busy cores).
      await assertSameIds(servers.slice(0, 1), dir, texts);
    }
  });
}
