import assert from "node:assert/strict";
import { test } from "node:test";
import { CRASH_MAX_LINES, crashMessage, outOfMemory } from "./crash.ts";

test("a crashed engine's message: at most 20 lines, out of memory said, the rest left to the log", () => {
  const dump = [
    "<--- Last few GCs --->",
    ...Array.from({ length: 200 }, (_, i) => `[1234:0x5]  ${i} ms: Mark-Compact ${"x".repeat(i === 199 ? 5000 : 10)}`),
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    ...Array.from({ length: 30 }, (_, i) => ` ${i}: 0xabc node::Abort() [node]`),
  ].join("\n");
  const m = crashMessage("embedded engine failed: exited with SIGABRT and no figures\nand a second line", dump, "/r/levels/x-c1.log");
  const lines = m.split("\n");
  assert.ok(lines.length <= CRASH_MAX_LINES, `${lines.length} lines`);
  assert.equal(lines[0], "embedded engine failed: exited with SIGABRT and no figures (out of memory)");
  assert.equal(lines.at(-1), "its whole output: /r/levels/x-c1.log");
  assert.ok(lines.every((l) => l.length <= 302));
  assert.equal(outOfMemory("panic: boom"), false);
  assert.equal(crashMessage("k6 exited with 107", "", "/l").split("\n").length, 2);
});
