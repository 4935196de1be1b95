import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { UserError } from "../../platform/errors.ts";
import { findK6, k6Version, requireK6 } from "./find.ts";

const dir = () => mkdtempSync(path.join(os.tmpdir(), "eb-k6find-"));

/** An executable script at dir/k6 printing `text` for `k6 version` (a stand-in: this test is about finding, not running). */
function script(folder: string, text: string): string {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, "k6");
  writeFileSync(file, `#!/bin/sh\necho '${text}'\n`);
  chmodSync(file, 0o755);
  return file;
}

test("K6_BIN that is not k6 is one clear line (exit 2) naming how to install k6", () => {
  assert.throws(
    () => findK6({ K6_BIN: "/bin/false", PATH: "" }),
    (e: Error) => e instanceof UserError && /K6_BIN=\/bin\/false is not a working k6/.test(e.message) && /grafana/i.test(e.message),
  );
});

test("K6_BIN, then PATH; a placeholder 'k6' on PATH (npm's dummy) is not k6", () => {
  const placeholder = script(dir(), "this is not k6");
  assert.equal(k6Version(placeholder), null);
  assert.equal(findK6({ PATH: path.dirname(placeholder) }), null);
  const real = script(dir(), "k6 v1.8.1 (go1.26.8, linux/amd64)");
  assert.deepEqual(
    findK6({ PATH: `${path.dirname(placeholder)}${path.delimiter}${path.dirname(real)}` })?.path,
    real,
    "a placeholder earlier on PATH is passed over",
  );
  assert.deepEqual(findK6({ PATH: path.dirname(real) }), { path: real, version: "v1.8.1", source: "PATH" });
  assert.deepEqual(findK6({ K6_BIN: real, PATH: "" }), { path: real, version: "v1.8.1", source: "K6_BIN" });
});

test("a k6 left in the suite's old cache is never used", () => {
  const cache = dir();
  script(path.join(cache, "k6", "v1.8.1"), "k6 v1.8.1");
  const saved = process.env["EMBEDDING_BENCH_CACHE"];
  process.env["EMBEDDING_BENCH_CACHE"] = cache;
  try {
    assert.equal(findK6({ PATH: dir() }), null);
  } finally {
    if (saved === undefined) delete process.env["EMBEDDING_BENCH_CACHE"];
    else process.env["EMBEDDING_BENCH_CACHE"] = saved;
  }
});

test("requireK6 without a k6 says what needed it and how to install k6", () => {
  const saved = { K6_BIN: process.env["K6_BIN"], PATH: process.env["PATH"] };
  delete process.env["K6_BIN"];
  process.env["PATH"] = dir();
  try {
    assert.throws(
      () => requireK6("--engine k6"),
      (e: Error) => e instanceof UserError && /^--engine k6 needs k6, and none was found/.test(e.message) && /Homebrew/.test(e.message),
    );
  } finally {
    process.env["PATH"] = saved.PATH;
    if (saved.K6_BIN !== undefined) process.env["K6_BIN"] = saved.K6_BIN;
  }
});
