// The Python servers' layout: one process runs WORKERS model calls at once, all fed from one queue,
// so whichever connection a request comes on, a free worker takes it. (Separate uvicorn processes
// on a shared socket kept each keep-alive connection on the process that accepted it: at 4 VUs on
// 2 processes one ran at 93 % CPU and the other at 18 %.) Real servers, real model.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import type { ServerProcess } from "../../orchestrator/launch/process.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { call, startServer } from "./servers.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const CLIENTS = 4;
const ROUNDS = 3;
// Long enough that a model call takes tens of milliseconds on one thread.
const TEXTS = Array.from({ length: 8 }, (_, i) => `request text ${i} ${"vectors are compared by cosine similarity in a search index ".repeat(20)}`);

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

for (const name of ["onnx-python", "openvino", "pytorch"]) {
  for (const workers of [1, 2]) {
    describe(`${name} WORKERS=${workers}: model calls at once in one process`, { timeout: 600_000 }, () => {
      let proc: ServerProcess | undefined;
      let base = "";
      before(async () => {
        const server = config.servers.find((s) => s.manifest.name === name)!;
        ({ base, proc } = await startServer(server, model, config.benchmark.health_timeout_s * 1000, { THREADS: "1", WORKERS: String(workers) }));
      });
      after(async () => {
        if (proc) await proc.stop(config.benchmark.stop_timeout_s);
      });

      test(`one process, and model time ${workers === 1 ? "never overlaps" : "overlaps"}`, async (t) => {
        const info = (await call(`${base}/info`)).json as Record<string, unknown>;
        assert.deepEqual([info["threads"], info["workers"], info["processes"]], [1, workers, 1]);
        await call(`${base}/embed`, { method: "POST", body: JSON.stringify({ texts: TEXTS }) });
        // CLIENTS connections, each sending ROUNDS requests back to back (like the load engine's virtual users).
        const started = performance.now();
        const inferenceMs = await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            let sum = 0;
            for (let r = 0; r < ROUNDS; r++) {
              const reply = await call(`${base}/embed`, { method: "POST", body: JSON.stringify({ texts: TEXTS }) });
              assert.equal(reply.status, 200, reply.text.slice(0, 200));
              sum += Number(reply.headers.get("x-inference-time"));
            }
            return sum;
          }),
        );
        const wallMs = performance.now() - started;
        const modelMs = inferenceMs.reduce((a, b) => a + b, 0);
        // Model time over wall time is how many calls ran at once on average: at most 1 with one
        // worker (calls never overlap), well above 1 with two on this 2-core machine.
        const overlap = modelMs / wallMs;
        t.diagnostic(`model ${modelMs.toFixed(0)} ms over wall ${wallMs.toFixed(0)} ms: overlap ${overlap.toFixed(2)}`);
        if (workers === 1) assert.ok(overlap <= 1.02, `overlap ${overlap.toFixed(2)} with one worker`);
        else
          assert.ok(
            overlap >= 1.3,
            `overlap ${overlap.toFixed(2)}: two workers did not run at once (model ${modelMs.toFixed(0)} ms, wall ${wallMs.toFixed(0)} ms)`,
          );
      });
    });
  }
}

/** One request on its own TCP connection, so that PROCESSES uvicorn processes take turns accepting. */
function fresh(url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: body === undefined ? "GET" : "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("onnx-python PROCESSES=2: /metrics answers for every process", { timeout: 600_000 }, () => {
  let proc: ServerProcess | undefined;
  let base = "";
  before(async () => {
    const server = config.servers.find((s) => s.manifest.name === "onnx-python")!;
    ({ base, proc } = await startServer(server, model, config.benchmark.health_timeout_s * 1000, { PROCESSES: "2", THREADS: "1", WORKERS: "1" }));
  });
  after(async () => {
    if (proc) await proc.stop(config.benchmark.stop_timeout_s);
  });

  test("both processes answer, and each scrape counts the requests of both", async () => {
    const requests = 16;
    const answers = await Promise.all(Array.from({ length: requests }, (_, i) => fresh(`${base}/embed`, JSON.stringify({ texts: [`text ${i}`] }))));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(requests).fill(200),
    );
    const pids = new Set<unknown>();
    for (let i = 0; i < 16; i++) {
      pids.add((JSON.parse((await fresh(`${base}/info`)).text) as Record<string, unknown>)["pid"]);
      const metrics = (await fresh(`${base}/metrics`)).text;
      assert.match(metrics, new RegExp(`^embed_requests_total\\{framework="onnx-python"\\} ${requests}\\.0$`, "m"), metrics.slice(0, 600));
      assert.match(metrics, new RegExp(`^embed_inference_ms_count\\{framework="onnx-python"\\} ${requests}\\.0$`, "m"));
    }
    assert.equal(pids.size, 2, "/info was answered by both processes");
  });
});
