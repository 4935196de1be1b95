import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { hashText } from "../platform/hash.ts";
import { log } from "../platform/log.ts";
import { cacheDir } from "../platform/paths.ts";
import { runCommand } from "../platform/proc.ts";
import { UV_VERSION } from "./versions.ts";
import { UserError } from "../platform/errors.ts";

const COMPLETE = ".embedding-bench-complete";

function basePython(): string {
  return process.env["EMBEDDING_BENCH_PYTHON"] ?? "python3";
}

function uvEnv(): NodeJS.ProcessEnv {
  // uv's cache is shared by every venv: torch's 3 GB are downloaded once and hard-linked after.
  return { ...process.env, UV_CACHE_DIR: path.join(cacheDir(), "uv-cache"), UV_NO_PROGRESS: "1", UV_LINK_MODE: "hardlink" };
}

/** uv (from PyPI) in its own small venv; it makes every other environment fast and cached. */
export async function ensureUv(): Promise<string> {
  const dir = path.join(cacheDir(), "uv", UV_VERSION);
  const uv = path.join(dir, "bin", "uv");
  if (existsSync(path.join(dir, COMPLETE)) && existsSync(uv)) return uv;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  log.step(`installing uv ${UV_VERSION} from PyPI into ${dir}`);
  try {
    await runCommand(basePython(), ["-m", "venv", dir]);
  } catch (err) {
    throw new UserError(
      `cannot create a Python venv with '${basePython()} -m venv' (need Python >= 3.10 with venv; set EMBEDDING_BENCH_PYTHON): ${(err as Error).message}`,
    );
  }
  await runCommand(path.join(dir, "bin", "python"), ["-m", "pip", "install", "-q", `uv==${UV_VERSION}`], { stream: "  [pip] " });
  writeFileSync(path.join(dir, COMPLETE), "");
  return uv;
}

export interface Venv {
  dir: string;
  python: string;
}

/**
 * A venv for `requirementsFile`, cached under a hash of its content: created once, reused by every
 * run and every fresh clone on this machine. A half-created venv (no completion marker) is rebuilt.
 */
export async function ensureVenv(name: string, requirementsFile: string): Promise<Venv> {
  if (!existsSync(requirementsFile)) throw new UserError(`requirements file not found: ${requirementsFile}`);
  const text = readFileSync(requirementsFile, "utf8");
  const key = hashText(`${basePython()}\n${text}`);
  const dir = path.join(cacheDir(), "venvs", `${name}-${key}`);
  const python = path.join(dir, "bin", "python");
  if (existsSync(path.join(dir, COMPLETE)) && existsSync(python)) return { dir, python };
  const uv = await ensureUv();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  log.step(`creating Python environment '${name}' from ${path.relative(process.cwd(), requirementsFile)} (cached at ${dir})`);
  await runCommand(uv, ["venv", "-q", "-p", basePython(), dir], { env: uvEnv() });
  await runCommand(uv, ["pip", "install", "-p", python, "-r", requirementsFile], { env: uvEnv(), stream: "  [uv] " });
  writeFileSync(path.join(dir, COMPLETE), `${new Date().toISOString()}\n`);
  return { dir, python };
}

/** Installs a PyPI distribution (no dependencies) into its own cached folder; returns that folder. */
export async function ensurePypiPackage(pkg: string, version: string): Promise<string> {
  const dir = path.join(cacheDir(), "pypi-packages", `${pkg}-${version}`);
  if (existsSync(path.join(dir, COMPLETE))) return dir;
  const uv = await ensureUv();
  rmSync(dir, { recursive: true, force: true });
  log.step(`fetching ${pkg}==${version} from PyPI into ${dir}`);
  await runCommand(uv, ["pip", "install", "-p", basePython(), "--no-deps", "--target", dir, `${pkg}==${version}`], {
    env: uvEnv(),
    stream: "  [uv] ",
  });
  writeFileSync(path.join(dir, COMPLETE), "");
  return dir;
}
