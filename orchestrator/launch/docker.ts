// Runs a framework's server in a container through a Docker-API engine (Docker, or podman's
// `podman system service`) at DOCKER_HOST or the default socket. The image is the manifest's
// container.image tagged with a hash of what it is built from, so changed sources mean a new image:
// used when the engine has it, else built from the manifest's Dockerfile. The container gets the
// run's server CPU set (cpuset) and a memory limit, the prepared model read-only, and its port
// published on 127.0.0.1 only. It is removed on every exit path: stop(), a failed start, and the
// orchestrator's own exit (synchronously, see removeOnExit); containers left by an orchestrator that
// was killed outright are removed by the next start on the same host.
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import type { DiscoveredServer } from "../plan/config.ts";
import { UserError } from "../platform/errors.ts";
import { hashPaths } from "../platform/hash.ts";
import { log } from "../platform/log.ts";
import type { UsageProbe, UsageReading } from "../platform/procfs.ts";
import type { LaunchInfo } from "../results/schema.ts";
import { formatCpuList } from "../platform/affinity.ts";
import type { ServerProcess } from "./process.ts";

/** The port every image's server listens on (its Dockerfile's PORT), and where the model is mounted. */
export const CONTAINER_PORT = 8000;
/** Where a server whose manifest names metrics.port_env serves its metrics inside the container. */
export const CONTAINER_METRICS_PORT = 8001;
export const CONTAINER_MODEL_DIR = "/model";
const OWNER_LABEL = "embedding-bench.owner";
const MiB = 1048576;

/** Where the engine is, for messages: what dockerode (docker-modem) connects to. */
export function engineAddress(): string {
  return process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock";
}

/** The engine, checked with a ping; a UserError says how to start one when none answers. */
export async function connectEngine(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new UserError(
      `--launcher docker: no Docker API engine answers at ${engineAddress()} (${(err as Error).message}); ` +
        "start Docker, or podman's service (podman system service --time=0 unix:///run/podman/podman.sock) and set DOCKER_HOST=unix:///run/podman/podman.sock",
    );
  }
  return docker;
}

export interface ImageSource {
  /** Repository:tag, the tag a hash of the Dockerfile and the included paths. */
  ref: string;
  /** Absolute build context. */
  context: string;
  /** Dockerfile, relative to the context. */
  dockerfile: string;
  /** What is sent to the engine: the Dockerfile and the manifest's include paths. */
  src: string[];
}

export function imageSource(server: DiscoveredServer): ImageSource {
  const spec = server.manifest.container;
  if (!spec) throw new UserError(`${server.manifestPath}: no container section, so ${server.manifest.name} cannot run with --launcher docker`);
  const context = path.resolve(server.dir, spec.context);
  const dockerfile = path.relative(context, path.resolve(server.dir, spec.dockerfile));
  const inside = (p: string) => spec.include.some((i) => p === i || p.startsWith(`${i}/`));
  const src = [...(inside(dockerfile) ? [] : [dockerfile]), ...spec.include];
  return { ref: `${spec.image}:src-${hashPaths(context, src)}`, context, dockerfile, src };
}

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

/** The image's id: the engine's copy when it has one, else built from the manifest's Dockerfile. */
export async function ensureImage(docker: Docker, server: DiscoveredServer, signal?: AbortSignal): Promise<{ ref: string; id: string }> {
  const source = imageSource(server);
  const found = await docker
    .getImage(source.ref)
    .inspect()
    .catch((err: unknown) => (isNotFound(err) ? null : Promise.reject(err)));
  if (found) return { ref: source.ref, id: found.Id };
  log.step(`${server.manifest.name}: building image ${source.ref} from ${path.join(source.context, source.dockerfile)}`);
  const stream = await docker.buildImage(
    { context: source.context, src: source.src },
    { t: source.ref, dockerfile: source.dockerfile, forcerm: true, ...(signal ? { abortSignal: signal } : {}) },
  );
  const events = await new Promise<{ stream?: string; error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: { stream?: string; error?: string }[]) => (err ? reject(err) : resolve(out)),
      (ev: { stream?: string }) => ev.stream && process.stderr.write(`  [${server.manifest.name} image] ${ev.stream.trimEnd()}\n`),
    ),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`image build of ${server.manifest.name} failed: ${failed.error}`);
  return { ref: source.ref, id: (await docker.getImage(source.ref).inspect()).Id };
}

export interface ContainerSettings {
  image: string;
  /** Loopback port on the host that the server's port is published on. */
  hostPort: number;
  /** Loopback port on the host for its metrics port, when its manifest names metrics.port_env; default none. */
  metricsHostPort?: number | null;
  /** The container's cpuset; null = every CPU. */
  cpus: readonly number[] | null;
  memoryMb: number;
  /** Prepared model folder on the host, mounted read-only. */
  modelDir: string;
  threads?: number;
  workers?: number;
  /** Environment after the contract's (tests' settings). */
  env?: Record<string, string>;
}

/**
 * The engine's create request. The environment is the contract's and the caller's only: the host's
 * environment and the manifest's start.env describe the host (its paths), the image sets its own.
 */
export function containerSpec(server: DiscoveredServer, s: ContainerSettings, owner = `${os.hostname()}/${process.pid}`): Docker.ContainerCreateOptions {
  const m = server.manifest;
  const metricsEnv = m.metrics.port_env;
  const metricsHostPort = s.metricsHostPort ?? null;
  const metrics = metricsEnv !== undefined && metricsHostPort !== null ? { env: metricsEnv, hostPort: metricsHostPort } : null;
  const env: Record<string, string> = {
    MODEL_DIR: CONTAINER_MODEL_DIR,
    HOST: "0.0.0.0",
    PORT: String(CONTAINER_PORT),
    ...(s.threads !== undefined ? { [m.threads_env]: String(s.threads) } : {}),
    ...(s.workers !== undefined ? { [m.workers_env]: String(s.workers) } : {}),
    ...(metrics ? { [metrics.env]: String(CONTAINER_METRICS_PORT) } : {}),
    ...s.env,
  };
  const port = `${CONTAINER_PORT}/tcp`;
  const published: Record<string, { HostIp: string; HostPort: string }[]> = { [port]: [{ HostIp: "127.0.0.1", HostPort: String(s.hostPort) }] };
  if (metrics) published[`${CONTAINER_METRICS_PORT}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: String(metrics.hostPort) }];
  return {
    Image: s.image,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: Object.fromEntries(Object.keys(published).map((p) => [p, {}])),
    Labels: { [OWNER_LABEL]: owner, "embedding-bench.framework": m.name },
    HostConfig: {
      ...(s.cpus !== null ? { CpusetCpus: formatCpuList(s.cpus) } : {}),
      // Swap as large as the memory: no swapping beyond the limit, which would hide it in latencies.
      Memory: s.memoryMb * MiB,
      MemorySwap: s.memoryMb * MiB,
      PortBindings: published,
      Mounts: [{ Type: "bind", Source: s.modelDir, Target: CONTAINER_MODEL_DIR, ReadOnly: true }],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    },
  };
}

export interface ContainerRequest {
  server: DiscoveredServer;
  modelDir: string;
  logFile: string;
  hostPort: number;
  metricsHostPort?: number | null;
  cpus: readonly number[] | null;
  memoryMb: number;
  threads?: number;
  workers?: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface StartedContainer {
  proc: ServerProcess;
  launch: LaunchInfo;
}

/** Builds or finds the image, then creates and starts the container; a failure after create removes it. */
export async function startContainer(req: ContainerRequest): Promise<StartedContainer> {
  const docker = await connectEngine();
  await removeOrphans(docker);
  const image = await ensureImage(docker, req.server, req.signal);
  req.signal?.throwIfAborted();
  const spec = containerSpec(req.server, { ...req, image: image.ref, modelDir: realpathSync(req.modelDir) });
  const container = await docker.createContainer(spec);
  const forget = removeOnExit(docker, container.id);
  log.step(
    `${req.server.manifest.name}: container ${container.id.slice(0, 12)} of ${image.ref} ` +
      `(CPUs ${req.cpus ? formatCpuList(req.cpus) : "all"}, memory ${req.memoryMb} MiB, engine ${engineAddress()})`,
  );
  const startedAt = performance.now();
  try {
    await container.start();
    const proc = await attach(container, req.logFile, startedAt, forget);
    const launch: LaunchInfo = {
      launcher: "docker",
      image: image.ref,
      image_id: image.id,
      cpuset: req.cpus ? formatCpuList(req.cpus) : null,
      memory_limit_mb: req.memoryMb,
    };
    return { proc, launch };
  } catch (err) {
    await remove(container);
    forget();
    throw err;
  }
}

async function remove(container: Docker.Container): Promise<void> {
  await container.remove({ force: true }).catch((err: unknown) => {
    if (!isNotFound(err)) log.warn(`could not remove container ${container.id.slice(0, 12)}: ${(err as Error).message}`);
  });
}

/** The running container as a ServerProcess: log to the file, exit from the engine's wait, usage from its stats. */
async function attach(container: Docker.Container, logFile: string, startedAt: number, forget: () => void): Promise<ServerProcess> {
  const info = await container.inspect();
  mkdirSync(path.dirname(logFile), { recursive: true });
  const logStream = createWriteStream(logFile, { flags: "w" });
  let tail = "";
  const out = new PassThrough();
  out.on("data", (chunk: Buffer) => {
    logStream.write(chunk);
    tail = (tail + chunk.toString()).slice(-16384);
  });
  const logs = await container.logs({ follow: true, stdout: true, stderr: true });
  container.modem.demuxStream(logs, out, out);
  const logsEnded = new Promise<void>((resolve) => {
    logs.on("end", resolve);
    logs.on("error", () => resolve());
    logs.on("close", resolve);
  });
  let exited = false;
  const exitedPromise = logsEnded
    .then(() => untilStopped(container))
    .then((state) => {
      exited = true;
      if (state?.OOMKilled) tail += `\n[embedding-bench] the container was killed for exceeding its memory limit\n`;
      return { code: state?.ExitCode ?? null, signal: null };
    });
  let stopped = false;
  return {
    pid: info.State.Pid,
    startedAt,
    exited: exitedPromise,
    hasExited: () => exited,
    logTail: (lines = 30) => tail.trim().split("\n").slice(-lines).join("\n"),
    usage: statsProbe(container),
    async stop(timeoutS: number) {
      if (stopped) return;
      stopped = true;
      await container.stop({ t: Math.ceil(timeoutS) }).catch(() => undefined);
      await Promise.race([logsEnded, new Promise((r) => setTimeout(r, 2000))]);
      (logs as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      logStream.end();
      await remove(container);
      forget();
    },
  };
}

/**
 * The container's state once it no longer runs (null once it is removed). Its log stream ends when
 * it stops, so this rarely polls. The engine's wait endpoint is not used: podman 4.3's busy-polls
 * and costs most of a core, which a benchmark on few cores cannot spare.
 */
async function untilStopped(container: Docker.Container): Promise<Docker.ContainerInspectInfo["State"] | null> {
  for (;;) {
    const state = await container
      .inspect()
      .then((i) => i.State)
      .catch(() => null);
    if (!state?.Running) return state;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Engine stats → monitor reading: CPU nanoseconds used so far, memory usage less inactive file cache (what `docker stats` shows). */
export function usageFromStats(stats: Docker.ContainerStats): UsageReading {
  const m = stats.memory_stats as { usage?: number; stats?: Record<string, number> };
  const cache = m.stats?.["inactive_file"] ?? m.stats?.["total_inactive_file"] ?? 0;
  const at = Date.parse(stats.read);
  return { at: Number.isFinite(at) ? at : Date.now(), cpuS: stats.cpu_stats.cpu_usage.total_usage / 1e9, rss: Math.max(0, (m.usage ?? 0) - cache) };
}

/**
 * The engine's stats, polled when the monitor asks: each call starts the next one-shot request and
 * returns the last answer, stamped with the engine's own read time.
 */
function statsProbe(container: Docker.Container): UsageProbe {
  let last: UsageReading | null = null;
  let inFlight = false;
  return {
    latest() {
      if (!inFlight) {
        inFlight = true;
        container
          .stats({ stream: false, "one-shot": true })
          .then((s) => (last = usageFromStats(s)))
          .catch(() => undefined)
          .finally(() => (inFlight = false));
      }
      return last;
    },
  };
}

// Run as `node -e` at exit, when nothing asynchronous runs any more: one DELETE to the engine.
const REMOVE_AT_EXIT = `const o = JSON.parse(process.argv[1]);
require("node:http").request({ ...o.where, method: "DELETE", path: "/containers/" + o.id + "?force=true" }).on("error", () => {}).end();`;

/**
 * A forced exit (second Ctrl-C, process.exit after a crash) skips every await: the container is
 * removed synchronously then, by a child process (engines on a Unix socket or plain TCP). Returns
 * the function that cancels this once the container is removed normally.
 */
function removeOnExit(docker: Docker, id: string): () => void {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
  const where = modem.socketPath ? { socketPath: modem.socketPath } : { host: modem.host, port: modem.port };
  const handler = () => void spawnSync(process.execPath, ["-e", REMOVE_AT_EXIT, JSON.stringify({ where, id })], { stdio: "ignore", timeout: 10_000 });
  process.on("exit", handler);
  return () => process.off("exit", handler);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Containers this suite started on this host for an orchestrator that no longer runs (killed with SIGKILL). */
async function removeOrphans(docker: Docker): Promise<void> {
  const host = `${os.hostname()}/`;
  const list = await docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  for (const c of list) {
    const owner = c.Labels[OWNER_LABEL] ?? "";
    if (!owner.startsWith(host) || alive(Number(owner.slice(host.length)))) continue;
    log.warn(`removing container ${c.Id.slice(0, 12)} (${c.Image}) left by orchestrator ${owner}, which is gone`);
    await remove(docker.getContainer(c.Id));
  }
}
