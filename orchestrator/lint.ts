// Lints the suite's Python with ruff (pinned in orchestrator/pytools/dev-requirements.txt).
import path from "node:path";
import { log } from "./log.ts";
import { ROOT } from "./paths.ts";
import { runCommand } from "./proc.ts";
import { ensureVenv } from "./toolchain/python.ts";

const venv = await ensureVenv("dev-tools", path.join(ROOT, "orchestrator", "pytools", "dev-requirements.txt"));
const ruff = path.join(venv.dir, "bin", "ruff");
try {
  await runCommand(ruff, ["check", "servers", "orchestrator/pytools", "tests"], { cwd: ROOT, stream: "" });
  await runCommand(ruff, ["format", "--check", "servers", "orchestrator/pytools", "tests"], { cwd: ROOT, stream: "" });
  log.step("ruff: clean");
} catch (err) {
  log.error((err as Error).message);
  process.exit(1);
}
