// Output folders and files are checked before anything slow starts: folders created one level at a
// time and proven writable with a probe file; a file path proven to name no folder and to lie in a
// writable folder. Node 20's recursive mkdirSync spins forever at 100 % CPU on paths
// under /proc (and ignores signals meanwhile), so user-given paths never go through it.
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../platform/errors.ts";

/** statfs magic numbers of kernel pseudo-filesystems, where no result file can live. */
const PSEUDO_FILESYSTEMS: Record<number, string> = {
  40864: "procfs",
  1650812274: "sysfs",
  1684170528: "debugfs",
  1953653091: "tracefs",
  2613483: "cgroupfs",
  1667723888: "cgroup2fs",
};

const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Makes `dir` exist and be writable, or throws one UserError line that names `what` (the flag) and the path. */
export function ensureWritableDir(dir: string, what: string): string {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let existing = abs;
  while (!existsSync(existing)) {
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  if (!statSync(existing).isDirectory()) throw new UserError(`${what}: ${abs}: ${existing} is a file, not a folder`);
  const fsName = PSEUDO_FILESYSTEMS[statfsSync(existing).type];
  if (fsName) throw new UserError(`${what}: ${abs} is on ${fsName}, a kernel pseudo-filesystem; choose a normal folder`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      throw new UserError(`${what}: cannot create ${d} (${reason(err)})`);
    }
  }
  const probe = path.join(abs, `.embedding-bench-write-test-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    throw new UserError(`${what}: ${abs} is not writable (${reason(err)})`);
  }
  return abs;
}

/**
 * What ensureWritableDir would find, without creating anything (bench:k6 --dry-run): the same
 * errors for a file in the way or a pseudo-filesystem, and the nearest existing folder must be
 * writable. Returns whether `dir` exists already.
 */
export function checkWritableDir(dir: string, what: string): { abs: string; exists: boolean } {
  const abs = path.resolve(dir);
  let existing = abs;
  while (!existsSync(existing)) existing = path.dirname(existing);
  if (!statSync(existing).isDirectory()) throw new UserError(`${what}: ${abs}: ${existing} is a file, not a folder`);
  const fsName = PSEUDO_FILESYSTEMS[statfsSync(existing).type];
  if (fsName) throw new UserError(`${what}: ${abs} is on ${fsName}, a kernel pseudo-filesystem; choose a normal folder`);
  try {
    accessSync(existing, constants.W_OK);
  } catch (err) {
    throw new UserError(`${what}: ${existing === abs ? abs : `cannot create ${abs}: ${existing}`} is not writable (${reason(err)})`);
  }
  return { abs, exists: existing === abs };
}

/**
 * `file` as an output file: not a folder (nor a path written as one, ending in /), its folder created
 * and proven writable (ensureWritableDir), and an existing file openable for writing. Anything else
 * is one UserError line naming `what` (the flag) and the path. Returns the absolute path.
 */
export function ensureWritableFile(file: string, what: string, example = "out.txt"): string {
  const abs = checkFileTarget(file, what, example);
  ensureWritableDir(path.dirname(abs), what);
  if (existsSync(abs)) {
    try {
      closeSync(openSync(abs, "r+"));
    } catch (err) {
      throw new UserError(`${what}: ${abs} is not writable (${reason(err)})`);
    }
  }
  return abs;
}

/** What ensureWritableFile would find, without creating anything (--dry-run). */
export function checkWritableFile(file: string, what: string, example = "out.txt"): { abs: string; exists: boolean } {
  const abs = checkFileTarget(file, what, example);
  const dir = checkWritableDir(path.dirname(abs), what);
  if (existsSync(abs)) {
    try {
      accessSync(abs, constants.W_OK);
    } catch (err) {
      throw new UserError(`${what}: ${abs} is not writable (${reason(err)})`);
    }
  }
  return { abs, exists: dir.exists };
}

function checkFileTarget(file: string, what: string, example: string): string {
  const abs = path.resolve(file);
  const folderHint = `give a file's path, e.g. ${path.join(abs, example)}`;
  if (/[/\\]$/.test(file) || file === "." || file === "..") throw new UserError(`${what}: ${file} names a folder, not a file; ${folderHint}`);
  if (!existsSync(abs)) return abs;
  const stat = statSync(abs);
  if (stat.isDirectory()) throw new UserError(`${what}: ${abs} is a folder, not a file; ${folderHint}`);
  if (!stat.isFile()) throw new UserError(`${what}: ${abs} is not a regular file`);
  return abs;
}
