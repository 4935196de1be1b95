// kill -9 of the CLI mid-level (issue 24): no process of the server's tree (uvicorn's worker
// processes, Triton's stubs, a native server) and no load-engine process may survive it, and the
// next start marks the run interrupted, with the time it was found. Real CLI, real servers, real
// model, the embedded engine, a real SIGKILL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmd: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      out.push({ pid: Number(name), state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and everything below it, by parent links. */
function tree(root: number, all: readonly Proc[]): Proc[] {
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}

const living = (pids: readonly number[]) => processes().filter((p) => pids.includes(p.pid) && p.state !== "Z");

async function until<T>(what: string, ms: number, probe: () => T | undefined | false): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The embedded engine's process: its bundle, or its TypeScript through tsx (orchestrator/platform/bundle.ts). */
const isEngine = (p: Proc) => /engine-child\.js|embedded\/child\.ts/.test(p.cmd);

const cases = [
  // Two uvicorn worker processes: grandchildren of the suite.
  { framework: "onnx-python", env: { PROCESSES: "2" }, minTree: 3 },
  // PyTriton's tritonserver and its Python-backend stub: grandchildren, and further down.
  { framework: "triton", env: {}, minTree: 3 },
  { framework: "onnx-cpp", env: {}, minTree: 1 },
] as const;

for (const c of cases) {
  test(`kill -9 of the CLI mid-level leaves no ${c.framework} process and no engine; the next start marks the run interrupted`, {
    timeout: 900_000,
  }, async () => {
    const dir = tempDir(`orphans-${c.framework}`);
    const cli = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "orchestrator/main/bench.ts"),
        ...["--frameworks", c.framework, "--concurrency-levels", "2", "--duration-s", "120", "--window-s", "0", "--warmup-requests", "2", "--results-dir", dir],
      ],
      { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    cli.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    cli.stdout.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.on("close", (code, signal) => resolve({ code, signal })),
    );
    let snapshot: Proc[] = [];
    let cliGroup = 0;
    try {
      await until(`${c.framework}'s level started\n${stderr.slice(-3000)}`, 600_000, () => stderr.includes("level 1/1"));
      // The engine's own process is running the level once it is among the CLI's children.
      snapshot = await until("the load engine's process", 30_000, () => {
        const all = tree(cli.pid!, processes()).filter((p) => p.pid !== cli.pid);
        return all.some(isEngine) ? all : undefined;
      });
      await new Promise((r) => setTimeout(r, 2000));
      const all = processes();
      cliGroup = all.find((p) => p.pid === cli.pid)?.pgid ?? 0;
      snapshot = tree(cli.pid!, all).filter((p) => p.pid !== cli.pid);
    } finally {
      cli.kill("SIGKILL");
    }
    assert.equal((await exited).signal, "SIGKILL");
    const engine = snapshot.filter(isEngine);
    const guardian = snapshot.filter((p) => p.cmd.includes("guarded="));
    // The server runs in process groups of its own; the CLI's group holds the CLI's helpers (tsx's esbuild) and this test.
    const server = snapshot.filter((p) => !engine.includes(p) && !guardian.includes(p) && p.pgid !== cliGroup);
    const groups = [...new Set(server.map((p) => p.pgid))];
    assert.equal(engine.length, 1, `one engine process: ${JSON.stringify(snapshot)}`);
    assert.ok(server.length >= c.minTree, `the server's tree holds its processes: ${server.map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`).join("; ")}`);
    // Every process seen, and every process still in the server's groups (one that moved away from its parent), is gone.
    const left = await until("every process gone", 15_000, () => {
      const alive = [...living(snapshot.map((p) => p.pid)), ...processes().filter((p) => groups.includes(p.pgid) && p.state !== "Z")];
      return alive.length === 0 ? [] : false;
    }).catch(() => [...living(snapshot.map((p) => p.pid)), ...processes().filter((p) => groups.includes(p.pgid) && p.state !== "Z")]);
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.cmd.slice(0, 100)}`),
      [],
      "no process of the server's tree, no engine, no guardian left",
    );
    console.log(`${c.framework}: ${server.length} server processes, ${engine.length} engine, ${guardian.length} guardian: all gone after SIGKILL`);

    // The next start finds the run's process gone and marks it interrupted.
    const runs = await runCli(["--runs", "--results-dir", dir]);
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stderr, /run \d{8}-\d{6}-[0-9a-f]{4}: its process \(pid \d+, started [^)]+\) ended without finishing it; marked interrupted: /);
    assert.match(
      runs.stdout,
      new RegExp(`^\\d{8}-\\d{6}-[0-9a-f]{4}( \\*)?\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\s+interrupted\\s+0\\s+${MODEL}\\s+${c.framework}\\s`, "m"),
    );
    const runDir = path.join(dir, "runs", readdirSync(path.join(dir, "runs"))[0]!);
    const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(runDir, MODEL, `${c.framework}.json`), "utf8")));
    assert.equal(result.status, "interrupted");
    assert.match(result.failure ?? "", /ended without finishing the run \(killed\?\); found at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    // No finished level: latest names no run; --summary-only, with no other run to read, shows this one as interrupted.
    assert.equal(existsSync(path.join(dir, "latest")), false);
    const summary = await runCli(["--summary-only", "--results-dir", dir]);
    assert.match(summary.stdout + summary.stderr, new RegExp(`${c.framework}\\s+interrupted`));
  });
}
