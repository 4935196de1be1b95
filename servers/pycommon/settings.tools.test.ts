// The Python servers' thread/worker layout and environment parsing (embedserver/settings.py: stdlib
// only, so the base Python runs it without a venv).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env["EMBEDDING_BENCH_PYTHON"] ?? "python3";

function py(code: string, env: Record<string, string> = {}): { out: string; err: string; code: number | null } {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !["THREADS", "WORKERS", "PROCESSES", "MAX_BATCH_SIZE", "MAX_WAIT_MS", "MAX_QUEUE"].includes(k)),
  );
  const r = spawnSync(PYTHON, ["-c", code], { env: { ...clean, PYTHONPATH: HERE, ...env }, encoding: "utf8" });
  return { out: r.stdout.trim(), err: r.stderr, code: r.status };
}

function layout(cpus: number, env: Record<string, string> = {}): [number, number, number] {
  const r = py(`from embedserver.settings import layout; print(*layout(${cpus}))`, env);
  assert.equal(r.code, 0, r.err);
  const [threads, workers, processes] = r.out.split(" ").map(Number);
  return [threads!, workers!, processes!];
}

test("by default one single-threaded model call per CPU, as in the Rust and C++ servers", () => {
  assert.deepEqual(layout(4), [1, 4, 1]);
  assert.deepEqual(layout(1), [1, 1, 1]);
  assert.deepEqual(layout(4, { PROCESSES: "2" }), [1, 2, 2], "PROCESSES divides the CPUs first");
});

test("setting one of THREADS / WORKERS derives the other so that threads × workers = CPUs", () => {
  assert.deepEqual(layout(8, { WORKERS: "2" }), [4, 2, 1]);
  assert.deepEqual(layout(8, { THREADS: "2" }), [2, 4, 1]);
  assert.deepEqual(layout(2, { THREADS: "4" }), [4, 1, 1], "never fewer than one worker");
  assert.deepEqual(layout(2, { WORKERS: "4" }), [1, 4, 1], "never fewer than one thread");
  assert.deepEqual(layout(8, { THREADS: "3", WORKERS: "5" }), [3, 5, 1], "both set: taken as given");
});

test("bad values name the variable", () => {
  for (const [name, value] of [
    ["THREADS", "0"],
    ["WORKERS", "two"],
    ["THREADS", "-1"],
  ] as const) {
    const r = py(`from embedserver.settings import layout; layout(2)`, { [name]: value });
    assert.notEqual(r.code, 0);
    assert.match(r.err, new RegExp(`ValueError: ${name} must be a positive integer, got '${value}'`));
  }
  const r = py(`from embedserver.settings import BatchingSettings; BatchingSettings.from_env()`, { MAX_WAIT_MS: "soon" });
  assert.match(r.err, /ValueError: MAX_WAIT_MS must be a non-negative number, got 'soon'/);
});

test("batching settings come from the environment, with documented defaults", () => {
  const code = `from embedserver.settings import BatchingSettings as B; b = B.from_env(); print(b.max_batch_size, b.max_wait_ms, b.max_queue)`;
  assert.equal(py(code).out, "32 5.0 256");
  assert.equal(py(code, { MAX_BATCH_SIZE: "8", MAX_WAIT_MS: "0", MAX_QUEUE: "3" }).out, "8 0.0 3");
});

test("available CPUs are at least 1 and at most what the OS reports", () => {
  const r = py(`import os; from embedserver.settings import available_cpus as a; print(a(), os.cpu_count())`);
  const [cpus, total] = r.out.split(" ").map(Number);
  assert.ok(cpus! >= 1 && cpus! <= total!, r.out);
});
