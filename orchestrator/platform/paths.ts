import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: the nearest folder above this module holding package.json (from its source or a bundle under build/). */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

/**
 * Cache for heavy, reusable installs (Python venvs, model packages, native builds).
 * Outside the checkout so that fresh clones on the same machine reuse it; EMBEDDING_BENCH_CACHE moves it.
 */
export function cacheDir(): string {
  const fromEnv = process.env["EMBEDDING_BENCH_CACHE"];
  if (fromEnv) return path.resolve(fromEnv);
  const xdg = process.env["XDG_CACHE_HOME"] ?? path.join(os.homedir(), ".cache");
  return path.join(xdg, "embedding-bench");
}

/** Prepared models live in the checkout's models/ (gitignored) unless EMBEDDING_BENCH_MODELS says otherwise. */
export function modelsDir(): string {
  return path.resolve(process.env["EMBEDDING_BENCH_MODELS"] ?? path.join(ROOT, "models"));
}
