// Reduced-precision model files, built from a prepared model's fp32 files the first time a framework
// that reads them starts, then cached in the model folder: models/<key>/<format>/, listed with their
// figures (cosine against the fp32 reference, on the probes and on held-out texts) in manifest.json
// under reduced_precision.<format>. orchestrator/models/quantize/quantize_model.py builds them.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ModelFormat } from "../plan/config-schema.ts";
import { UserError } from "../platform/errors.ts";
import { hashPaths, hashText } from "../platform/hash.ts";
import { log } from "../platform/log.ts";
import { ROOT } from "../platform/paths.ts";
import { CommandError, runCommand } from "../platform/proc.ts";
import { ensureVenv } from "../toolchain/python.ts";

const QUANTIZE = path.join(ROOT, "orchestrator", "models", "quantize");
const PIPELINE = path.join(ROOT, "orchestrator", "models", "pipeline");

/** The formats built on demand, and the fp32 file each one is made from (its hash keys the cache). */
export const BUILT_FORMATS = {
  "onnx-int8": { from: "onnx/model.onnx" },
  "openvino-int8": { from: "openvino/model.xml" },
} as const satisfies Partial<Record<ModelFormat, { from: string }>>;
type BuiltFormat = keyof typeof BUILT_FORMATS;

/** What quantize_model.py records per format in manifest.json (the fields the suite reads). */
export interface ReducedPrecisionEntry {
  key: string;
  method: string;
  min_cosine_vs_reference: number;
  held_out: { texts: number; min_cosine: number; mean_cosine: number };
}

interface Manifest {
  files: Record<string, { sha256: string }>;
  reduced_precision?: Partial<Record<BuiltFormat, ReducedPrecisionEntry>>;
}

/** A file of manifest.json's list that a build of this module added (under <format>/). */
export function isReducedPrecisionFile(rel: string): boolean {
  return Object.keys(BUILT_FORMATS).some((format) => rel.startsWith(`${format}/`));
}

function isBuilt(format: ModelFormat): format is BuiltFormat {
  return Object.hasOwn(BUILT_FORMATS, format);
}

function readManifest(modelDir: string): Manifest {
  const file = path.join(modelDir, "manifest.json");
  if (!existsSync(file)) throw new UserError(`${modelDir}: not a prepared model folder (no manifest.json; run: npm run models -- prepare <model>)`);
  return JSON.parse(readFileSync(file, "utf8")) as Manifest;
}

/** The tools and the fp32 source file: a change to either builds the format again. */
function buildKey(format: BuiltFormat, manifest: Manifest): string {
  const source = manifest.files[BUILT_FORMATS[format].from]?.sha256 ?? "";
  const tools = hashPaths(QUANTIZE, ["quantize_model.py", "texts.py", "requirements.txt"]) + hashPaths(PIPELINE, ["embedcheck.py"]);
  return hashText(JSON.stringify({ format, source, tools }));
}

/** The format's entry when the folder holds a build of it with the current key and all its files. */
export function builtEntry(modelDir: string, format: ModelFormat): ReducedPrecisionEntry | null {
  if (!isBuilt(format)) return null;
  const manifest = readManifest(modelDir);
  const entry = manifest.reduced_precision?.[format];
  if (!entry || entry.key !== buildKey(format, manifest)) return null;
  const files = Object.keys(manifest.files).filter((f) => f.startsWith(`${format}/`));
  return files.length > 0 && files.every((f) => existsSync(path.join(modelDir, f))) ? entry : null;
}

/** Ensures modelDir holds `format` (a no-op for the pipeline's own formats); builds it once, else reuses it. */
export async function ensureModelFormat(modelDir: string, format: ModelFormat, signal?: AbortSignal): Promise<void> {
  if (!isBuilt(format) || builtEntry(modelDir, format)) return;
  const manifest = readManifest(modelDir);
  if (!existsSync(path.join(modelDir, BUILT_FORMATS[format].from))) {
    throw new UserError(
      `${modelDir}: no ${BUILT_FORMATS[format].from} to build ${format} from (prepare the model again: npm run models -- prepare <model> --force)`,
    );
  }
  const tools = await ensureVenv("model-quantize", path.join(QUANTIZE, "requirements.txt"));
  log.step(`building ${format} of ${path.basename(modelDir)} from ${BUILT_FORMATS[format].from} (once: cached in ${path.join(modelDir, format)})`);
  const args = [path.join(QUANTIZE, "quantize_model.py"), "--model-dir", modelDir, "--format", format, "--key", buildKey(format, manifest)];
  let output: string;
  try {
    output = await runCommand(tools.python, args, {
      env: { ...process.env, PYTHONUNBUFFERED: "1", TQDM_DISABLE: "1" },
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const tail = err.output.trimEnd().split("\n").slice(-20);
    throw new UserError(`building ${format} of ${modelDir} failed; the end of its output:\n${tail.map((l) => `  ${l}`).join("\n")}`);
  }
  const summary = output
    .split("\n")
    .filter((l) => l.startsWith("[quantize]"))
    .at(-1);
  if (summary) log.step(summary.replace(/^\[quantize\] /, ""));
}
