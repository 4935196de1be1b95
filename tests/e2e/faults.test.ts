// Faults during a level, on the real onnx-python server and real k6: a server that stops answering
// (SIGSTOP) is recorded as stalled, never as a clean level; a server killed mid-level ends the level
// early without flooding the console. No server process survives either.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { isAlive, latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const readResult = (dir: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));

/** The server's pid, from the result file the run wrote after its verify phase. */
function serverPid(dir: string): number {
  const pid = Number(readResult(dir).server_info?.["pid"]);
  assert.ok(pid > 0, "server pid in the result file");
  return pid;
}

test("a server stopped (SIGSTOP) for 6 s mid-level is recorded as a stall and fails the framework", { timeout: 900_000 }, async () => {
  const dir = tempDir("stall");
  let pid = 0;
  const run = await runCli(["--frameworks", "onnx-python", "--levels", "1", "2", "--duration-s", "12", "--warmup-requests", "2", "--results-dir", dir], {
    onStderr: (text) => {
      if (pid !== 0 || !text.includes("level 1/2")) return;
      pid = serverPid(dir);
      setTimeout(() => process.kill(pid, "SIGSTOP"), 2000);
      setTimeout(() => process.kill(pid, "SIGCONT"), 8000);
    },
  });
  assert.ok(pid > 0, "the first level started");
  assert.equal(run.code, 1, run.stderr.slice(-3000));
  const result = readResult(dir);
  assert.equal(result.status, "failed");
  assert.match(result.failure ?? "", /^server stopped answering for \d+(\.\d)? s at concurrency 1/);
  const level = result.scenarios["concurrency_1"];
  assert.ok(level, "the stalled level is on disk");
  assert.equal(level.stalls.length, 1, JSON.stringify(level.stalls));
  const stall = level.stalls[0]!;
  assert.ok(stall.duration_s >= 4.5 && stall.duration_s <= 9, `stall of ${stall.duration_s} s`);
  assert.ok(stall.start_s >= 1 && stall.start_s <= 5, `stall from ${stall.start_s} s`);
  assert.deepEqual(Object.keys(result.scenarios), ["concurrency_1"], "no level after the stall");
  assert.equal(isAlive(pid), false, `server pid ${pid} is gone`);
});

test("a server killed mid-level ends the level early, with one line per kind of k6 warning", { timeout: 900_000 }, async () => {
  const dir = tempDir("killed");
  let pid = 0;
  const started = performance.now();
  const run = await runCli(["--frameworks", "onnx-python", "--levels", "2", "--duration-s", "30", "--warmup-requests", "2", "--results-dir", dir], {
    onStderr: (text) => {
      if (pid !== 0 || !text.includes("level 1/1")) return;
      pid = serverPid(dir);
      setTimeout(() => process.kill(-pid, "SIGKILL"), 2000);
    },
  });
  assert.ok(pid > 0, "the level started");
  assert.equal(run.code, 1, run.stderr.slice(-3000));
  assert.ok(performance.now() - started < 28_000 + 60_000, "ended well before the level's 30 s would have, plus start-up");
  assert.match(run.stderr, /ending the level early: every request failed for \d+(\.\d)? s/);
  const warnings = run.stderr.split("\n").filter((l) => l.includes('msg="Request Failed"'));
  assert.ok(warnings.length <= 1, `${warnings.length} 'Request Failed' lines on the console`);
  assert.match(run.stderr, /"Request Failed" ×\d+ \(every one in .*onnx-python-c2\.log\)/);
  const log = readFileSync(path.join(latestRun(dir), MODEL, "k6", "onnx-python-c2.log"), "utf8");
  assert.ok(log.split("\n").filter((l) => l.includes('msg="Request Failed"')).length > 1, "the k6 log keeps every warning");
  const result = readResult(dir);
  assert.equal(result.status, "failed");
  assert.match(result.failure ?? "", /server died during concurrency 2|level ended early: every request failed/);
  assert.equal(isAlive(pid), false);
});
