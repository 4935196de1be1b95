// README's ad hoc use: `k6 run build/embed.js -e BASE_URL=… -e CONCURRENCY=… -e DURATION=…` against a running server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { getModel, loadSuiteConfig } from "../../orchestrator/config/load.ts";
import { freePort, requestJson } from "../../orchestrator/http.ts";
import { prepareServer } from "../../orchestrator/launch/prepare.ts";
import { startProcess } from "../../orchestrator/launch/process.ts";
import { ensureModel } from "../../orchestrator/models/prepare.ts";
import { cacheDir, ROOT } from "../../orchestrator/paths.ts";
import { ensureK6 } from "../../orchestrator/toolchain/k6.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);

test("k6 run build/embed.js works ad hoc against a running onnx-python server", { timeout: 1_800_000 }, async () => {
  const config = loadSuiteConfig(ROOT);
  const model = await ensureModel("all-MiniLM-L6-v2", getModel(config, "all-MiniLM-L6-v2"));
  const server = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const vars = await prepareServer(server, { server_dir: server.dir, model_dir: model.dir, cache_dir: cacheDir(), root: ROOT });
  const k6 = await ensureK6();
  const port = await freePort();
  const [cmd, ...args] = server.manifest.start.command.map((c) => c.replace("{python}", vars["python"]!));
  const proc = startProcess({
    command: cmd!,
    args,
    cwd: server.dir,
    env: { ...process.env, PORT: String(port), MODEL_DIR: model.dir },
    logFile: path.join(tempDir("adhoc"), "server.log"),
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 240; i++) {
      const ok = await requestJson(`${url}/health`, { timeoutMs: 1000 }).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const { stdout } = await run(k6.path, ["run", path.join(ROOT, "build", "embed.js"), "-e", `BASE_URL=${url}`, "-e", "CONCURRENCY=2", "-e", "DURATION=3s", "-e", "EXPECTED_DIM=384"], {
      env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
    });
    assert.match(stdout, /embedding-bench adhoc concurrency_2 batch 1/);
    const m = /requests (\d+) in [\d.]+ s \([\d.]+ req\/s\), errors (\d+)/.exec(stdout);
    assert.ok(m, stdout);
    assert.ok(Number(m[1]) > 5);
    assert.equal(Number(m[2]), 0);

    // A wrong expected dimension must fail the checks, and k6's threshold must turn that into exit 99.
    const wrong = await run(k6.path, ["run", "--quiet", path.join(ROOT, "build", "embed.js"), "-e", `BASE_URL=${url}`, "-e", "DURATION=1s", "-e", "EXPECTED_DIM=999"], {
      env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
    }).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(wrong.code, 99, "thresholds crossed");
    assert.match(wrong.stdout, /errors [1-9]/);
  } finally {
    await proc.stop(5);
  }
});
