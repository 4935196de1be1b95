// The container engine of the end-to-end tests: a Docker-API engine at DOCKER_HOST, or, when it is
// unset, podman's `podman system service` started for the tests and stopped after them. No image registry is reachable here, so images are
// built from what the machine has: a Debian bookworm root file system made once with debootstrap
// from Debian's mirror (cached as a tarball under the suite's cache) and imported as the base, plus
// a framework's host-built artefacts on top, or a Python Dockerfile's real build on a stand-in for
// python:3.12-slim made from that base (ensurePythonBase).
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { connectEngine, engineAddress } from "../../orchestrator/launch/docker.ts";
import { cacheDir } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";

export const BASE_IMAGE = { repo: "embedding-bench/debian-base", tag: "bookworm" };
const BASE_REF = `${BASE_IMAGE.repo}:${BASE_IMAGE.tag}`;
const MIRROR = process.env["EMBEDDING_BENCH_DEBIAN_MIRROR"] ?? "http://deb.debian.org/debian";

/** A throwaway `podman system service` on a socket of its own, started when DOCKER_HOST is unset. */
export interface Engine {
  docker: Docker;
  stop(): Promise<void>;
}

// runc and no default ulimits: crun and podman's default ulimits fail on these machines (setrlimit
// not permitted). CONTAINERS_CONF points podman at this file alone, so the host's config is untouched.
const CONTAINERS_CONF = '[engine]\nruntime = "runc"\n\n[containers]\ndefault_ulimits = []\n';

async function startPodmanService(): Promise<() => Promise<void>> {
  const dir = tempDir("podman");
  const conf = path.join(dir, "containers.conf");
  writeFileSync(conf, CONTAINERS_CONF);
  const socket = path.join(dir, "podman.sock");
  const logFile = path.join(dir, "podman.log");
  const out = openSync(logFile, "a");
  const child = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
    stdio: ["ignore", out, out],
    env: { ...process.env, CONTAINERS_CONF: conf },
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.on("error", () => {});
  const deadline = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || child.pid === undefined || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(
        `podman system service did not create ${socket} (is podman installed? it is in tests/apt-packages.txt):\n${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // The orchestrator's children inherit it: the docker launcher reads DOCKER_HOST.
  process.env["DOCKER_HOST"] = `unix://${socket}`;
  return async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    delete process.env["DOCKER_HOST"];
  };
}

/** The engine at DOCKER_HOST, or podman's service started for these tests: the container tests never skip. */
export async function engine(): Promise<Engine> {
  const stop = process.env["DOCKER_HOST"] === undefined ? await startPodmanService() : async () => {};
  try {
    return { docker: await connectEngine(), stop };
  } catch (err) {
    await stop();
    throw new Error(`the container tests need a Docker API engine at ${engineAddress()}; see README "Containers"\n${(err as Error).message}`);
  }
}

const missing = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

/** debootstrap's minbase bookworm as a tarball, made once (about 2 minutes, 120 MB). */
function debianRootfsTar(): string {
  const tar = path.join(cacheDir(), "containers", "debian-bookworm-minbase.tar");
  if (existsSync(tar)) return tar;
  mkdirSync(path.dirname(tar), { recursive: true });
  const root = tempDir("rootfs");
  execFileSync("debootstrap", ["--variant=minbase", "bookworm", root, MIRROR], { stdio: "inherit" });
  // Package downloads and lists are not needed in an image that installs nothing.
  rmSync(path.join(root, "var", "cache", "apt", "archives"), { recursive: true, force: true });
  rmSync(path.join(root, "var", "lib", "apt", "lists"), { recursive: true, force: true });
  execFileSync("tar", ["-C", root, "-cf", `${tar}.tmp`, "."]);
  renameSync(`${tar}.tmp`, tar);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

/** The base image in the engine: imported from the cached root file system when missing. */
export async function ensureDebianBase(docker: Docker): Promise<string> {
  const found = await docker
    .getImage(BASE_REF)
    .inspect()
    .catch((err: unknown) => (missing(err) ? null : Promise.reject(err)));
  if (found) return BASE_REF;
  const stream = await docker.importImage(debianRootfsTar(), {});
  const events = await new Promise<{ status?: string; error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { status?: string; error?: string }[]) => (err ? reject(err) : resolve(out))),
  );
  const id = events.map((e) => e.status ?? "").find((s) => /^sha256:[0-9a-f]{64}$/.test(s));
  if (!id) throw new Error(`importing the Debian base image gave no image id: ${JSON.stringify(events).slice(0, 500)}`);
  await docker.getImage(id).tag(BASE_IMAGE);
  return BASE_REF;
}

/** Builds `ref` from a Dockerfile and files copied into a fresh context folder. */
export async function buildImage(docker: Docker, ref: string, dockerfile: string, files: Record<string, string>): Promise<string> {
  const context = tempDir("image");
  writeFileSync(path.join(context, "Dockerfile"), dockerfile);
  for (const [name, from] of Object.entries(files)) copyFileSync(from, path.join(context, name));
  const stream = await docker.buildImage({ context, src: ["Dockerfile", ...Object.keys(files)] }, { t: ref });
  const events = await new Promise<{ stream?: string; error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { stream?: string; error?: string }[]) => (err ? reject(err) : resolve(out))),
  );
  rmSync(context, { recursive: true, force: true });
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`building ${ref} failed: ${failed.error}\n${events.map((e) => e.stream ?? "").join("")}`);
  return (await docker.getImage(ref).inspect()).Id;
}

/** Containers this suite created (its label), optionally only those of one orchestrator process. */
export async function suiteContainers(docker: Docker, ownerPid?: number): Promise<Docker.ContainerInfo[]> {
  const all = await docker.listContainers({ all: true, filters: { label: ["embedding-bench.owner"] } });
  return ownerPid === undefined ? all : all.filter((c) => c.Labels["embedding-bench.owner"]?.endsWith(`/${ownerPid}`));
}

/** The public base of the Python servers' Dockerfiles (`FROM python:3.12-slim`). */
export const PYTHON_BASE = "python:3.12-slim";
export const STAND_IN_LABEL = "embedding-bench.stand-in";

/**
 * A local stand-in for python:3.12-slim, so that the Python servers' real Dockerfiles build here
 * without an image registry: Debian 12's Python 3.11 and pip, on the Debian base above, standing in
 * for python:3.12-slim, and labelled so (`embedding-bench.stand-in`). `python` is on PATH (Debian's
 * python-is-python3) and pip may install into the system Python (PIP_BREAK_SYSTEM_PACKAGES, which
 * the public image needs not). The engine normalises the tag to docker.io/library/python:3.12-slim,
 * which is what `FROM python:3.12-slim` resolves to locally, so the build does not pull. An image
 * the engine already has under that name (a real python:3.12-slim) is used as it is, never replaced.
 * Returns whether the image in the engine is the stand-in.
 */
export async function ensurePythonBase(docker: Docker): Promise<{ standIn: boolean }> {
  const found = await docker
    .getImage(PYTHON_BASE)
    .inspect()
    .catch((err: unknown) => (missing(err) ? null : Promise.reject(err)));
  if (found) return { standIn: found.Config.Labels?.[STAND_IN_LABEL] !== undefined };
  const dockerfile = [
    `FROM ${await ensureDebianBase(docker)}`,
    `LABEL ${STAND_IN_LABEL}="Debian 12's Python 3.11 standing in for python:3.12-slim (embedding-bench tests, no image registry)"`,
    "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python-is-python3 ca-certificates && rm -rf /var/lib/apt/lists/*",
    // The host's trust store: where HTTPS leaves through a proxy with its own CA, pip in the builds
    // on this image must trust what the host trusts.
    "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
    "ENV PIP_BREAK_SYSTEM_PACKAGES=1",
    "",
  ].join("\n");
  await buildImage(docker, PYTHON_BASE, dockerfile, { "ca-certificates.crt": process.env["SSL_CERT_FILE"] ?? "/etc/ssl/certs/ca-certificates.crt" });
  return { standIn: true };
}
