// Faults during a level, on the real onnx-python server and the embedded load engine: a server that stops answering
// (SIGSTOP) is recorded as stalled, never as a clean level; a server killed mid-level ends the level
// early without flooding the console. No server process survives either.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { parseExposition, total } from "../../servers/contract/prometheus.ts";
import { isAlive, latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";
const readResult = (dir: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));

/** The server's pid, from the result file the run wrote after its verify phase. */
function serverPid(dir: string): number {
  const pid = Number(readResult(dir).server_info?.["pid"]);
  assert.ok(pid > 0, "server pid in the result file");
  return pid;
}

/** Resolves once the server's embed_requests_total grows: the level's load has reached it. */
async function loadStarted(url: string): Promise<void> {
  const served = async () => total(parseExposition(await (await fetch(`${url}/metrics`)).text()), "embed_requests_total");
  const before = await served();
  while ((await served()) === before) await new Promise((r) => setTimeout(r, 50));
}

test("a server stopped (SIGSTOP) for 6 s mid-level is recorded as a stall and fails the framework", { timeout: 900_000 }, async () => {
  const dir = tempDir("stall");
  let pid = 0;
  const run = await runCli(
    ["--frameworks", "onnx-python", "--concurrency-levels", "1", "2", "--duration-s", "12", "--warmup-requests", "2", "--results-dir", dir],
    {
      onStderr: (text) => {
        if (pid !== 0 || !text.includes("level 1/2")) return;
        pid = serverPid(dir);
        // The stop comes 2 s into the level's load, timed from the server's first answer of the level
        // (the engine's own process takes a moment to start after the level's line).
        void loadStarted(readResult(dir).server_url).then(() => {
          setTimeout(() => process.kill(pid, "SIGSTOP"), 2000);
          setTimeout(() => process.kill(pid, "SIGCONT"), 8000);
        });
      },
    },
  );
  assert.ok(pid > 0, "the first level started");
  assert.equal(run.code, 1, run.stderr.slice(-3000));
  const result = readResult(dir);
  assert.equal(result.status, "failed");
  assert.match(result.failure ?? "", /^server stopped answering for \d+(\.\d)? s at concurrency 1/);
  const level = result.scenarios[pointKey(closedPoint(1))];
  assert.ok(level, "the stalled level is on disk");
  assert.equal(level.stalls.length, 1, JSON.stringify(level.stalls));
  const stall = level.stalls[0]!;
  assert.ok(stall.duration_s >= 4.5 && stall.duration_s <= 9, `stall of ${stall.duration_s} s`);
  assert.ok(stall.start_s >= 1 && stall.start_s <= 5, `stall from ${stall.start_s} s`);
  // Every field says so, not only validity.stalled.
  assert.equal(level.validity?.stalled, true);
  assert.equal(level.thresholds_ok, false);
  assert.equal(level.ended_early, `server stopped answering for ${stall.duration_s} s from ${stall.start_s} s`);
  assert.deepEqual(Object.keys(result.scenarios), [pointKey(closedPoint(1))], "no level after the stall");
  assert.equal(isAlive(pid), false, `server pid ${pid} is gone`);
});

test("a server killed mid-level ends the level early, with one line per kind of failure", { timeout: 900_000 }, async () => {
  const dir = tempDir("killed");
  let pid = 0;
  const started = performance.now();
  const run = await runCli(["--frameworks", "onnx-python", "--concurrency-levels", "2", "--duration-s", "30", "--warmup-requests", "2", "--results-dir", dir], {
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
  // The engine prints the first failure of each kind once; every later one is only counted.
  const firsts = run.stderr.split("\n").filter((l) => l.startsWith("    [engine] first "));
  const kinds = firsts.map((l) => /^ {4}\[engine\] first "([^"]+)" at [\d.]+ s: /.exec(l)?.[1]);
  assert.ok(kinds.includes("connection refused"), `a 'connection refused' line on the console:\n${firsts.join("\n")}`);
  assert.equal(new Set(kinds).size, kinds.length, `one line per kind:\n${firsts.join("\n")}`);
  // The level's figures keep every failure, by kind: its outcome file and the last line of its log.
  const levelDir = path.join(latestRun(dir), MODEL, "levels");
  const outcome = JSON.parse(readFileSync(path.join(levelDir, "onnx-python-c2-b1.summary.json"), "utf8")) as {
    requests: number;
    errors: number;
    errorsByKind: Record<string, number>;
  };
  const refused = outcome.errorsByKind["connection refused"] ?? 0;
  assert.ok(refused > 1, `more refused connections counted than printed: ${JSON.stringify(outcome.errorsByKind)}`);
  assert.deepEqual(Object.keys(outcome.errorsByKind).sort(), [...kinds].sort(), "every kind counted was printed once");
  assert.equal(
    Object.values(outcome.errorsByKind).reduce((a, n) => a + n, 0),
    outcome.errors,
  );
  const log = readFileSync(path.join(levelDir, "onnx-python-c2-b1.log"), "utf8");
  assert.match(log, new RegExp(`errors ${outcome.errors} \\(.*${refused} connection refused`), "the engine log ends with the errors by kind");
  const result = readResult(dir);
  assert.equal(result.status, "failed");
  assert.match(result.failure ?? "", /server died during concurrency 2|level ended early: every request failed/);
  assert.equal(isAlive(pid), false);
});
