// A framework's system requirements against the real machine: dpkg and apt-get for Debian packages
// (as root the suite installs them; otherwise it names the exact command), and a bench:k6 run that
// skips a framework whose tool is missing and goes on.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { discoverServers } from "../../orchestrator/plan/config.ts";
import { ensureSystemRequirements, FrameworkSkipped, missingDebianPackages } from "../../orchestrator/launch/system.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const FIXTURES = path.join(ROOT, "tests", "fixtures", "servers");
const fixture = (name: string) => discoverServers(FIXTURES).find((s) => s.manifest.name === name)!;
const isRoot = process.getuid?.() === 0;

test("a missing Debian package is installed by the suite as root, else named with the exact apt-get command", { timeout: 600_000 }, async () => {
  const server = fixture("needs-hello");
  const remove = () => execFileSync("dpkg", ["--purge", "hello"], { stdio: "ignore" });
  if (isRoot && missingDebianPackages(["hello"]).length === 0) remove();
  assert.deepEqual(missingDebianPackages(["hello"]), ["hello"], "the test starts without the package");
  if (!isRoot) {
    await assert.rejects(ensureSystemRequirements(server), (err: Error) => {
      assert.ok(err instanceof FrameworkSkipped);
      assert.match(err.message, /Install them with: sudo apt-get install -y --no-install-recommends hello$/);
      return true;
    });
    return;
  }
  try {
    await ensureSystemRequirements(server);
    assert.deepEqual(missingDebianPackages(["hello"]), [], "installed");
    assert.match(execFileSync("hello", { encoding: "utf8" }), /Hello, world!/);
  } finally {
    remove();
  }
});

test("bench:k6 skips a framework whose tool is missing, says why, and the run goes on", { timeout: 900_000 }, async () => {
  const dir = tempDir("skip");
  const run = await runCli(
    ["--frameworks", "needs-tool", "onnx-python", "--concurrency-levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir],
    {
      env: { EMBEDDING_BENCH_EXTRA_SERVERS: FIXTURES },
    },
  );
  assert.equal(run.code, 1, "not everything asked for ran");
  assert.match(run.stderr, /WARNING: needs-tool: needs-tool needs 'no-such-tool-eb' on PATH \(it exists nowhere/);
  const read = (name: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), "all-MiniLM-L6-v2", `${name}.json`), "utf8")));
  const skipped = read("needs-tool");
  assert.equal(skipped.status, "skipped");
  assert.match(skipped.failure ?? "", /no-such-tool-eb/);
  assert.equal(read("onnx-python").status, "completed");
  assert.match(run.stdout, /needs-tool\s.*skipped/);
});
