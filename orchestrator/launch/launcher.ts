// The one way to run a framework's server, for bench:k6, bench:overhead and the tests alike:
// prepare it, resolve its manifest's placeholders and environment, start it, wait for /health,
// stop it. Launchers are keyed by a literal type (process, docker), so adding one is a compile
// error until every case is handled.
import type { LauncherSettings } from "../plan/bench-options.ts";
import type { DiscoveredServer } from "../plan/config.ts";
import type { LauncherKind } from "../results/schema.ts";
import { freePort, requestJson, type JsonReply } from "../platform/http.ts";
import { runCommand } from "../platform/proc.ts";
import type { LaunchInfo } from "../results/schema.ts";
import { formatCpuList, withAffinity } from "../platform/affinity.ts";
import { startContainer } from "./docker.ts";
import { prepareServer, substitute, type Vars } from "./build-server.ts";
import { startProcess, type ServerProcess } from "./process.ts";

export interface LaunchRequest {
  server: DiscoveredServer;
  modelDir: string;
  /** Where the server's stdout and stderr go. */
  logFile: string;
  /** Passed as the manifest's threads variable when set; otherwise the server picks its default. */
  threads?: number;
  /** Passed as the manifest's workers variable (model calls at once) when set. */
  workers?: number;
  /** Environment after the manifest's own (tests' settings, a broken MODEL_DIR, …). */
  env?: Record<string, string>;
  /** CPUs the server's process tree may use (kernel affinity); null or absent = every CPU. */
  cpus?: readonly number[] | null;
  /** Default: a local process. */
  launcher?: LauncherSettings;
  signal?: AbortSignal;
}

export interface LaunchedServer extends ServerProcess {
  url: string;
  /** The server's Prometheus metrics: its manifest's metrics.path, on its own port or on the one metrics.port_env gave it. */
  metricsUrl: string;
  /** The manifest's readiness route under `url`. */
  healthUrl: string;
  /** The manifest's placeholder values, e.g. for its ceiling command. */
  vars: Vars;
  /** How it runs, as the result records it. */
  launch: LaunchInfo;
}

type Started = { proc: ServerProcess; vars: Vars; launch: LaunchInfo };
/** The loopback ports the server is reached on: its API's, and its metrics' where its manifest asks for one (metrics.port_env). */
export interface Ports {
  port: number;
  metricsPort: number | null;
}
type Launcher<K extends LauncherKind> = (req: LaunchRequest, settings: Extract<LauncherSettings, { kind: K }>, ports: Ports) => Promise<Started>;

const launchers = {
  process: async (req, _settings, ports) => {
    const vars = await prepareServer(req.server, req.modelDir, req.signal);
    req.signal?.throwIfAborted();
    const [cmd, ...rest] = manifestCommand(req.server.manifest.start.command, vars);
    const [command, args] = withAffinity(cmd!, rest, req.cpus ?? null);
    const proc = startProcess({ command, args, cwd: req.server.dir, env: serverEnv(req, vars, ports), logFile: req.logFile });
    return {
      proc,
      vars,
      launch: { launcher: "process", image: null, image_id: null, cpuset: req.cpus ? formatCpuList(req.cpus) : null, memory_limit_mb: null },
    };
  },
  // The image brings its own build: nothing is prepared on the host.
  docker: async (req, settings, ports) => {
    const { proc, launch } = await startContainer({
      ...req,
      hostPort: ports.port,
      metricsHostPort: ports.metricsPort,
      cpus: req.cpus ?? null,
      memoryMb: settings.memoryMb,
    });
    return { proc, vars: { model_dir: req.modelDir }, launch };
  },
} satisfies { [K in LauncherKind]: Launcher<K> };

export function manifestCommand(command: readonly string[], vars: Vars): string[] {
  return command.map((c) => substitute(c, vars));
}

/** The environment a framework runs in: the contract's variables, then its manifest's, then the caller's. */
export function manifestEnv(
  server: DiscoveredServer,
  vars: Vars,
  o: { threads?: number; workers?: number; env?: Record<string, string> } = {},
): NodeJS.ProcessEnv {
  const m = server.manifest;
  return {
    ...process.env,
    MODEL_DIR: vars["model_dir"],
    PYTHONUNBUFFERED: "1",
    ...Object.fromEntries(Object.entries(m.start.env).map(([k, v]) => [k, substitute(v, vars)])),
    ...(o.threads !== undefined ? { [m.threads_env]: String(o.threads) } : {}),
    ...(o.workers !== undefined ? { [m.workers_env]: String(o.workers) } : {}),
    ...o.env,
  };
}

function serverEnv(req: LaunchRequest, vars: Vars, ports: Ports): NodeJS.ProcessEnv {
  const metricsEnv = req.server.manifest.metrics.port_env;
  return {
    ...manifestEnv(req.server, vars, req),
    HOST: "127.0.0.1",
    PORT: String(ports.port),
    ...(metricsEnv !== undefined && ports.metricsPort !== null ? { [metricsEnv]: String(ports.metricsPort) } : {}),
    ...req.env,
  };
}

/** Free loopback ports for the server: its own, and a second, different one when its manifest names metrics.port_env. */
async function freePorts(server: DiscoveredServer): Promise<Ports> {
  const port = await freePort();
  if (server.manifest.metrics.port_env === undefined) return { port, metricsPort: null };
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  return { port, metricsPort };
}

/** Prepares (cached) and starts the server on a free loopback port; does not wait for /health. */
export async function launchServer(req: LaunchRequest): Promise<LaunchedServer> {
  const settings = req.launcher ?? { kind: "process" };
  const ports = await freePorts(req.server);
  const start = launchers[settings.kind] as Launcher<typeof settings.kind>;
  const { proc, vars, launch } = await start(req, settings as never, ports);
  const url = `http://127.0.0.1:${ports.port}`;
  const metricsUrl = `http://127.0.0.1:${ports.metricsPort ?? ports.port}${req.server.manifest.metrics.path}`;
  return Object.assign(proc, { url, healthUrl: `${url}${req.server.manifest.health_path}`, metricsUrl, vars, launch });
}

export interface HealthOptions {
  timeoutS: number;
  signal?: AbortSignal;
  /** Every answer before the first 200 (the conformance suite checks them against the contract). */
  onAnswer?: (reply: JsonReply) => void;
}

/**
 * Polls the manifest's health route (GET /health unless it names another) until 200. Fails at once when the process exits or reports that its model
 * failed to load, and after `timeoutS` with the last answer and the server's log tail.
 */
export async function waitForHealth(server: LaunchedServer, o: HealthOptions): Promise<void> {
  const deadline = performance.now() + o.timeoutS * 1000;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    o.signal?.throwIfAborted();
    if (server.hasExited()) {
      const { code, signal } = await server.exited;
      throw new Error(`server exited before it was healthy (${signal ?? `exit ${code}`})\n${server.logTail()}`);
    }
    const reply = await requestJson(server.healthUrl, { timeoutMs: 2000 }).catch((err: Error) => err);
    if (!(reply instanceof Error)) {
      if (reply.status === 200) return;
      o.onAnswer?.(reply);
      last = `HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`;
      const body = reply.body as { status?: string; error?: string } | null;
      if (body?.status === "failed") throw new Error(`server reports model load failure: ${body.error ?? last}`);
    } else {
      last = reply.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${new URL(server.healthUrl).pathname} not 200 after ${o.timeoutS}s (last: ${last})\n${server.logTail()}`);
}

export interface CeilingRequest {
  server: DiscoveredServer;
  modelDir: string;
  textsFile: string;
  concurrency: number;
  durationS: number;
  threads?: number;
  workers?: number;
  env?: Record<string, string>;
  /** The server's CPUs, so the in-process ceiling runs where the server ran. */
  cpus?: readonly number[] | null;
  signal?: AbortSignal;
}

/**
 * Runs the manifest's in-process ceiling command in the server's own environment, so the runtime is
 * configured exactly as when it serves; returns its stdout.
 */
export async function runCeilingCommand(req: CeilingRequest): Promise<string> {
  const ceiling = req.server.manifest.ceiling;
  if (!ceiling) throw new Error(`${req.server.manifestPath}: no ceiling command`);
  const prepared = await prepareServer(req.server, req.modelDir, req.signal);
  const vars = { ...prepared, texts_file: req.textsFile, concurrency: String(req.concurrency), duration_s: String(req.durationS) };
  const [cmd, ...rest] = manifestCommand(ceiling.command, vars);
  const [command, args] = withAffinity(cmd!, rest, req.cpus ?? null);
  return runCommand(command, args, { cwd: req.server.dir, env: manifestEnv(req.server, vars, req), ...(req.signal ? { signal: req.signal } : {}) });
}

/** launchServer, then waitForHealth; a server that never gets healthy is stopped before the error is thrown. */
export async function startHealthyServer(req: LaunchRequest, health: Omit<HealthOptions, "signal">, stopTimeoutS = 5): Promise<LaunchedServer> {
  const server = await launchServer(req);
  try {
    await waitForHealth(server, { ...health, ...(req.signal ? { signal: req.signal } : {}) });
    return server;
  } catch (err) {
    await server.stop(stopTimeoutS);
    throw err;
  }
}
