import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (the folder holding package.json). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

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
