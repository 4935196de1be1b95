// `npm run lint`: ruff over every Python file of the suite (servers and model tools), in a cached venv.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const r = spawnSync(tsx, [path.join(root, "orchestrator", "lint.ts")], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
