import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { nodeArgsFor } from "./bundle.ts";

/** A checkout with a source, and optionally its bundle built at `builtS` (seconds since the epoch). */
function checkout(builtS: number | null, sourceS: number): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "eb-child-"));
  mkdirSync(path.join(root, "build"));
  mkdirSync(path.join(root, "scenario"));
  writeFileSync(path.join(root, "scenario", "texts.ts"), "export {};\n");
  utimesSync(path.join(root, "scenario", "texts.ts"), sourceS, sourceS);
  if (builtS !== null) {
    writeFileSync(path.join(root, "build", "engine-child.js"), "\n");
    writeFileSync(path.join(root, "build", "engine-child.sources.json"), JSON.stringify(["scenario/texts.ts"]));
    utimesSync(path.join(root, "build", "engine-child.js"), builtS, builtS);
  }
  return root;
}

test("a command starts from its bundle only when the bundle is newer than every source it holds", (t) => {
  const cases: [string, number | null, number, "bundle" | "tsx"][] = [
    ["built after the last edit", 2000, 1000, "bundle"],
    ["a source edited since the build", 1000, 2000, "tsx"],
    ["never built", null, 1000, "tsx"],
  ];
  for (const [what, built, edited, expected] of cases) {
    const root = checkout(built, edited);
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const cmd = nodeArgsFor(root, "scenario/main.ts", "build/engine-child.js");
    if (expected === "bundle") assert.deepEqual(cmd, [path.join(root, "build", "engine-child.js")], what);
    else assert.deepEqual(cmd, ["--import", "tsx", path.join(root, "scenario", "main.ts")], what);
  }
  // A source the bundle lists that no longer exists: the build is stale.
  const root = checkout(2000, 1000);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  rmSync(path.join(root, "scenario", "texts.ts"));
  assert.deepEqual(nodeArgsFor(root, "scenario/main.ts", "build/engine-child.js"), ["--import", "tsx", path.join(root, "scenario", "main.ts")]);
});
