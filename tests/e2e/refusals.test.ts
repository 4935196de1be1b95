// Flags that could only fail late are refused at once (issue 24): the real CLI, before any model,
// server or engine is touched, says what is wrong in one line and exits 2.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { runCli, tempDir } from "./helpers.ts";

/** Runs bench:k6 with `args`; asserts exit 2, one line on stderr matching `message`, nothing on stdout, within 30 s. */
async function refusedAtOnce(args: string[], message: RegExp): Promise<void> {
  const started = performance.now();
  const run = await runCli([...args, "--results-dir", tempDir("refusals")], { timeoutMs: 60_000 });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line:\n${run.stderr}`);
  assert.match(lines[0]!, message);
  assert.equal(run.stdout, "");
  assert.ok(seconds < 30, `refused at once, not after ${seconds.toFixed(1)} s`);
}

const strays = () => readdirSync("/").filter((n) => /\.tmp-\d+$/.test(n));

test("--csv naming a folder is one line and exit 2, and leaves nothing at the filesystem root", async () => {
  const before = strays();
  await refusedAtOnce(
    ["--frameworks", "onnx-python", "--csv", "/tmp"],
    /ERROR: --csv: \/tmp is a folder, not a file; give a file's path, e.g. \/tmp\/results\.csv$/,
  );
  const folder = tempDir("csv-folder");
  await refusedAtOnce(["--frameworks", "onnx-python", "--csv", `${folder}/`], /ERROR: --csv: .* names a folder, not a file/);
  await refusedAtOnce(["--summary-only", "--csv", "/tmp"], /ERROR: --csv: \/tmp is a folder, not a file/);
  assert.deepEqual(strays(), before);
});

test("--concurrency-levels 99999999999 and every other flag beyond its bound is one line and exit 2", async () => {
  await refusedAtOnce(
    ["--frameworks", "onnx-python", "--concurrency-levels", "99999999999"],
    /ERROR: --concurrency-levels: must be at most 1024, got 99999999999$/,
  );
  await refusedAtOnce(["--mode", "open", "--rates-rps", "99999999999"], /ERROR: --rates-rps: must be at most 10000, got 99999999999$/);
  await refusedAtOnce(["--duration-s", "99999999999"], /ERROR: --duration-s: must be at most 3600, got 99999999999$/);
  await refusedAtOnce(["--batch-size", "257"], /ERROR: --batch-size: must be at most 256, got 257$/);
  await refusedAtOnce(["--trials", "99999999999"], /ERROR: --trials: must be at most 100, got 99999999999$/);
});
