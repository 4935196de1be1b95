// Lints every language of the suite: TypeScript with Biome (format at 160 columns and lint, biome.json)
// and dependency-cruiser (imports run one way between the orchestrator's rooms,
// .dependency-cruiser.cjs); Python with ruff (pinned in scripts/dev-requirements.txt); the Rust
// crates with clippy (-D warnings). C++ needs no step here: its build uses -Wall -Wextra -Werror.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { log } from "../orchestrator/platform/log.ts";
import { cacheDir, ROOT } from "../orchestrator/platform/paths.ts";
import { runCommand } from "../orchestrator/platform/proc.ts";
import { ensureVenv } from "../orchestrator/toolchain/python.ts";

const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
try {
  await runCommand(bin("biome"), ["ci", "--colors=off", "."], { cwd: ROOT, stream: "" });
  log.step("biome: clean");
  await runCommand(bin("depcruise"), ["orchestrator", "scenario", "k6", "--config", ".dependency-cruiser.cjs", "--output-type", "err"], {
    cwd: ROOT,
    stream: "",
  });
  log.step("dependency-cruiser: imports run one way");
  const venv = await ensureVenv("dev-tools", path.join(ROOT, "scripts", "dev-requirements.txt"));
  const ruff = path.join(venv.dir, "bin", "ruff");
  await runCommand(ruff, ["check", "servers", "orchestrator/models/pipeline", "orchestrator/models/quantize", "tests"], { cwd: ROOT, stream: "" });
  await runCommand(ruff, ["format", "--check", "servers", "orchestrator/models/pipeline", "orchestrator/models/quantize", "tests"], { cwd: ROOT, stream: "" });
  log.step("ruff: clean");
  // The servers' own crates, and onnx-cpp's C ABI over tokenizers.
  const crates = [...readdirSync(path.join(ROOT, "servers")).filter((d) => existsSync(path.join(ROOT, "servers", d, "Cargo.toml"))), "onnx-cpp/tokenizers-c"];
  // The servers' shared cargo target dir (servers/rust-common/build.sh), so dependencies are checked once.
  const env = { ...process.env, CARGO_TARGET_DIR: path.join(cacheDir(), "cargo-target") };
  for (const crate of crates) {
    await runCommand("cargo", ["clippy", "--quiet", "--locked", "--all-targets", "--", "-D", "warnings"], {
      cwd: path.join(ROOT, "servers", crate),
      env,
      stream: `  [clippy ${crate}] `,
    });
  }
  log.step(`clippy: clean (${crates.join(", ")})`);
} catch (err) {
  log.error((err as Error).message);
  process.exit(1);
}
