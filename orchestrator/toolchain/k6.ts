import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.ts";
import { onPath } from "../launch/system.ts";
import { log } from "../log.ts";
import { cacheDir } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { K6_MODULE, K6_VERSION } from "./versions.ts";

export interface K6Binary {
  path: string;
  version: string;
  source: "K6_BIN" | "PATH" | "cache" | "built";
}

/** Returns `k6 vX.Y.Z` from `k6 version`, or null if the file is not a working k6. */
export function k6Version(bin: string): string | null {
  try {
    const out = execFileSync(bin, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 20000 });
    const m = /k6 (v\d+\.\d+\.\d+\S*)/.exec(out);
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

export function cachedK6Path(): string {
  return path.join(cacheDir(), "k6", K6_VERSION, "k6");
}

/**
 * Finds k6: K6_BIN, then PATH, then the suite's cache; builds the pinned version from Go modules
 * into the cache when none is found.
 */
export async function ensureK6(signal?: AbortSignal): Promise<K6Binary> {
  const found = findK6();
  return found ?? { path: await buildK6(cachedK6Path(), signal), version: K6_VERSION, source: "built" };
}

/** The k6 that ensureK6 would use, without building one; null when none is there yet. */
export function findK6(): K6Binary | null {
  const fromEnv = process.env["K6_BIN"];
  if (fromEnv) {
    const version = k6Version(fromEnv);
    if (!version) throw new UserError(`K6_BIN=${fromEnv} is not a working k6 binary ('${fromEnv} version' failed)`);
    return { path: fromEnv, version, source: "K6_BIN" };
  }
  const inPath = onPath("k6");
  if (inPath) {
    const version = k6Version(inPath);
    if (version) return { path: inPath, version, source: "PATH" };
    log.warn(`ignoring ${inPath}: not a working k6 (npm's 'k6' package is a placeholder)`);
  }
  const cached = cachedK6Path();
  if (existsSync(cached)) {
    const version = k6Version(cached);
    if (version) return { path: cached, version, source: "cache" };
  }
  return null;
}

/** Where k6 is, or where it will be built, for --list. */
export function describeK6(): string {
  const found = findK6();
  if (found) return `${found.version} at ${found.path} (from ${found.source})`;
  return `not built yet; ${K6_MODULE}@${K6_VERSION} is built into ${cachedK6Path()} on first use`;
}

/** Go on PATH, else in its usual install location (often missing from non-login shells' PATH). */
export function findGo(searchPath: string, fallbacks: readonly string[] = ["/usr/local/go/bin/go"]): string | null {
  return onPath("go", searchPath) ?? fallbacks.find((f) => existsSync(f)) ?? null;
}

export function missingGoMessage(target: string): string {
  return (
    `k6 not found (checked K6_BIN, PATH and ${target}) and Go is not installed to build it.\n` +
    `Install Go >= 1.24 (https://go.dev/dl/) or a k6 binary, or set K6_BIN=/path/to/k6. The suite builds ${K6_MODULE}@${K6_VERSION}.`
  );
}

async function buildK6(target: string, signal?: AbortSignal): Promise<string> {
  const go = findGo(process.env["PATH"] ?? "");
  if (!go) throw new UserError(missingGoMessage(target));
  const dir = path.dirname(target);
  const staging = `${dir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log.step(`building k6 ${K6_VERSION} from Go modules into ${dir} (once; takes a few minutes on 2 cores)`);
  await runCommand(go, ["install", `${K6_MODULE}@${K6_VERSION}`], {
    env: { ...process.env, GOBIN: staging, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
    stream: "  [go] ",
    signal,
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  const version = k6Version(target);
  if (!version) throw new UserError(`built k6 at ${target} does not run`);
  log.step(`k6 ${version} ready at ${target}`);
  return target;
}
