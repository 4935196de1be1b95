// The k6 a user installed, found through K6_BIN or PATH. The suite never fetches, builds, bundles or
// vendors k6 (AGPL-3.0): it runs the user's k6 as a separate program, or its own embedded engine.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { UserError } from "../../platform/errors.ts";
import { onPath } from "../../launch/system.ts";

export interface K6Binary {
  path: string;
  version: string;
  source: "K6_BIN" | "PATH";
}

/** How to get k6, from Grafana's own channels. */
export const INSTALL_K6 =
  "Install k6 from Grafana (https://grafana.com/docs/k6/latest/set-up/install-k6/): their apt or rpm repository, " +
  "Homebrew (brew install k6), winget, or the grafana/k6 container image; then put it on PATH or set K6_BIN=/path/to/k6.";

/** `k6 vX.Y.Z` from `k6 version`, or null when the file is not a working k6. */
export function k6Version(bin: string): string | null {
  try {
    const out = execFileSync(bin, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 20000 });
    const m = /k6 (v\d+\.\d+\.\d+\S*)/.exec(out);
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/**
 * The user's k6: K6_BIN (which must work), else the first `k6` on PATH that works (npm's `k6`
 * package is a placeholder); null when there is none. Nothing else is looked at: a k6 an older
 * version of the suite built into its cache is never used.
 */
export function findK6(env: NodeJS.ProcessEnv = process.env): K6Binary | null {
  const fromEnv = env["K6_BIN"];
  if (fromEnv) {
    const version = k6Version(fromEnv);
    if (!version) throw new UserError(`K6_BIN=${fromEnv} is not a working k6 ('${fromEnv} version' failed). ${INSTALL_K6}`);
    return { path: fromEnv, version, source: "K6_BIN" };
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    const candidate = dir ? onPath("k6", dir) : null;
    const version = candidate ? k6Version(candidate) : null;
    if (candidate && version) return { path: candidate, version, source: "PATH" };
  }
  return null;
}

/** The user's k6, or exit 2 with how to install it. */
export function requireK6(why: string): K6Binary {
  const k6 = findK6();
  if (!k6) throw new UserError(`${why} needs k6, and none was found (K6_BIN is unset and no k6 on PATH works). ${INSTALL_K6}`);
  return k6;
}
