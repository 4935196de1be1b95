// The container engine of the end-to-end tests: a Docker-API engine at DOCKER_HOST (podman's
// `podman system service` in CI, see .ci/run). No image registry is reachable here, so images are
// built from what the machine has: a Debian bookworm root file system made once with debootstrap
// from Debian's mirror (cached as a tarball under the suite's cache) and imported as the base, plus
// a framework's host-built artefacts on top.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { connectEngine, engineAddress } from "../../orchestrator/launch/docker.ts";
import { cacheDir } from "../../orchestrator/paths.ts";
import { tempDir } from "./helpers.ts";

export const BASE_IMAGE = { repo: "embedding-bench/debian-base", tag: "bookworm" };
const BASE_REF = `${BASE_IMAGE.repo}:${BASE_IMAGE.tag}`;
const MIRROR = process.env["EMBEDDING_BENCH_DEBIAN_MIRROR"] ?? "http://deb.debian.org/debian";

/** The engine, or a failure that says how to start one: the container tests never skip. */
export async function engine(): Promise<Docker> {
  try {
    return await connectEngine();
  } catch (err) {
    throw new Error(`the container tests need a Docker API engine at ${engineAddress()}; see README "Containers" or .ci/run\n${(err as Error).message}`);
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
