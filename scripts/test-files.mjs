// Prints the test files of one tier for `node --test` (Node 20 has no glob support in --test).
// Tiers, by cost:
//   unit   *.test.ts next to the code: pure logic, parallel, under a minute;
//   tools  *.tools.test.ts: run a tool of the machine (cargo test, the base Python, the CLIs' docs check);
//   e2e    tests/e2e/*.test.ts: real servers, models and the embedded load engine;
//   all    the three, in that order (the default).
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
const tools = all.filter((f) => !e2e.includes(f) && f.endsWith(".tools.test.ts"));
const unit = all.filter((f) => !e2e.includes(f) && !tools.includes(f));
const tiers = { unit, tools, e2e, all: [...unit, ...tools, ...e2e] };
const which = process.argv[2] ?? "all";
if (!Object.hasOwn(tiers, which)) {
  console.error(`unknown test tier '${which}': expected ${Object.keys(tiers).join(", ")}`);
  process.exit(2);
}
console.log(tiers[which].join("\n"));
