import assert from "node:assert/strict";
import { test } from "node:test";
import { manifestApi, shapeProblem, type EmbedAnswer } from "./api-client.ts";
import { ServerManifest } from "../plan/config-schema.ts";

const ROOT_MANIFEST = {
  name: "peer",
  display_name: "Peer",
  language: "Python",
  runtime: "onnxruntime",
  model_format: "onnx",
  precision: "fp32",
  description: "a peer",
  prepare: { kind: "none" },
  start: { command: ["serve"] },
};

const reply = { status: 200, body: null, ms: 1 };
const answer = (vectors: number[][]): EmbedAnswer => ({ reply, vectors, problem: null });

test("shapeProblem: the count and every vector's dimension, or the adapter's own problem", () => {
  assert.equal(shapeProblem(answer([[1, 0]]), 1, 2), null);
  assert.equal(shapeProblem(answer([[1, 0]]), 2, 2), "expected 2 embeddings, got 1");
  assert.equal(shapeProblem(answer([[1, 0], [1]]), 2, 2), "embedding 1 has dimension 1, expected 2");
  assert.equal(shapeProblem({ reply: { ...reply, status: 404 }, vectors: null, problem: "HTTP 404 x" }, 1, 2), "HTTP 404 x");
});

test("a manifest's api: this suite's contract by default, a peer's API with its model and tensor names", () => {
  const base = ServerManifest.parse({ ...ROOT_MANIFEST });
  assert.equal(base.api.name, "embed");
  assert.equal(base.health_path, "/health");
  assert.equal(manifestApi(base.api).adapter.name, "embed");
  const triton = ServerManifest.parse({
    ...ROOT_MANIFEST,
    api: { name: "kserve", served_model: "embedding", kserve_output: "VECTORS" },
    health_path: "/v2/health/ready",
  });
  const target = manifestApi(triton.api);
  assert.equal(target.adapter.name, "kserve");
  assert.deepEqual(target.settings, { model: "embedding", kserveInput: "TEXT", kserveOutput: "VECTORS" });
  assert.equal(target.adapter.request(["a"], target.settings, true).path, "/v2/models/embedding/infer");
  assert.throws(() => ServerManifest.parse({ ...ROOT_MANIFEST, api: { name: "grpc" } }), /api\.name|Invalid option/);
  assert.throws(() => ServerManifest.parse({ ...ROOT_MANIFEST, health_path: "health" }), /a URL path starting with \//);
});
