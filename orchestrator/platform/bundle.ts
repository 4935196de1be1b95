// What `npm run build` bundles for Node (build/build.mjs): each CLI (build/cli/<name>.js) and the
// embedded engine's process (build/engine-child.js), each beside the list of the sources it holds.
// A bundle starts in about a third of the time tsx takes to load the TypeScript modules, which
// counts once per command and once per level; tsx still runs whatever was edited since the build.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** `bundle` (a path relative to `root`) when it is newer than every source it lists, else null. */
export function freshBundle(root: string, bundle: string): string | null {
  const file = path.join(root, bundle);
  try {
    const built = statSync(file).mtimeMs;
    const sources = JSON.parse(readFileSync(file.replace(/\.js$/, ".sources.json"), "utf8")) as string[];
    const fresh = sources.every((s) => existsSync(path.join(root, s)) && statSync(path.join(root, s)).mtimeMs <= built);
    return fresh ? file : null;
  } catch {
    return null; // not built yet
  }
}

/** Node's arguments that run the TypeScript entry `source` (relative to `root`): its bundle when fresh, else through tsx. */
export function nodeArgsFor(root: string, source: string, bundle: string): string[] {
  const built = freshBundle(root, bundle);
  return built ? [built] : ["--import", "tsx", path.join(root, source)];
}

/** Node's arguments for a CLI entry (orchestrator/main/<name>.ts): build/cli/<name>.js when fresh. */
export const cliArgs = (root: string, entry: string): string[] => nodeArgsFor(root, entry, `build/cli/${path.basename(entry, ".ts")}.js`);
