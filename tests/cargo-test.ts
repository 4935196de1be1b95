// What the tools tier's `cargo test` files share: a crate's Rust tests, run in release in the
// servers' shared cargo target dir, so the dependencies are the ones the servers' release builds
// compile anyway and the tests add no second (debug) build of them.
import path from "node:path";
import { cacheDir } from "../orchestrator/platform/paths.ts";
import { runCommand } from "../orchestrator/platform/proc.ts";

/** Runs `cargo test` in `crateDir`; returns how many tests passed, with the output's end for a failed assertion. */
export async function cargoTestsPassed(crateDir: string): Promise<{ passed: number; tail: string }> {
  const out = await runCommand("cargo", ["test", "--release", "--locked"], {
    cwd: crateDir,
    env: { ...process.env, CARGO_TARGET_DIR: path.join(cacheDir(), "cargo-target") },
  });
  const passed = [...out.matchAll(/test result: ok\. (\d+) passed; 0 failed/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { passed, tail: out.slice(-2000) };
}
