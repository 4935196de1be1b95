// The embedded engine's request path against a local HTTP server whose answers go wrong in turn:
// every answer is checked (status, JSON, count, dimension), each failure is counted by its kind,
// and the bytes received are the bodies' bytes (multi-byte characters and multi-chunk bodies too).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { DEFAULT_API_SETTINGS } from "../../../scenario/apis/index.ts";
import type { LevelSpec } from "../../plan/level-spec.ts";
import { answerChecker, runLoad } from "./load-loops.ts";

const vector = (dim: number) => Array.from({ length: dim }, (_, i) => i / dim);
const ANSWERS: { status: number; body: string; kind: string | null }[] = [
  { status: 200, body: JSON.stringify({ embeddings: [vector(8)], model: "é" }), kind: null },
  { status: 503, body: '{"error":"busy"}', kind: "status 503" },
  { status: 200, body: '{"embeddings": [[1, 2', kind: "invalid JSON" },
  { status: 200, body: JSON.stringify({ embeddings: [vector(8), vector(8)] }), kind: "wrong count" },
  { status: 200, body: JSON.stringify({ embeddings: [vector(7)] }), kind: "wrong dimension" },
];

async function serve(): Promise<{ server: Server; url: string; sent: () => { bytes: number; byKind: Map<string | null, number> } }> {
  let i = 0;
  let bytes = 0;
  const byKind = new Map<string | null, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const a = ANSWERS[i++ % ANSWERS.length]!;
      const body = Buffer.from(a.body);
      bytes += body.length;
      byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
      res.writeHead(a.status, { "content-type": "application/json", "x-inference-time": "2.5" });
      // Two chunks: the engine must join them.
      res.write(body.subarray(0, 5));
      res.end(body.subarray(5));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => ({ bytes, byKind }) };
}

const spec = (url: string): LevelSpec => ({
  url,
  api: "embed",
  apiSettings: DEFAULT_API_SETTINGS,
  batchSize: 1,
  seqLen: null,
  normalize: true,
  expectedDim: 8,
  load: { mode: "closed", vus: 1 },
  durationS: 1,
  windowS: 0,
  requestTimeoutS: 10,
  maxErrorRate: 0.01,
  tags: { framework: "t", model: "t", run_id: "t" },
  files: { log: "/dev/null", summary: "/dev/null" },
  cpus: null,
});

test("every answer is checked and each failure counted by kind; bytes are the bodies' bytes", async () => {
  const { server, url, sent } = await serve();
  try {
    const firstErrors: string[] = [];
    const o = await runLoad(spec(url), { onSample() {}, onWindow() {}, onFirstError: (kind) => firstErrors.push(kind) }, new AbortController().signal, "test");
    const s = sent();
    const served = [...s.byKind.values()].reduce((a, n) => a + n, 0);
    assert.equal(o.requests, served, "one record per answer served");
    assert.equal(o.ok, s.byKind.get(null));
    for (const a of ANSWERS.filter((x) => x.kind !== null)) assert.equal(o.errorsByKind[a.kind!], s.byKind.get(a.kind), a.kind!);
    assert.deepEqual(firstErrors.sort(), Object.keys(o.errorsByKind).sort(), "the first of each kind is reported");
    assert.equal(o.bytesReceived, s.bytes);
    assert.ok(Math.abs(o.serverInferenceMs!.median - 2.5) < 0.01, "x-inference-time is recorded");
  } finally {
    server.close();
  }
});

test("the checker reads the adapter's paths: counts and dimensions of other APIs' answers", () => {
  const openai = answerChecker({ api: "openai", apiSettings: DEFAULT_API_SETTINGS, batchSize: 2, expectedDim: 0 });
  assert.equal(openai(200, JSON.stringify({ data: [{ embedding: [1, 2] }, { embedding: [3, 4] }] })), null);
  assert.equal(openai(200, JSON.stringify({ data: [{ embedding: [1, 2] }] })), "wrong count");
  assert.equal(openai(200, JSON.stringify({ data: [{ embedding: [] }, { embedding: [] }] })), "wrong dimension");
  assert.equal(openai(500, "x"), "status 500");
});
