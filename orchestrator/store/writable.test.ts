import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { ensureWritableDir } from "./writable.ts";

const rejects = (dir: string, message: RegExp) =>
  assert.throws(
    () => ensureWritableDir(dir, "--results-dir"),
    (err: Error) => err instanceof UserError && message.test(err.message),
  );

test("missing folders are created, one level at a time", () => {
  const base = mkdtempSync(path.join(os.tmpdir(), "eb-writable-"));
  const dir = path.join(base, "a", "b", "c");
  assert.equal(ensureWritableDir(dir, "--results-dir"), dir);
  assert.ok(existsSync(dir));
});

test("pseudo-filesystems, files used as folders and uncreatable paths are one clear line, at once", () => {
  const started = performance.now();
  rejects("/proc/x", /^--results-dir: \/proc\/x is on procfs, a kernel pseudo-filesystem/);
  rejects("/proc/x/y/z", /is on procfs/);
  rejects("/sys/x", /is on sysfs/);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "eb-writable-")), "file");
  writeFileSync(file, "");
  rejects(path.join(file, "sub"), /is a file, not a folder$/);
  assert.ok(performance.now() - started < 5000, "no spinning mkdir");
});
