import assert from "node:assert/strict";
import { test } from "node:test";
import { conforms, loadContract } from "./contract.ts";

const contract = loadContract();

test("the contract document defines every path and schema the suite relies on", () => {
  assert.deepEqual(Object.keys(contract.paths).sort(), ["/embed", "/health", "/info", "/metrics"]);
  for (const name of ["EmbedRequest", "EmbedResponse", "Health", "Info", "Error"]) assert.ok(contract.components.schemas[name], name);
  assert.deepEqual(contract.components.schemas["EmbedResponse"]!.required, ["embeddings", "inference_time_ms", "model", "dim", "num_embeddings"]);
});

test("a correct /embed answer conforms; each kind of mistake is named with its path", () => {
  const ok = { embeddings: [[0.1, 0.2]], inference_time_ms: 1.5, model: "m", dim: 2, num_embeddings: 1 };
  assert.deepEqual(conforms(contract, "EmbedResponse", ok), []);
  assert.deepEqual(conforms(contract, "EmbedResponse", { ...ok, dim: 2.5 }), ["$.dim: expected integer, got number"]);
  assert.deepEqual(conforms(contract, "EmbedResponse", { ...ok, embeddings: [["x"]] }), ["$.embeddings[0][0]: expected number, got string"]);
  const { model: _model, ...noModel } = ok;
  assert.deepEqual(conforms(contract, "EmbedResponse", noModel), ["$: missing required 'model'"]);
  assert.deepEqual(conforms(contract, "EmbedResponse", [ok]), ["$: expected object, got array"]);
});

test("enums, minimums and string lengths are checked", () => {
  assert.deepEqual(conforms(contract, "Health", { status: "healthy" }), []);
  assert.deepEqual(conforms(contract, "Health", { status: "fine" }), ['$.status: "fine" is not one of ["healthy","loading","failed"]']);
  assert.deepEqual(conforms(contract, "Error", { error: "" }), ["$.error: shorter than 1"]);
  const info = {
    framework: "f", framework_version: "1", language: "Python", model_name: "m", model_load_time_ms: 10, embedding_dim: 384,
    max_seq_length: 256, threads: 0, cpu_count: 2, memory_rss_mb: 100, pid: 7,
  };
  assert.deepEqual(conforms(contract, "Info", info), ["$.threads: 0 < minimum 1"]);
  assert.deepEqual(conforms(contract, "Info", { ...info, threads: 1, language: "Go" }), ['$.language: "Go" is not one of ["Python","Rust","C++"]']);
});
