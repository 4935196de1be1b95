import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";

/** Hash of files and folders (recursively, sorted, skipping build output) for cache keys. */
export function hashPaths(base: string, rels: readonly string[], extra = ""): string {
  const h = createHash("sha256");
  h.update(extra);
  const visit = (abs: string, rel: string) => {
    if (!existsSync(abs)) {
      h.update(`missing:${rel}\n`);
      return;
    }
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        if (name === "target" || name === "build" || name === "node_modules" || name === "__pycache__" || name.startsWith(".")) continue;
        visit(path.join(abs, name), path.join(rel, name));
      }
    } else {
      h.update(`file:${rel}\n`);
      h.update(readFileSync(abs));
    }
  };
  for (const rel of [...rels].sort()) visit(path.join(base, rel), rel);
  return h.digest("hex").slice(0, 16);
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
