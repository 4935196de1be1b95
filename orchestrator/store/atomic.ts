import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Write-then-rename: a reader (or a crash) never sees half a file. */
export function writeFileAtomic(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
