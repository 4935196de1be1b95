import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { checkWritableFile, ensureWritableDir, ensureWritableFile } from "./writable.ts";

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

test("an output file: a folder (or a path ending in /) is one line, a missing folder is created, nothing is written", () => {
  const base = mkdtempSync(path.join(os.tmpdir(), "eb-writable-"));
  const refuses = (file: string, message: RegExp) =>
    assert.throws(
      () => ensureWritableFile(file, "--csv", "results.csv"),
      (err: Error) => err instanceof UserError && !err.message.includes("\n") && message.test(err.message),
    );
  refuses(base, new RegExp(`^--csv: ${base} is a folder, not a file; give a file's path, e.g. ${base}/results.csv$`));
  refuses("/tmp", /^--csv: \/tmp is a folder, not a file/);
  refuses(`${base}/new/`, /names a folder, not a file/);
  refuses("/proc/x.csv", /is on procfs/);
  assert.deepEqual(readdirSync(base), [], "nothing written while refusing");
  const file = path.join(base, "sub", "out.csv");
  assert.equal(ensureWritableFile(file, "--csv"), file);
  assert.ok(existsSync(path.dirname(file)) && !existsSync(file), "its folder exists, the file does not yet");
  assert.deepEqual(checkWritableFile(path.join(base, "other", "x.csv"), "--csv"), { abs: path.join(base, "other", "x.csv"), exists: false });
  assert.throws(() => checkWritableFile(base, "--csv"), /is a folder, not a file/);
});

test("writeFileAtomic: the temporary file lies next to the target; a folder as the target is refused before anything is written", () => {
  const base = mkdtempSync(path.join(os.tmpdir(), "eb-atomic-"));
  const target = path.join(base, "a.json");
  writeFileAtomic(target, "{}");
  assert.deepEqual(readdirSync(base), ["a.json"]);
  const folder = path.join(base, "folder");
  mkdirSync(folder);
  assert.throws(() => writeFileAtomic(folder, "x"), /it is a folder, not a file/);
  assert.deepEqual(readdirSync(base).sort(), ["a.json", "folder"], "no temporary file left anywhere");
  assert.deepEqual(readdirSync(folder), []);
});
