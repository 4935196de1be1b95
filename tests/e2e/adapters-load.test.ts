// The API adapters under the embedded load engine (its request bodies, its GJSON evaluation of the
// adapters' check paths): no TEI or Triton runs on this machine, so a loopback server answers the
// recorded bodies of tests/fixtures/apis/, and only if the engine's request is the documented one.
// embed and openai go through the same stub here (their exact bodies), and against real servers in
// external.test.ts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { apiTarget } from "../../orchestrator/sweep/api-client.ts";
import { EmbeddedEngine } from "../../orchestrator/level/embedded/embedded-engine.ts";
import type { LevelOutcome } from "../../orchestrator/plan/level-spec.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);
const FIXTURES = path.join(ROOT, "tests", "fixtures", "apis");
const body = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const strings = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((t) => typeof t === "string");

/** What the stub accepts on each route: the API's documented request for a batch of two texts. TEI and embed share /embed. */
const ROUTES: Record<string, { valid: (b: unknown) => boolean; answer: string }[]> = {
  "/embed": [
    { valid: (b) => strings((b as { texts?: unknown }).texts, 2) && (b as { normalize?: unknown }).normalize === true, answer: body("embed.response.json") },
    { valid: (b) => strings((b as { inputs?: unknown }).inputs, 2) && (b as { normalize?: unknown }).normalize === true, answer: body("tei.response.json") },
  ],
  "/v1/embeddings": [
    {
      valid: (b) => {
        const r = b as { input?: unknown; encoding_format?: unknown; model?: unknown };
        return strings(r.input, 2) && r.encoding_format === "float" && r.model === "minilm";
      },
      answer: body("openai.response.json"),
    },
  ],
  "/v2/models/minilm/infer": [
    {
      valid: (b) => {
        const input = (b as { inputs?: { name?: string; datatype?: string; shape?: number[]; data?: unknown[] }[] }).inputs?.[0];
        return input?.name === "TEXT" && input.datatype === "BYTES" && JSON.stringify(input.shape) === "[2,1]" && strings(input.data, 2);
      },
      answer: body("kserve.response.json"),
    },
  ],
};

let server: Server;
let base = "";
const refused: string[] = [];
let answered = 0;

before(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(raw || "null");
      } catch {
        /* refused below */
      }
      const route = req.method === "POST" ? ROUTES[req.url ?? ""]?.find((r) => r.valid(parsed)) : undefined;
      if (route) answered++;
      else refused.push(`${req.method} ${req.url} ${raw.slice(0, 200)}`);
      res.writeHead(route ? 200 : 400, { "content-type": "application/json" });
      res.end(route ? route.answer : JSON.stringify({ error: "not the documented request" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** `npm run load -- --url <stub> --duration 1s --batch-size 2 --dim 384 --json …`; never throws on a non-zero exit. */
const load = (args: string[]) =>
  run("npm", ["run", "-s", "load", "--", "--url", base, "--duration", "1s", "--batch-size", "2", "--dim", "384", "--json", ...args], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

for (const [api, extra] of [
  ["embed", []],
  ["openai", ["--served-model", "minilm"]],
  ["tei", []],
  ["kserve", ["--served-model", "minilm"]],
] as const) {
  test(`npm run load --api ${api}: the documented request, and every answer passes the checks`, { timeout: 120_000 }, async () => {
    refused.length = 0;
    const before = answered;
    const r = await load(["--api", api, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as LevelOutcome & { thresholds_ok: boolean };
    assert.ok(o.requests > 5, r.stdout);
    assert.equal(o.errors, 0, `${JSON.stringify(o.errorsByKind)}\n${refused.join("\n")}`);
    assert.deepEqual(refused, []);
    assert.equal(o.requests, answered - before, "every request the engine counts reached the stub");
    assert.equal(o.thresholds_ok, true);
  });
}

/** One level of the embedded engine itself, with KServe settings the CLI does not take. */
async function kserveLevel(settings: { kserveOutput?: string }, expectedDim: number): Promise<LevelOutcome> {
  const dir = tempDir("adapters");
  return new EmbeddedEngine().runLevel(
    {
      url: base,
      api: "kserve",
      apiSettings: apiTarget("kserve", { model: "minilm", ...settings }).settings,
      batchSize: 2,
      seqLen: null,
      normalize: true,
      expectedDim,
      load: { mode: "closed", vus: 1 },
      durationS: 1,
      windowS: 0,
      requestTimeoutS: 10,
      maxErrorRate: 0.01,
      tags: { framework: "stub", model: "minilm", run_id: "test" },
      files: { log: path.join(dir, "engine.log"), summary: path.join(dir, "summary.json") },
      cpus: null,
    },
    { onStart: () => {}, onSample: () => {}, onWindow: () => {} },
    new AbortController().signal,
  );
}

test("--api kserve: the wrong dimension or output tensor fails every request's checks, and exits 1", { timeout: 120_000 }, async () => {
  const wrongDim = await load(["--api", "kserve", "--served-model", "minilm", "--dim", "768"]);
  assert.equal(wrongDim.code, 1, wrongDim.stderr);
  const o = JSON.parse(wrongDim.stdout) as LevelOutcome & { thresholds_ok: boolean };
  assert.ok(o.errors > 0 && o.errors === o.requests, wrongDim.stdout);
  assert.deepEqual(o.errorsByKind, { "wrong dimension": o.errors });
  assert.equal(o.thresholds_ok, false);
  assert.match(wrongDim.stderr, /\[engine\] first "wrong dimension" at [\d.]+ s: /);

  // An output tensor the answer does not hold: nothing at the count path.
  const wrongOutput = await kserveLevel({ kserveOutput: "sentence_embedding" }, 384);
  assert.ok(wrongOutput.errors > 0 && wrongOutput.errors === wrongOutput.requests, JSON.stringify(wrongOutput));
  assert.deepEqual(wrongOutput.errorsByKind, { "wrong count": wrongOutput.errors });
  // The same level with the right tensor passes: the failure is the tensor's name.
  const right = await kserveLevel({}, 384);
  assert.ok(right.requests > 0 && right.errors === 0, JSON.stringify(right.errorsByKind));
});

test("--api kserve without --served-model, or an unknown API, stops before any load with the reason", { timeout: 120_000 }, async () => {
  for (const [args, reason] of [
    [["--api", "kserve"], /--api kserve needs --served-model/],
    [["--api", "grpc"], /--api: expected one of embed, openai, tei, kserve, got 'grpc'/],
  ] as const) {
    const before = answered + refused.length;
    const r = await load([...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, reason);
    assert.equal(answered + refused.length, before, "no request was sent");
  }
});
