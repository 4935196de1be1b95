import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { UserError } from "../platform/errors.ts";
import {
  createRun,
  describeRun,
  endRun,
  latestRunId,
  listRuns,
  loadRun,
  migrateLegacy,
  openStore,
  pointLatest,
  recoverInterrupted,
  resolveRun,
  runDifferences,
} from "./history.ts";
import { renderRuns } from "../outputs/runs-table.ts";
import { RunFolder, ResultsStore } from "./folders.ts";
import type { FrameworkResult } from "../results/schema.ts";

const MODEL = "all-MiniLM-L6-v2";
const tempStore = () => new ResultsStore(mkdtempSync(path.join(os.tmpdir(), "eb-history-")));

function result(framework: string, startedAt: string, commit = "0123456789abcdef"): FrameworkResult {
  const r = sampleResult();
  return { ...r, framework, started_at: startedAt, environment: { ...r.environment, git_commit: commit, git_dirty: false } };
}

test("a run gets a folder of its own, latest points at it once a level is saved, and a folder is never reused", () => {
  const store = tempStore();
  const first = createRun(store, "20261130-100000-aaaa");
  assert.equal(first.root, store.runDir("20261130-100000-aaaa"));
  assert.equal(existsSync(store.latest), false, "no finished level yet: latest names no run");
  first.saveResult({ ...result("onnx-python", "2026-11-30T10:00:05.000Z"), scenarios: {} });
  assert.equal(existsSync(store.latest), false, "a result without a level does not move latest");
  first.saveResult(result("onnx-python", "2026-11-30T10:00:05.000Z"));
  assert.ok(lstatSync(store.latest).isSymbolicLink());
  assert.equal(readlinkSync(store.latest), path.join("runs", "20261130-100000-aaaa"), "relative, so the results folder can move");
  // Through the symlink, latest/<model>/<framework>.json is the run's file.
  assert.ok(existsSync(path.join(store.latest, MODEL, "onnx-python.json")));

  const second = createRun(store, "20261130-110000-bbbb");
  assert.equal(latestRunId(store), "20261130-100000-aaaa", "a run without a finished level is never latest");
  second.saveResult(result("onnx-python", "2026-11-30T11:00:05.000Z"));
  assert.equal(latestRunId(store), "20261130-110000-bbbb");
  assert.throws(() => createRun(store, "20261130-100000-aaaa"), /exists already: a run never writes into another's folder/);
  assert.equal(latestRunId(store), "20261130-110000-bbbb", "a refused run does not move latest");
  assert.deepEqual(
    loadRun(first).results.map((r) => r.framework),
    ["onnx-python"],
    "the first run's files are untouched",
  );
});

test("a run whose process is gone is marked interrupted at the next start, with the time it was found; latest skips it", () => {
  const store = tempStore();
  const done = createRun(store, "20261130-100000-aaaa");
  done.saveResult({ ...result("onnx-python", "2026-11-30T10:00:00.000Z"), status: "completed" });
  endRun(done);
  const killed = createRun(store, "20261130-110000-bbbb");
  killed.saveResult({ ...result("onnx-python", "2026-11-30T11:00:00.000Z"), status: "running", scenarios: {} });
  killed.saveResult({ ...result("onnx-python", "2026-11-30T11:00:00.000Z"), status: "running", scenarios: {} }, 1);
  // The process that wrote it: a pid that ran and is gone.
  const gone = spawnSync("true").pid!;
  writeFileSync(killed.ownerFile(), JSON.stringify({ pid: gone, hostname: os.hostname(), start_ticks: 1, started_at: "2026-11-30T11:00:00.000Z" }));
  pointLatest(store, "20261130-110000-bbbb"); // as an older version left it
  const live = createRun(store, "20261130-120000-cccc"); // this process: still running
  live.saveResult({ ...result("onnx-rust", "2026-11-30T12:00:00.000Z"), status: "running", scenarios: {} });

  const messages: string[] = [];
  const found = new Date("2026-12-01T08:00:00.000Z");
  assert.deepEqual(
    recoverInterrupted(store, (m) => messages.push(m), found),
    ["20261130-110000-bbbb"],
  );
  const [marked] = loadRun(killed).results;
  assert.equal(marked?.status, "interrupted");
  assert.equal(
    marked?.failure,
    `interrupted: its process (pid ${gone}, started 2026-11-30T11:00:00.000Z) ended without finishing the run (killed?); found at 2026-12-01T08:00:00.000Z`,
  );
  const trial = JSON.parse(readFileSync(killed.trialFile(MODEL, "onnx-python", 1), "utf8")) as FrameworkResult;
  assert.equal(trial.status, "interrupted", "each trial's file too");
  assert.equal(existsSync(killed.ownerFile()), false);
  assert.match(
    messages.join("\n"),
    /run 20261130-110000-bbbb: its process \(pid \d+, .*\) ended without finishing it; marked interrupted: onnx-python, onnx-python \(onnx-python\.trial-1\.json\)/,
  );
  assert.equal(loadRun(live).results[0]?.status, "running", "a run whose process runs is left alone");
  assert.equal(latestRunId(store), "20261130-100000-aaaa", "latest moved off the run without a finished level");
  const listed = listRuns(store).find((r) => r.id === "20261130-110000-bbbb")!;
  assert.deepEqual([listed.statuses, listed.levels], [["interrupted"], 0]);
  assert.match(renderRuns(listRuns(store), latestRunId(store)), /^20261130-110000-bbbb\s+2026-11-30 11:00 UTC\s+interrupted\s+0\s/m);
  assert.deepEqual(
    recoverInterrupted(store, () => {}),
    [],
    "found once",
  );
  endRun(live);
});

test("a latest file (no symlink support) names the run by its content", () => {
  const store = tempStore();
  createRun(store, "20261130-100000-aaaa").saveResult(result("onnx-python", "2026-11-30T10:00:00.000Z"));
  createRun(store, "20261130-110000-bbbb").saveResult(result("onnx-python", "2026-11-30T11:00:00.000Z"));
  rmSync(store.latest);
  writeFileSync(store.latest, "20261130-100000-aaaa\n");
  assert.equal(latestRunId(store), "20261130-100000-aaaa");
  rmSync(store.latest);
  assert.equal(latestRunId(store), "20261130-110000-bbbb", "without latest: the newest run");
});

test("an unknown run id is a UserError naming the runs there are, with the closest", () => {
  const store = tempStore();
  assert.throws(
    () => resolveRun(store, "latest"),
    (err: Error) => err instanceof UserError && /no runs in .*runs yet/.test(err.message),
  );
  createRun(store, "20261130-100000-aaaa");
  createRun(store, "20261130-110000-bbbb");
  assert.throws(
    () => resolveRun(store, "20261130-1000"),
    (err: Error) =>
      err instanceof UserError &&
      err.message.includes("unknown run '20261130-1000'; ") &&
      err.message.includes("holds: 20261130-100000-aaaa, 20261130-110000-bbbb, latest (did you mean 20261130-100000-aaaa?)"),
  );
});

test("--runs lists each run with date, model, frameworks, profile, commit and machine, oldest first", () => {
  const store = tempStore();
  const later = createRun(store, "20261130-110000-bbbb");
  later.saveResult(result("onnx-rust", "2026-11-30T11:00:01.000Z", "fedcba9876543210"));
  later.saveResult(result("onnx-python", "2026-11-30T11:00:00.000Z", "fedcba9876543210"));
  createRun(store, "20261130-100000-aaaa").saveResult(result("onnx-python", "2026-11-30T10:00:00.000Z"));
  createRun(store, "20261130-120000-cccc");
  const runs = listRuns(store);
  assert.deepEqual(
    runs.map((r) => r.id),
    ["20261130-120000-cccc", "20261130-100000-aaaa", "20261130-110000-bbbb"],
    "a run without results first, then by start",
  );
  const b = runs[2]!;
  assert.equal(b.started_at, "2026-11-30T11:00:00.000Z");
  assert.deepEqual(b.models, [MODEL]);
  assert.deepEqual(b.frameworks, ["onnx-python", "onnx-rust"]);
  assert.deepEqual(b.profiles, ["quick"]);
  assert.deepEqual(b.commits, ["fedcba9876"]);
  assert.deepEqual(b.machines, ["h (cpu, 2 CPUs)"]);
  const text = renderRuns(runs, "20261130-120000-cccc");
  assert.match(text, /^20261130-120000-cccc \*\s+-\s+-\s+0\s+-\s+\(no results\)/m);
  assert.match(
    text,
    /^20261130-110000-bbbb\s+2026-11-30 11:00 UTC\s+completed\s+4\s+all-MiniLM-L6-v2\s+onnx-python, onnx-rust\s+quick\s+fedcba9876\s+h \(cpu, 2 CPUs\)$/m,
  );
});

test("results of an older version are moved, as they are, into runs/legacy-<date>/ with a message", () => {
  const store = tempStore();
  const old = new RunFolder(store.root);
  old.saveResult(result("onnx-python", "2026-11-23T11:47:05.000Z"));
  old.saveResult(result("onnx-python", "2026-11-23T11:47:05.000Z"), 1);
  mkdirSync(path.dirname(old.serverLog(MODEL, "onnx-python")), { recursive: true });
  writeFileSync(old.serverLog(MODEL, "onnx-python"), "server log\n");
  writeFileSync(path.join(old.modelDir(MODEL), "broken.json"), "{");
  writeFileSync(path.join(store.root, "benchmark_results_20261123_114800.csv"), "timestamp\n");
  // Not results: left where they are.
  mkdirSync(path.join(store.root, "notes"));
  writeFileSync(path.join(store.root, "notes", "todo.json"), "{}");
  writeFileSync(path.join(store.root, "README.txt"), "mine");

  const messages: string[] = [];
  const id = migrateLegacy(store, (m) => messages.push(m));
  assert.equal(id, "legacy-20261123-114705");
  const run = store.run(id!);
  assert.deepEqual(
    loadRun(run).results.map((r) => r.framework),
    ["onnx-python"],
  );
  assert.ok(existsSync(run.trialFile(MODEL, "onnx-python", 1)), "trials moved");
  assert.equal(readFileSync(run.serverLog(MODEL, "onnx-python"), "utf8"), "server log\n", "logs moved");
  assert.ok(existsSync(path.join(run.modelDir(MODEL), "broken.json")), "a broken file moves too: nothing is lost");
  assert.ok(existsSync(path.join(run.root, "benchmark_results_20261123_114800.csv")));
  assert.ok(!existsSync(old.modelDir(MODEL)));
  assert.ok(existsSync(path.join(store.root, "notes", "todo.json")) && existsSync(path.join(store.root, "README.txt")));
  assert.equal(messages.length, 1);
  assert.match(
    messages[0]!,
    /results of an earlier version \(all-MiniLM-L6-v2, benchmark_results_20261123_114800\.csv\) moved from .* to .*runs\/legacy-20261123-114705; read them with --summary-only --run legacy-20261123-114705/,
  );
  assert.equal(latestRunId(store), id, "with no other run, latest is the legacy one: --summary-only reads it as before");
  assert.equal(
    migrateLegacy(store, (m) => messages.push(m)),
    null,
    "once moved, nothing more to do",
  );
  assert.equal(messages.length, 1);
});

test("legacy results found beside newer runs move without taking latest, and never onto an existing run", () => {
  const store = tempStore();
  createRun(store, "20261130-100000-aaaa").saveResult(result("onnx-python", "2026-11-30T10:00:00.000Z"));
  new RunFolder(store.root).saveResult(result("onnx-rust", "2026-11-23T11:47:05.000Z"));
  mkdirSync(store.runDir("legacy-20261123-114705"));
  const messages: string[] = [];
  openStore(store.root, (m) => messages.push(m));
  assert.equal(latestRunId(store), "20261130-100000-aaaa");
  assert.ok(existsSync(store.run("legacy-20261123-114705-2").resultFile(MODEL, "onnx-rust")));
  assert.equal(messages.length, 1);
  assert.equal(realpathSync(store.latest), realpathSync(store.runDir("20261130-100000-aaaa")));
});

test("a run's own folder given as the results folder is refused, not taken for an old version's", () => {
  const store = tempStore();
  createRun(store, "20261130-100000-aaaa").saveResult(result("onnx-python", "2026-11-30T10:00:00.000Z"));
  for (const dir of [store.runDir("20261130-100000-aaaa"), store.latest]) {
    assert.throws(
      () => openStore(dir, () => assert.fail("nothing may move")),
      (err: Error) =>
        err instanceof UserError &&
        err.message.endsWith(`one run's folder; give the results folder and the run: --results-dir ${realpathSync(store.root)} --run 20261130-100000-aaaa`),
    );
  }
  assert.ok(existsSync(store.run("20261130-100000-aaaa").resultFile(MODEL, "onnx-python")));
});

test("compare says when two runs come from different CPU sets, engines, machines or profiles", () => {
  const store = new ResultsStore(mkdtempSync(path.join(os.tmpdir(), "eb-diff-")));
  const run = (id: string, edit: (r: FrameworkResult) => void) => {
    const r = sampleResult();
    r.run_id = id;
    edit(r);
    const folder = createRun(store, id);
    folder.saveResult(r);
    return describeRun(folder);
  };
  const a = run("20261206-100000-aaaa", (r) => (r.environment.cpu_sets = { mode: "split", server: "0", client: "1" }));
  const same = run("20261206-100001-bbbb", (r) => (r.environment.cpu_sets = { mode: "split", server: "0", client: "1" }));
  const swapped = run("20261206-100002-cccc", (r) => {
    r.environment.cpu_sets = { mode: "split", server: "1", client: "0" };
    r.environment.load_engine = { name: "embedded", version: "0.1.0" };
  });
  assert.deepEqual(runDifferences(a, same), []);
  const said = runDifferences(a, swapped);
  assert.equal(said.length, 2, said.join("\n"));
  assert.match(said.join("\n"), /different load engines \(A: k6 v1\.8\.1; B: embedded 0\.1\.0\)/);
  assert.match(said.join("\n"), /different CPU sets \(A: server 0, client 1; B: server 1, client 0\)/);
});
