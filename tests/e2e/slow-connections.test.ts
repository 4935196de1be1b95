// Many idle or slow connections must not take a server's /health down (issue 24: onnx-cpp, one
// thread per connection with 256 threads, stopped answering under 300 slow clients until they
// closed). Each of the seven servers, on the real model: /health's unloaded median, then, with as many
// slow connections open as the server has HTTP threads (its /info http_threads; 0 for the
// event-driven servers) plus 300, /health again; every answer must come, and their median within
// 5x the unloaded one, measured in the same test. Half the connections send a request head one
// byte a second and never finish it, half connect and send nothing.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { call, startServer, type RunningServer } from "./servers.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const SERVERS = ["pytorch", "pytorch-batching", "onnx-python", "openvino", "onnx-rust", "candle", "onnx-cpp"] as const;
const EXTRA_CONNECTIONS = 300;
const SAMPLES = 21;
const RATIO = 5;

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

/** One GET /health on a connection of its own; resolves with its status and milliseconds, rejects after `giveUpMs`. */
function health(url: string, giveUpMs: number): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get(`${url}/health`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.setTimeout(giveUpMs, () => req.destroy(new Error(`/health: no answer within ${giveUpMs} ms`)));
    req.on("error", reject);
  });
}

async function healthSamples(url: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const r = await health(url, 5000);
    assert.equal(r.status, 200);
    ms.push(r.ms);
    await new Promise((r) => setTimeout(r, 20));
  }
  return ms;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Opens `n` connections, half trickling an unfinished request head, half silent; resolves once all are connected. */
async function slowConnections(url: string, n: number): Promise<{ sockets: net.Socket[]; stop: () => void; open: () => number }> {
  const { hostname, port } = new URL(url);
  const sockets: net.Socket[] = [];
  let closed = 0;
  await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(Number(port), hostname, () => {
            if (i % 2 === 0) s.write(`POST /embed HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n`);
            resolve();
          });
          s.on("error", (err) => (s.connecting ? reject(err) : undefined));
          s.on("close", () => closed++);
          sockets.push(s);
        }),
    ),
  );
  // One more byte of an endless header a second on every trickling connection.
  const trickle = setInterval(() => {
    for (const [i, s] of sockets.entries()) if (i % 2 === 0 && !s.destroyed) s.write("X");
  }, 1000);
  return {
    sockets,
    open: () => n - closed,
    stop: () => {
      clearInterval(trickle);
      for (const s of sockets) s.destroy();
    },
  };
}

for (const name of SERVERS) {
  describe(`${name}: /health under ${EXTRA_CONNECTIONS} + HTTP threads slow connections`, { timeout: 900_000 }, () => {
    let server: RunningServer | undefined;
    before(async () => {
      const found = config.servers.find((s) => s.manifest.name === name);
      assert.ok(found, `servers/${name}/manifest.yaml`);
      server = await startServer(found, model, config.benchmark.health_timeout_s * 1000);
    });
    after(async () => server?.proc.stop(10));

    test(`/health answers within ${RATIO}x its unloaded median`, async () => {
      const url = server!.base;
      const info = (await call(`${url}/info`)).json as { http_threads?: number };
      const threads = typeof info.http_threads === "number" ? info.http_threads : 0;
      const count = threads + EXTRA_CONNECTIONS;
      // Warm the route (first answers pay for imports and caches), then the unloaded baseline.
      await healthSamples(url);
      const unloaded = await healthSamples(url);
      const slow = await slowConnections(url, count);
      try {
        await new Promise((r) => setTimeout(r, 1500));
        const loaded = await healthSamples(url);
        const ratio = median(loaded) / median(unloaded);
        const figures = `unloaded median ${median(unloaded).toFixed(2)} ms, with ${count} slow connections (${slow.open()} still open) ${median(loaded).toFixed(2)} ms (max ${Math.max(...loaded).toFixed(2)} ms): ${ratio.toFixed(2)}x`;
        console.log(`${name}: ${figures}`);
        assert.ok(slow.open() >= count / 2, `the slow connections stayed open while measured: ${figures}`);
        assert.ok(ratio <= RATIO, figures);
      } finally {
        slow.stop();
      }
    });
  });
}
