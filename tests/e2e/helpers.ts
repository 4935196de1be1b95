// Shared helpers of the end-to-end tests: they drive the real CLI, the embedded load engine, real servers.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliArgs } from "../../orchestrator/platform/bundle.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { resolveRun } from "../../orchestrator/store/history.ts";
import { ResultsStore } from "../../orchestrator/store/folders.ts";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `eb-${prefix}-`));
}

/**
 * Runs `orchestrator/main/bench.ts …` (or another entry point, e.g. orchestrator/main/compare.ts; its bundle when fresh, see platform/bundle.ts); `onStderr`
 * sees progress lines as they come (e.g. to send Ctrl-C).
 */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; timeoutMs?: number; entry?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgs(ROOT, opts.entry ?? "orchestrator/main/bench.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI timed out\n${stderr.slice(-3000)}`));
    }, opts.timeoutMs ?? 600_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The folder of the newest run in a --results-dir (runs/<run_id>/, which `latest` points at). */
export function latestRun(resultsDir: string): string {
  return resolveRun(new ResultsStore(resultsDir), "latest").root;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
