// Starts a framework server from its manifest the way the orchestrator does (prepare: venv or cached
// native build; start command; environment), for tests that talk to one server directly.
import assert from "node:assert/strict";
import path from "node:path";
import type { DiscoveredServer } from "../../orchestrator/config/load.ts";
import { freePort } from "../../orchestrator/http.ts";
import { prepareServer, substitute } from "../../orchestrator/launch/prepare.ts";
import { startProcess, type ServerProcess } from "../../orchestrator/launch/process.ts";
import type { PreparedModel } from "../../orchestrator/models/prepare.ts";
import { cacheDir, ROOT } from "../../orchestrator/paths.ts";
import { tempDir } from "./helpers.ts";

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.body === undefined ? init.headers : { "content-type": "application/json", ...init.headers },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface RunningServer {
  base: string;
  proc: ServerProcess;
  /** Every /health answer received before the first 200. */
  preHealth: Reply[];
}

/** Prepares and starts `server` on a free port and waits until /health answers 200. */
export async function startServer(server: DiscoveredServer, model: PreparedModel, healthTimeoutMs: number, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const m = server.manifest;
  const vars = await prepareServer(server, { server_dir: server.dir, model_dir: model.dir, cache_dir: cacheDir(), root: ROOT });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [cmd, ...args] = m.start.command.map((c) => substitute(c, vars));
  const proc = startProcess({
    command: cmd!,
    args,
    cwd: server.dir,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      MODEL_DIR: model.dir,
      PYTHONUNBUFFERED: "1",
      ...Object.fromEntries(Object.entries(m.start.env).map(([k, v]) => [k, substitute(v, vars)])),
      ...extraEnv,
    },
    logFile: path.join(tempDir(`server-${m.name}`), "server.log"),
  });
  const preHealth: Reply[] = [];
  const deadline = performance.now() + healthTimeoutMs;
  for (;;) {
    if (proc.hasExited()) assert.fail(`${m.name} exited before it was healthy\n${proc.logTail()}`);
    if (performance.now() > deadline) {
      await proc.stop(5);
      assert.fail(`${m.name}: /health not 200 within ${healthTimeoutMs} ms\n${proc.logTail()}`);
    }
    const r = await call(`${base}/health`).catch(() => undefined);
    if (r?.status === 200) break;
    if (r) preHealth.push(r);
    await new Promise((res) => setTimeout(res, 100));
  }
  return { base, proc, preHealth };
}
