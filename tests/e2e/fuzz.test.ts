// Property-based fuzzing of the HTTP contract: schemathesis (PyPI, pinned in
// tests/fuzz-requirements.txt) generates valid and invalid requests from servers/contract/openapi.yaml
// against one Python server (onnx-python) and one native server (onnx-rust), and checks every answer
// against the document: no 5xx, documented statuses and content types, bodies matching their schema.
// Each run is bounded in time (--max-time); afterwards the server must still be healthy, and every
// error answer it gave, read back from schemathesis's HAR report, must be JSON {"error": "..."}
// (OpenAI's {"error": {"message": "..."}} from POST /v1/embeddings).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { getModel, loadSuiteConfig, type DiscoveredServer } from "../../orchestrator/plan/config.ts";
import { startHealthyServer, type LaunchedServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { CommandError, runCommand } from "../../orchestrator/platform/proc.ts";
import { ensureVenv, type Venv } from "../../orchestrator/toolchain/python.ts";
import { call, serverNamed } from "./servers.ts";
import { tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const FUZZED = ["onnx-python", "onnx-rust"] as const;
// Seconds of generation per server: with start-up and schema loading, the file stays under ~2 min.
const MAX_TIME_S = 30;

const config = loadSuiteConfig(ROOT);
const server = (name: string): DiscoveredServer => serverNamed(config, name);

let model: PreparedModel;
let venv: Venv;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
  venv = await ensureVenv("fuzz", path.join(ROOT, "tests", "fuzz-requirements.txt"));
});

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content: { text?: string } };
}

for (const name of FUZZED) {
  describe(`${name}: schemathesis against the contract`, { timeout: 900_000 }, () => {
    let proc: LaunchedServer | undefined;
    before(async () => {
      const logFile = path.join(tempDir(`fuzz-${name}`), "server.log");
      // The native servers' first build can take long on a small machine (see native.test.ts).
      proc = await startHealthyServer({ server: server(name), modelDir: model.dir, logFile }, { timeoutS: 180 });
    });
    after(async () => proc?.stop(5));

    test("no 5xx, answers as documented, error bodies are JSON with 'error', healthy afterwards", async () => {
      const reportDir = tempDir(`fuzz-report-${name}`);
      const har = path.join(reportDir, "run.har");
      const args = [
        "--config-file",
        path.join(ROOT, "tests", "schemathesis.toml"),
        "run",
        path.join(ROOT, "servers", "contract", "openapi.yaml"),
        "--url",
        proc!.url,
        "--checks",
        "all",
        "--max-examples",
        "25",
        "--max-time",
        String(MAX_TIME_S),
        "--seed",
        "1",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--report",
        "har",
        "--report-har-path",
        har,
        "--no-color",
      ];
      let output = "";
      try {
        output = await runCommand(path.join(venv.dir, "bin", "st"), args, { cwd: reportDir });
      } catch (err) {
        const detail = err instanceof CommandError ? err.output : (err as Error).message;
        assert.fail(`schemathesis found failures on ${name}:\n${detail.slice(-8000)}\n--- server log ---\n${proc!.logTail(40)}`);
      }
      assert.match(output, /Operations:\s+5 selected/);

      const entries = (JSON.parse(readFileSync(har, "utf8")) as { log: { entries: HarEntry[] } }).log.entries;
      assert.ok(entries.length > 50, `only ${entries.length} requests were made`);
      const errors = entries.filter((e) => e.response.status >= 400);
      assert.ok(errors.length > 0, "the fuzzer sent no invalid request");
      for (const e of errors) {
        const text = e.response.content.text ?? "";
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          assert.fail(`${e.request.method} ${e.request.url} -> ${e.response.status}: body is not JSON: ${text.slice(0, 200)}`);
        }
        // POST /v1/embeddings answers in OpenAI's error object; routing (404, 405) and the other routes in the contract's.
        const error = (body as { error?: unknown }).error;
        const openai = e.request.method === "POST" && new URL(e.request.url).pathname === "/v1/embeddings";
        const message = openai ? (error as { message?: unknown } | undefined)?.message : error;
        assert.ok(typeof message === "string" && message !== "", `${e.request.method} ${e.request.url} -> ${e.response.status}: ${text.slice(0, 200)}`);
        assert.ok(e.response.status < 500, `${e.request.method} ${e.request.url} -> ${e.response.status}: ${text.slice(0, 200)}`);
      }

      assert.ok(!proc!.hasExited(), `server exited:\n${proc!.logTail()}`);
      const health = await call(`${proc!.url}/health`);
      assert.equal(health.status, 200, health.text);
    });
  });
}
