// POST /v1/embeddings on our servers, a Python one and a native one, driven by OpenAI's official
// client (npm `openai`), which asks for base64 vectors unless told otherwise, and checked against the
// contract and the reference. The conformance suite checks the endpoint on every server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { conforms, loadContract } from "../../servers/contract/contract.ts";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { cosine, loadProbes, norm } from "../../orchestrator/sweep/verify.ts";
import { call, startServer, type RunningServer } from "./servers.ts";

const contract = loadContract();
const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const spec = getModel(config, MODEL);

for (const name of ["onnx-python", "onnx-rust"]) {
  describe(name, { timeout: 900_000 }, () => {
    let server: RunningServer;
    let client: OpenAI;
    let probes: ReturnType<typeof loadProbes>;

    before(async () => {
      const model = await ensureModel(MODEL, spec);
      probes = loadProbes(model.dir);
      const framework = config.servers.find((s) => s.manifest.name === name)!;
      server = await startServer(framework, model, config.benchmark.health_timeout_s * 1000, { THREADS: "1", WORKERS: "1" });
      client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "not-checked", maxRetries: 0 });
    });

    after(async () => {
      await server?.proc.stop(config.benchmark.stop_timeout_s);
    });

    test("the official client gets the reference vectors, in order, as floats and as base64", async () => {
      const input = probes.texts.slice(0, 4);
      for (const encoding_format of ["float", undefined] as const) {
        const res = await client.embeddings.create({ model: spec.huggingface_id, input, ...(encoding_format ? { encoding_format } : {}) });
        assert.equal(res.data.length, input.length);
        assert.equal(res.model, MODEL);
        res.data.forEach((d, i) => {
          assert.equal(d.index, i);
          assert.equal(d.embedding.length, spec.embedding_dim);
          assert.ok(Math.abs(norm(d.embedding) - 1) < 1e-3);
          assert.ok(cosine(d.embedding, probes.embeddings[i]!) >= 0.9999, `${encoding_format ?? "base64"} ${i}: ${cosine(d.embedding, probes.embeddings[i]!)}`);
        });
        assert.ok(res.usage.prompt_tokens >= input.length * 3 && res.usage.total_tokens === res.usage.prompt_tokens, JSON.stringify(res.usage));
      }
    });

    test("one string as input; the answer and its usage match the contract", async () => {
      const r = await call(`${server.base}/v1/embeddings`, { method: "POST", body: JSON.stringify({ input: "hello world", model: "anything" }) });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", r.json), []);
      const body = r.json as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
      assert.equal(body.data.length, 1);
      // [CLS] hello world [SEP]
      assert.equal(body.usage.prompt_tokens, 4);
      assert.ok(Number(r.headers.get("x-inference-time")) > 0);
    });

    test("bad requests: OpenAI's error object, which the client raises with the server's message", async () => {
      for (const [body, status, message] of [
        [{ model: "m" }, 400, /'input' must be a non-empty list of strings/],
        [{ input: [1, 2, 3] }, 400, /every item of 'input' must be a string/],
        [{ input: ["x"], encoding_format: "int8" }, 400, /'encoding_format' must be 'float' or 'base64'/],
        [{ input: ["x"], dimensions: 8 }, 400, /'dimensions' must be 384/],
        [{ input: Array.from({ length: 257 }, () => "x") }, 413, /too many texts: 257 > 256/],
      ] as const) {
        const r = await call(`${server.base}/v1/embeddings`, { method: "POST", body: JSON.stringify(body) });
        assert.equal(r.status, status, r.text);
        assert.deepEqual(conforms(contract, "OpenAIError", r.json), [], r.text);
        assert.match((r.json as { error: { message: string } }).error.message, message);
      }
      await assert.rejects(
        client.embeddings.create({ model: "m", input: [] }),
        (e: Error) => e instanceof OpenAI.BadRequestError && /'input' must be a non-empty list/.test(e.message),
      );
      assert.equal((await call(`${server.base}/health`)).status, 200);
    });
  });
}
