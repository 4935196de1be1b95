// The k6 scenario's tei and kserve adapters under real k6 (its GJSON evaluation of the check paths,
// its request bodies): no TEI or Triton runs on this machine, so a loopback server answers the
// recorded bodies of tests/fixtures/apis/, and only if k6's request is the documented one.
// embed and openai are driven against real servers in external.test.ts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { ensureK6 } from "../../orchestrator/toolchain/k6.ts";

const run = promisify(execFile);
const FIXTURES = path.join(ROOT, "tests", "fixtures", "apis");
const body = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

/** What each route accepts: the API's documented request for a batch of two texts. */
const ROUTES: Record<string, { valid: (b: unknown) => boolean; answer: string }> = {
  "/embed": {
    valid: (b) => {
      const r = b as { inputs?: unknown; normalize?: unknown };
      return Array.isArray(r.inputs) && r.inputs.length === 2 && r.inputs.every((t) => typeof t === "string") && r.normalize === true;
    },
    answer: body("tei.response.json"),
  },
  "/v2/models/minilm/infer": {
    valid: (b) => {
      const input = (b as { inputs?: { name?: string; datatype?: string; shape?: number[]; data?: unknown[] }[] }).inputs?.[0];
      return input?.name === "TEXT" && input.datatype === "BYTES" && JSON.stringify(input.shape) === "[2,1]" && input.data?.length === 2;
    },
    answer: body("kserve.response.json"),
  },
};

let server: Server;
let base = "";
let k6 = "";
const refused: string[] = [];

before(async () => {
  k6 = (await ensureK6(new AbortController().signal)).path;
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const route = ROUTES[req.url ?? ""];
      const ok = req.method === "POST" && route !== undefined && route.valid(JSON.parse(raw || "null"));
      if (!ok) refused.push(`${req.method} ${req.url} ${raw.slice(0, 200)}`);
      res.writeHead(ok ? 200 : 400, { "content-type": "application/json" });
      res.end(ok ? route.answer : JSON.stringify({ error: "not the documented request" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const k6Run = (env: Record<string, string>) =>
  run(k6, ["run", "--quiet", "--no-usage-report", path.join(ROOT, "build", "embed.js"), ...Object.entries({ BASE_URL: base, DURATION: "1s", BATCH_SIZE: "2", EXPECTED_DIM: "384", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`])]);

function requestsAndErrors(stdout: string): [number, number] {
  const m = /requests (\d+) in [\d.]+ s \([\d.]+ req\/s\), errors (\d+)/.exec(stdout);
  assert.ok(m, stdout);
  return [Number(m[1]), Number(m[2])];
}

for (const [api, extra] of [
  ["tei", {}],
  ["kserve", { SERVED_MODEL: "minilm" }],
] as const) {
  test(`k6 -e API=${api}: the documented request, and every answer passes the checks`, { timeout: 120_000 }, async () => {
    const { stdout } = await k6Run({ API: api, ...extra });
    const [requests, errors] = requestsAndErrors(stdout);
    assert.ok(requests > 5, stdout);
    assert.equal(errors, 0, refused.join("\n"));
    assert.deepEqual(refused, []);
  });
}

test("k6 -e API=kserve: the wrong dimension or output tensor fails the checks (exit 99)", { timeout: 120_000 }, async () => {
  for (const env of [{ EXPECTED_DIM: "768" }, { KSERVE_OUTPUT: "sentence_embedding" }] as Record<string, string>[]) {
    const failed = await k6Run({ API: "kserve", SERVED_MODEL: "minilm", ...env }).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(failed.code, 99, JSON.stringify(env));
    assert.match(failed.stdout, /errors [1-9]/);
  }
});

test("k6 -e API=kserve without SERVED_MODEL, or an unknown API, stops at init with the reason", { timeout: 120_000 }, async () => {
  for (const [env, reason] of [
    [{ API: "kserve" }, /needs the served model's name/],
    [{ API: "grpc" }, /unknown API 'grpc': expected one of embed, openai, tei, kserve/],
  ] as const) {
    const failed = await k6Run(env).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, reason);
  }
});
