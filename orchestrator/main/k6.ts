// `npm run k6 -- <k6 arguments>`: the k6 you installed (K6_BIN or PATH), for ad hoc runs such as
// `npm run k6 -- run build/embed.js -e BASE_URL=http://127.0.0.1:8000`. The suite never fetches
// k6; without one this says how to install it and exits 2 (npm run load needs none).
import { spawn } from "node:child_process";
import { runMain } from "../platform/errors.ts";
import { requireK6 } from "../level/k6/find.ts";
import { log } from "../platform/log.ts";
import { guard, release } from "../platform/reaper.ts";

runMain(async (argv) => {
  const k6 = requireK6("npm run k6 (npm run load runs the embedded engine without it)");
  log.step(`k6 ${k6.version} (${k6.source}: ${k6.path})`);
  // k6 shares the terminal: Ctrl-C reaches it directly and it ends its test with a summary.
  const child = spawn(k6.path, argv, { stdio: "inherit", env: { K6_NO_USAGE_REPORT: "true", ...process.env } });
  // and dies with this process, however it ends (platform/reaper.ts)
  if (child.pid !== undefined) guard({ pid: child.pid });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (child.pid !== undefined) release({ pid: child.pid });
      resolve(code ?? 1);
    });
  });
});
