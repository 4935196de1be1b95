// Starts a framework server as a local process in its own process group, so that stopping it
// stops everything it spawned (uvicorn workers, helper processes): no orphans. The group is guarded
// (platform/reaper.ts): should this process die without stopping it, SIGKILL included, the whole
// group is killed.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { log } from "../platform/log.ts";
import { guard, release } from "../platform/reaper.ts";
import type { UsageSource } from "../platform/procfs.ts";

export interface ServerProcess {
  pid: number;
  /** performance.now() when the process was spawned. */
  startedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** Last lines the server printed, for error messages. */
  logTail(lines?: number): string;
  /** Where the resource monitor reads its CPU and memory: the process tree, or the engine's stats. */
  usage: UsageSource;
  stop(timeoutS: number): Promise<void>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

export interface StartOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

export function startProcess(opts: StartOptions): ServerProcess {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const logStream = createWriteStream(opts.logFile, { flags: "w" });
  const startedAt = performance.now();
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // new process group: the terminal's Ctrl-C reaches the orchestrator, which stops the group
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid !== undefined) guard({ group: child.pid });
  let tail = "";
  const onData = (chunk: Buffer) => {
    logStream.write(chunk);
    tail = (tail + chunk.toString()).slice(-16384);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  // A forced exit (second Ctrl-C, process.exit) skips every await: kill the group synchronously then.
  const killOnExit = () => child.pid !== undefined && killGroup(child.pid, "SIGKILL");
  process.on("exit", killOnExit);
  let exited = false;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("error", (err) => {
      tail += `\n[embedding-bench] cannot start ${opts.command}: ${err.message}\n`;
      exited = true;
      resolve({ code: null, signal: null });
    });
    child.on("exit", (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  void exitedPromise.then(() => logStream.end());

  return {
    pid: child.pid ?? -1,
    startedAt,
    usage: child.pid ?? -1,
    exited: exitedPromise,
    hasExited: () => exited,
    logTail: (lines = 30) => tail.trim().split("\n").slice(-lines).join("\n"),
    async stop(timeoutS: number) {
      process.off("exit", killOnExit);
      if (child.pid === undefined) return;
      if (!exited) killGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        log.warn(`server pid ${child.pid} ignored SIGTERM for ${timeoutS}s; sending SIGKILL`);
        killGroup(child.pid!, "SIGKILL");
      }, timeoutS * 1000);
      await exitedPromise;
      clearTimeout(timer);
      // Children that outlived the leader are still in the group.
      killGroup(child.pid, "SIGKILL");
      release({ group: child.pid });
    },
  };
}
