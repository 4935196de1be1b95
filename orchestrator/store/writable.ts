// Output folders are checked before anything slow starts: created one level at a time and proven
// writable with a probe file. Node 20's recursive mkdirSync spins forever at 100 % CPU on paths
// under /proc (and ignores signals meanwhile), so user-given paths never go through it.
import { accessSync, constants, existsSync, mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
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
