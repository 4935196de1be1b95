import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { log } from "../log.ts";
import { cacheDir } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { K6_MODULE, K6_VERSION } from "./versions.ts";
import { UserError } from "../errors.ts";

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

function onPath(name: string, searchPath = process.env["PATH"] ?? ""): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export function cachedK6Path(): string {
  return path.join(cacheDir(), "k6", K6_VERSION, "k6");
}

/**
 * Finds k6: K6_BIN, then PATH, then the suite's cache; builds the pinned version from Go modules
 * into the cache when none is found.
 */
export async function ensureK6(): Promise<K6Binary> {
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
  return { path: await buildK6(cached), version: K6_VERSION, source: "built" };
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

async function buildK6(target: string): Promise<string> {
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
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  const version = k6Version(target);
  if (!version) throw new UserError(`built k6 at ${target} does not run`);
  log.step(`k6 ${version} ready at ${target}`);
  return target;
}
