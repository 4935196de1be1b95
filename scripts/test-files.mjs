// Prints the test files for `node --test` (Node 20 has no glob support in --test).
// `unit`: *.test.ts next to the code; default: unit tests, then tests/e2e/*.test.ts (real parts).
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Generated or vendored folders at the top level only: orchestrator/models and orchestrator/results are source.
const skipTop = new Set(["node_modules", "models", "results", "build"]);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if ((dir === root && skipTop.has(name)) || name === "target" || name === "node_modules" || name.startsWith(".")) continue;
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) walk(abs, out);
    else if (name.endsWith(".test.ts")) out.push(path.relative(root, abs));
  }
  return out;
}

const all = walk(root, []).sort();
const e2e = all.filter((f) => f.startsWith(`tests${path.sep}e2e${path.sep}`));
const unit = all.filter((f) => !e2e.includes(f));
const which = process.argv[2] ?? "all";
console.log((which === "unit" ? unit : which === "e2e" ? e2e : [...unit, ...e2e]).join("\n"));
