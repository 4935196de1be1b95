// Limits of the native servers (issue 11), each against the real server process on the real model:
// the token budget (MAX_BATCH_TOKENS, 413), the memory left after the largest allowed requests, a
// body that never arrives (BODY_TIMEOUT_S, 408), invalid UTF-8 (400 with a JSON error) and the
// C++ tokenizer's time on text made of special tokens.
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { getModel, loadSuiteConfig, type DiscoveredServer } from "../../orchestrator/plan/config.ts";
import { launchServer, waitForHealth, type LaunchedServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";
import { serverNamed } from "./servers.ts";
import { DEFAULT_MAX_BATCH_TOKENS, longTexts, MAX_SEQ, rssAfterMaximalRequests } from "./memory.ts";

const MODEL = "all-MiniLM-L6-v2";
// First builds compile many crates on a small machine.
const BUILD_TIMEOUT_MS = 3_600_000;
// "hello" is one token of all-MiniLM-L6-v2's vocabulary.
const hello = (words: number) => "hello ".repeat(words).trim();

const config = loadSuiteConfig(ROOT);
const server = (name: string): DiscoveredServer => serverNamed(config, name);

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

/** Started with THREADS=2 (one call may use both CPUs) unless `layout` says otherwise ({}: the server's default). */
async function start(name: string, env: Record<string, string> = {}, layout: { threads?: number } = { threads: 2 }): Promise<LaunchedServer> {
  const proc = await launchServer({ server: server(name), modelDir: model.dir, logFile: path.join(tempDir(`harden-${name}`), "server.log"), ...layout, env });
  try {
    await waitForHealth(proc, { timeoutS: 120 });
  } catch (err) {
    await proc.stop(5);
    throw err;
  }
  return proc;
}

const post = (url: string, body: string | Uint8Array<ArrayBuffer> | object) =>
  fetch(`${url}/embed`, {
    method: "POST",
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

async function errorOf(r: Response): Promise<string> {
  assert.match(r.headers.get("content-type") ?? "", /application\/json/);
  return ((await r.json()) as { error: string }).error;
}

/** Sends headers that promise `declared` body bytes and only `sent` of them; resolves with the answer's status, body and the seconds it took. */
function partialBody(url: string, declared: number, sent: string, giveUpMs: number): Promise<{ status: number; body: string; seconds: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(Number(port), hostname);
    let raw = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${giveUpMs} ms`));
    }, giveUpMs);
    const finish = () => {
      const text = raw.toString("utf8");
      const end = text.indexOf("\r\n\r\n");
      const length = Number(/^content-length:\s*(\d+)/im.exec(text)?.[1]);
      if (end < 0 || !(raw.length >= end + 4 + length)) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(text.split(" ")[1]), body: text.slice(end + 4, end + 4 + length), seconds: (performance.now() - started) / 1000 });
      return true;
    };
    socket.on("data", (chunk) => {
      raw = Buffer.concat([raw, chunk]);
      finish();
    });
    socket.on("close", () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(
          new Error(`connection closed without a whole answer after ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(raw.toString())}`),
        );
      }
    });
    socket.on("error", reject);
    socket.write(`POST /embed HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${sent}`);
  });
}

for (const name of ["onnx-rust", "candle", "onnx-cpp"] as const) {
  describe(`${name} with MAX_BATCH_TOKENS=512, BODY_TIMEOUT_S=2`, { timeout: BUILD_TIMEOUT_MS }, () => {
    let proc: LaunchedServer | undefined;
    let url = "";
    before(async () => {
      proc = await start(name, { MAX_BATCH_TOKENS: "512", BODY_TIMEOUT_S: "2" });
      url = proc.url;
    });
    after(async () => proc?.stop(5));

    test("a batch over the token budget is answered 413, counted after truncation", async () => {
      const info = (await (await fetch(`${url}/info`)).json()) as Record<string, unknown>;
      assert.equal(info["max_batch_tokens"], 512);
      // 98 words + [CLS] + [SEP] = 100 tokens a text
      const over = await post(url, { texts: Array.from({ length: 8 }, () => hello(98)) });
      assert.equal(over.status, 413);
      assert.equal(await errorOf(over), "too many tokens: 800 > 512 (MAX_BATCH_TOKENS)");
      assert.equal((await post(url, { texts: Array.from({ length: 5 }, () => hello(98)) })).status, 200);
      // 1000 words are truncated to 256 tokens: two such texts are exactly the budget, three are over
      assert.equal((await post(url, { texts: [hello(1000), hello(1000)] })).status, 200);
      const truncated = await post(url, { texts: [hello(1000), hello(1000), hello(1000)] });
      assert.equal(truncated.status, 413);
      assert.equal(await errorOf(truncated), `too many tokens: ${3 * MAX_SEQ} > 512 (MAX_BATCH_TOKENS)`);
    });

    test("a body shorter than its Content-Length is answered 408 after BODY_TIMEOUT_S", async () => {
      const answer = await partialBody(url, 100, '{"texts": ["never fin', 10_000);
      assert.equal(answer.status, 408, answer.body);
      assert.deepEqual(JSON.parse(answer.body), { error: "request body not received within 2 s" });
      assert.ok(answer.seconds >= 1.8 && answer.seconds < 5, `answered after ${answer.seconds.toFixed(2)} s`);
      assert.equal((await post(url, { texts: ["still serving"] })).status, 200);
    });

    test("invalid UTF-8 in the body is a 400 with a JSON error", async () => {
      const body = new Uint8Array(Buffer.concat([Buffer.from('{"texts": ["bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' bytes"]}')]));
      const r = await post(url, body);
      assert.equal(r.status, 400);
      assert.match(await errorOf(r), /not valid JSON/);
    });
  });
}

// RSS after 8 of the largest requests the default budget allows (64 texts of 256 tokens), two at
// a time, on each server's default layout, with a bound per server: its measured figure with room
// for the machine (README, "Limits under hostile input"). Before the budget a 3.6 MB body of 256
// such texts was allowed and left the servers at ~4 GB; ONNX Runtime's arena kept it for good, and
// glibc's per-thread malloc arenas kept 2.9 GB of freed tensors after 20 requests of 16384 tokens.
const RSS_BOUND_MB: Record<string, number> = { "onnx-rust": 640, candle: 640, "onnx-cpp": 640 };
for (const [name, bound] of Object.entries(RSS_BOUND_MB)) {
  test(`${name}: RSS stays under ${bound} MB after 8 of the largest allowed requests, and 256 long texts are 413`, {
    timeout: BUILD_TIMEOUT_MS,
  }, async (t) => {
    const proc = await start(name, {}, {});
    try {
      const refused = await post(proc.url, { texts: longTexts(256) });
      assert.equal(refused.status, 413);
      assert.equal(await errorOf(refused), `too many tokens: ${256 * MAX_SEQ} > ${DEFAULT_MAX_BATCH_TOKENS} (MAX_BATCH_TOKENS)`);
      const rss = await rssAfterMaximalRequests(proc.url);
      t.diagnostic(JSON.stringify(rss));
      assert.ok(rss.after_mb < bound, `RSS ${rss.idle_mb} MB idle, ${rss.after_mb} MB after 8 maximal requests (peak ${rss.peak_mb} MB)`);
    } finally {
      await proc.stop(5);
    }
  });
}

// Special tokens are matched on the raw text before the model's tokenizer; onnx-cpp's former
// hand-written tokenizer searched the rest of the text again for every special token after each
// match (quadratic: 0.33 s at 20 KB, 3.9 s at 80 KB); it now uses Hugging Face tokenizers, as
// onnx-rust does. The reply is the same 256 tokens whatever the length, so time is tokenising.
for (const name of ["onnx-cpp", "onnx-rust"] as const) {
  test(`${name}: tokenising text made of [UNK] grows linearly with its length`, { timeout: BUILD_TIMEOUT_MS }, async () => {
    const proc = await start(name);
    try {
      const seconds = async (kb: number) => {
        const body = { texts: ["[UNK]".repeat((kb * 1024) / 5)] };
        let best = Infinity;
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          const r = await post(proc.url, body);
          assert.equal(r.status, 200);
          await r.arrayBuffer();
          best = Math.min(best, (performance.now() - t) / 1000);
        }
        return best;
      };
      await seconds(1);
      const small = await seconds(20);
      const large = await seconds(80);
      assert.ok(large < 3, `80 KB of [UNK] took ${large.toFixed(2)} s`);
      assert.ok(large / small < 8, `80 KB took ${(large / small).toFixed(1)}x the time of 20 KB (${large.toFixed(3)} s vs ${small.toFixed(3)} s)`);
    } finally {
      await proc.stop(5);
    }
  });
}
