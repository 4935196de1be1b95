// `npm run k6 -- <k6 arguments>`: the suite's own pinned k6 (built into the cache on first use),
// for ad hoc runs such as `npm run k6 -- run build/embed.js -e BASE_URL=http://127.0.0.1:8000`.
import { spawn } from "node:child_process";
import { runMain } from "./errors.ts";
import { log } from "./log.ts";
import { ensureK6 } from "./toolchain/k6.ts";

runMain(async (argv, { signal }) => {
  const k6 = await ensureK6(signal);
  log.step(`k6 ${k6.version} (${k6.source}: ${k6.path})`);
  // k6 shares the terminal: Ctrl-C reaches it directly and it ends its test with a summary.
  const child = spawn(k6.path, argv, { stdio: "inherit", env: { K6_NO_USAGE_REPORT: "true", ...process.env } });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
});
