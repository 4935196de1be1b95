// --layout TxW means the same in every server: each one, Python, Rust and C++, started by the
// launcher with THREADS=1 WORKERS=1, reports threads 1 and workers 1 in /info; a bench:k6 run
// records the requested and the effective layout in its result.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { getModel, loadSuiteConfig } from "../../orchestrator/config/load.ts";
import { requestJson } from "../../orchestrator/http.ts";
import { startHealthyServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel } from "../../orchestrator/models/prepare.ts";
import { ROOT } from "../../orchestrator/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const config = loadSuiteConfig(ROOT);

test("--layout 1x1 is what every server reports in /info", { timeout: 1_800_000 }, async () => {
  const model = await ensureModel(MODEL, getModel(config, MODEL));
  assert.ok(config.servers.length >= 7);
  for (const server of config.servers) {
    const s = await startHealthyServer(
      { server, modelDir: model.dir, logFile: path.join(tempDir(`layout-${server.manifest.name}`), "server.log"), threads: 1, workers: 1 },
      { timeoutS: config.benchmark.health_timeout_s },
    );
    try {
      const info = (await requestJson(`${s.url}/info`)).body as Record<string, unknown>;
      assert.equal(info["threads"], 1, `${server.manifest.name} threads`);
      assert.equal(info["workers"], 1, `${server.manifest.name} workers`);
    } finally {
      await s.stop(config.benchmark.stop_timeout_s);
    }
  }
});

test("bench:k6 --layout records the requested and the effective layout", { timeout: 900_000 }, async () => {
  const dir = tempDir("layout-run");
  const run = await runCli(["--frameworks", "onnx-rust", "--layout", "1x2", "--levels", "1", "--duration-s", "2", "--warmup-requests", "2", "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(dir, MODEL, "onnx-rust.json"), "utf8")));
  assert.deepEqual(result.layout, { requested: "1x2", threads: 1, workers: 2 });
});
