// README's ad hoc use: `npm run k6 -- run build/embed.js -e BASE_URL=… -e CONCURRENCY=… -e DURATION=…`
// against a running server, with the suite's own pinned k6.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { startHealthyServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);
/** `npm run k6 -- <args>` from the repository root, as README shows it. */
const npmK6 = (args: string[]) => run("npm", ["run", "-s", "k6", "--", ...args], { cwd: ROOT, env: { ...process.env, K6_NO_USAGE_REPORT: "true" } });

test("npm run k6 -- run build/embed.js works ad hoc against a running onnx-python server", { timeout: 1_800_000 }, async () => {
  const config = loadSuiteConfig(ROOT);
  const model = await ensureModel("all-MiniLM-L6-v2", getModel(config, "all-MiniLM-L6-v2"));
  const server = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const proc = await startHealthyServer({ server, modelDir: model.dir, logFile: path.join(tempDir("adhoc"), "server.log") }, { timeoutS: config.benchmark.health_timeout_s });
  try {
    const url = proc.url;
    const { stdout, stderr } = await npmK6(["run", "build/embed.js", "-e", `BASE_URL=${url}`, "-e", "CONCURRENCY=2", "-e", "DURATION=3s", "-e", "EXPECTED_DIM=384"]);
    assert.match(stderr, /k6 v\d+\.\d+\.\d+ \((cache|built|PATH|K6_BIN): \//, "says which k6 it runs");
    assert.match(stdout, /embedding-bench adhoc concurrency_2 batch 1/);
    const m = /requests (\d+) in [\d.]+ s \([\d.]+ req\/s\), errors (\d+)/.exec(stdout);
    assert.ok(m, stdout);
    assert.ok(Number(m[1]) > 5);
    assert.equal(Number(m[2]), 0);

    // README's open-loop line: -e MODE=open -e RATE=… names the scenario by its rate.
    const open = await npmK6(["run", "build/embed.js", "-e", `BASE_URL=${url}`, "-e", "MODE=open", "-e", "RATE=10", "-e", "DURATION=3s", "-e", "EXPECTED_DIM=384"]);
    assert.match(open.stdout, /embedding-bench adhoc rate_10 batch 1/);
    const o = /requests (\d+) in [\d.]+ s \([\d.]+ req\/s\), errors (\d+)/.exec(open.stdout);
    assert.ok(o, open.stdout);
    // k6 schedules 30 starts in 3 s at 10 req/s; a start that finds its 5 VUs busy is dropped, never added.
    assert.ok(Number(o[1]) > 15 && Number(o[1]) <= 31, `10 req/s for 3 s: ${o[1]} requests`);
    assert.equal(Number(o[2]), 0);

    // A wrong expected dimension must fail the checks, and k6's exit 99 (thresholds) must come through npm.
    const wrong = await npmK6(["run", "--quiet", "build/embed.js", "-e", `BASE_URL=${url}`, "-e", "DURATION=1s", "-e", "EXPECTED_DIM=999"]).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    assert.notEqual(wrong.code, 0, "thresholds crossed");
    assert.match(wrong.stdout, /errors [1-9]/);
  } finally {
    await proc.stop(5);
  }
});
