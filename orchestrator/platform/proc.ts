import { spawn, type SpawnOptions } from "node:child_process";
import { log } from "./log.ts";
import { guard, release } from "./reaper.ts";

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix for each streamed line; when undefined, output is captured only. */
  stream?: string;
  /** Aborting it stops the command (SIGTERM). */
  signal?: AbortSignal;
}

/**
 * Runs a command to completion. Output is kept (last 64 KiB) for the error message and optionally
 * streamed line by line, so long builds show progress. The command dies with this process, however
 * it ends (platform/reaper.ts).
 */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], signal: opts.signal };
    const child = spawn(cmd, args, spawnOpts);
    const pid = child.pid;
    if (pid !== undefined) guard({ pid });
    let output = "";
    let partial = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-65536);
      if (opts.stream === undefined) return;
      partial += text;
      const lines = partial.split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) log.plain(`${opts.stream}${line}`);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", (err) => reject(new CommandError(`cannot run ${cmd}: ${err.message}`, output)));
    child.on("close", (code, signal) => {
      if (pid !== undefined) release({ pid });
      if (opts.stream !== undefined && partial.trim()) log.plain(`${opts.stream}${partial}`);
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split("\n").slice(-25).join("\n");
        reject(new CommandError(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`})\n${tail}`, output));
      }
    });
  });
}
