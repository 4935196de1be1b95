// The embedded engine, parent side: one Node process per level (child.ts), pinned to the client
// CPUs as k6 would be, so that its CPU is measured apart from the orchestrator's and the server's.
// Its figures and live samples come over Node's IPC channel; what it prints goes to the level's log.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { withAffinity } from "../../platform/affinity.ts";
import { nodeArgsFor } from "../../platform/bundle.ts";
import { log as terminal } from "../../platform/log.ts";
import { guard, release } from "../../platform/reaper.ts";
import { ROOT } from "../../platform/paths.ts";
import { writeFileAtomic } from "../../store/atomic.ts";
import type { LevelOutcome, LevelSpec } from "../../plan/level-spec.ts";
import type { EngineHooks, LoadEngine } from "../load-engine.ts";
import { crashMessage } from "../crash.ts";
import type { FromChild, ToChild } from "./messages.ts";

const CHILD = "orchestrator/level/embedded/child.ts";
/** How to start the engine's process: see platform/bundle.ts. */
export const childCommand = (root = ROOT): string[] => nodeArgsFor(root, CHILD, "build/engine-child.js");

/** The suite's version with the Node it runs on and its HTTP client (http1.ts): what "embedded" means in a result. */
export function embeddedVersion(): string {
  const require = createRequire(import.meta.url);
  const suite = (require(path.join(ROOT, "package.json")) as { version: string }).version;
  return `${suite} (Node ${process.version}, http1 client)`;
}

export class EmbeddedEngine implements LoadEngine {
  readonly name = "embedded" as const;
  readonly version = embeddedVersion();

  runLevel(spec: LevelSpec, hooks: EngineHooks, stop: AbortSignal): Promise<LevelOutcome> {
    mkdirSync(path.dirname(spec.files.log), { recursive: true });
    const log = createWriteStream(spec.files.log, { flags: "w" });
    log.write(
      `embedded engine ${this.version}: ${spec.tags.framework} ${spec.load.mode === "closed" ? `${spec.load.vus} VUs` : `${spec.load.rateRps} req/s (${spec.load.arrivals})`} for ${spec.durationS}s against ${spec.url}\n`,
    );
    const [command, args] = withAffinity(process.execPath, childCommand(), spec.cpus);
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let tail = "";
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-8192);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const send = (m: ToChild) => child.connected && child.send(m);
    const onStop = () => send({ type: "stop" });
    return new Promise<LevelOutcome>((resolve, reject) => {
      let outcome: LevelOutcome | null = null;
      let failure: string | null = null;
      child.on("message", (m: FromChild) => {
        if (m.type === "sample") hooks.onSample(m.sample);
        else if (m.type === "window") hooks.onWindow(m.window);
        else if (m.type === "first-error") {
          const line = `first "${m.kind}" at ${(m.t_ms / 1000).toFixed(1)} s: ${m.detail.replace(/\s+/g, " ").slice(0, 200)} (repeats are counted in the level's errors_by_kind)`;
          log.write(`${line}\n`);
          terminal.plain(`    [engine] ${line}`);
          hooks.onFirstError?.(m.kind, m.detail, m.t_ms);
        } else if (m.type === "outcome") outcome = m.outcome;
        else failure = m.message;
      });
      child.on("spawn", () => {
        if (child.pid !== undefined) {
          // It exits when the IPC channel closes; should it not, the guardian kills it (platform/reaper.ts).
          guard({ pid: child.pid });
          hooks.onStart(child.pid);
        }
        send({ type: "run", spec, version: this.version });
        if (stop.aborted) onStop();
        else stop.addEventListener("abort", onStop, { once: true });
      });
      child.on("error", (err) => reject(new Error(`cannot start the embedded engine: ${err.message}`)));
      child.on("close", (code, signal) => {
        if (child.pid !== undefined) release({ pid: child.pid });
        stop.removeEventListener("abort", onStop);
        // The whole of a failure is in the level's log; the console and the result get a few lines.
        log.end(`${failure && !outcome ? `${failure}\n` : ""}${describeOutcome(outcome)}; exit ${signal ?? code}\n`);
        if (outcome) {
          writeFileAtomic(spec.files.summary, `${JSON.stringify(outcome, null, 1)}\n`);
          return resolve(outcome);
        }
        const why = failure ?? `exited with ${signal ?? `code ${code}`} and no figures`;
        reject(new Error(crashMessage(`embedded engine failed: ${why}`, `${failure ? failure.split("\n").slice(1).join("\n") : ""}\n${tail}`, spec.files.log)));
      });
    });
  }
}

/** The level's last line in its log: counts, and errors by kind. */
function describeOutcome(o: LevelOutcome | null): string {
  if (!o) return "no figures";
  const kinds = Object.entries(o.errorsByKind).map(([k, n]) => `${n} ${k}`);
  return `requests ${o.requests} in ${o.durationS} s, ok ${o.ok}, errors ${o.errors}${kinds.length ? ` (${kinds.join(", ")})` : ""}`;
}
