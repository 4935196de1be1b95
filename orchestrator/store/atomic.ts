import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Write-then-rename: a reader (or a crash) never sees half a file. The temporary file lies next to
 * the target, in the target's own folder (`.<name>.tmp-<pid>`), so the rename stays on one
 * filesystem and nothing is ever written to a folder that was not asked for; a target that is a
 * folder is refused before anything is written, and a failed write leaves no temporary file.
 */
export function writeFileAtomic(file: string, content: string): void {
  const abs = path.resolve(file);
  if (isFolder(abs)) throw new Error(`cannot write ${abs}: it is a folder, not a file`);
  const dir = path.dirname(abs);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(abs)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
