import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { z } from "zod";
import { EXIT_INTERRUPTED, EXIT_TERMINATED, exitCodeOf, Interrupted, formatZodIssues, UserError } from "./errors.ts";
import { ROOT } from "./paths.ts";

test("formatZodIssues: one line per issue, naming where and which field", () => {
  const schema = z.object({ a: z.object({ b: z.number() }), c: z.string() }).strict();
  const r = schema.safeParse({ a: { b: "x" }, c: 1, d: true });
  assert.ok(!r.success);
  const lines = formatZodIssues("config/x.yaml", r.error).split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^config\/x\.yaml: a\.b: .*number/);
  assert.match(lines[1]!, /^config\/x\.yaml: c: .*string/);
  assert.match(lines[2]!, /^config\/x\.yaml: \(top level\): .*"d"/);
  assert.match(
    formatZodIssues(undefined, r.error, (p) => `--${String(p[0])}`),
    /^--a: /,
  );
});

test("exitCodeOf: a user error is 2, a bug is 1, anything after an abort is 130", () => {
  assert.equal(exitCodeOf(new UserError("bad flag")), 2);
  assert.equal(exitCodeOf(new Error("bug")), 1);
  assert.equal(exitCodeOf("thrown string"), 1);
  const c = new AbortController();
  c.abort();
  assert.equal(exitCodeOf(new Error("k6 stopped"), c.signal), EXIT_INTERRUPTED);
  const term = new AbortController();
  term.abort(new Interrupted("SIGTERM"));
  assert.equal(exitCodeOf(new Error("k6 stopped"), term.signal), EXIT_TERMINATED);
});

/** Runs `runMain(<body>)` in a child process and returns its exit code and stderr. */
function runMainChild(body: string, onStarted?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stderr: string }> {
  const script = `import { runMain, UserError } from "./orchestrator/platform/errors.ts";\nrunMain(${body});`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    if (stderr.includes("READY") && onStarted) {
      onStarted(child);
      onStarted = undefined;
    }
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

test("runMain: a UserError is one clear line and exit 2, without a stack", async () => {
  const r = await runMainChild(`async () => { throw new UserError("--concurrency-levels: expected a whole number, got 'x'"); }`);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ERROR: --concurrency-levels: expected a whole number, got 'x'\n$/);
  assert.doesNotMatch(r.stderr, /at .*errors\.ts/);
});

test("runMain: an unexpected error keeps its stack and exits 1", async () => {
  const r = await runMainChild(`async () => { throw new TypeError("boom"); }`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /TypeError: boom\n\s+at /);
});

test("runMain: the returned status is the exit code", async () => {
  assert.equal((await runMainChild(`async () => 3`)).code, 3);
});

test("runMain: SIGINT aborts the signal, the work stops cleanly, and the exit code is 130", async () => {
  const body = `async (argv, { signal }) => {
    const busy = setInterval(() => {}, 1000);
    process.stderr.write("READY\\n");
    await new Promise((resolve) => signal.addEventListener("abort", resolve));
    clearInterval(busy);
    process.stderr.write("cleaned up\\n");
    return 0;
  }`;
  const r = await runMainChild(body, (child) => child.kill("SIGINT"));
  assert.equal(r.code, EXIT_INTERRUPTED);
  assert.match(r.stderr, /SIGINT: stopping/);
  assert.match(r.stderr, /cleaned up/);
});

test("runMain: SIGTERM stops the work the same way and the exit code is 143 (128 + SIGTERM)", async () => {
  const body = `async (argv, { signal }) => {
    const busy = setInterval(() => {}, 1000);
    process.stderr.write("READY\\n");
    await new Promise((resolve) => signal.addEventListener("abort", resolve));
    clearInterval(busy);
    process.stderr.write("cleaned up\\n");
    return 0;
  }`;
  const r = await runMainChild(body, (child) => child.kill("SIGTERM"));
  assert.equal(r.code, EXIT_TERMINATED);
  assert.equal(EXIT_TERMINATED, 143);
  assert.match(r.stderr, /SIGTERM: stopping/);
  assert.match(r.stderr, /cleaned up/);
});
