import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { METRIC_NAMES, type Source } from "../../orchestrator/level/scrape.ts";
import { conforms, loadContract, METRIC_FAMILIES } from "./contract.ts";

const contract = loadContract();

test("the contract document defines every path and schema the suite relies on", () => {
  assert.deepEqual(Object.keys(contract.paths).sort(), ["/embed", "/health", "/info", "/metrics", "/v1/embeddings"]);
  for (const name of ["EmbedRequest", "EmbedResponse", "Health", "Info", "Error", "OpenAIEmbeddingRequest", "OpenAIEmbeddingResponse", "OpenAIError"])
    assert.ok(contract.components.schemas[name], name);
  assert.deepEqual(contract.components.schemas["EmbedResponse"]!.required, ["embeddings", "inference_time_ms", "model", "dim", "num_embeddings"]);
});

test("a correct /embed answer conforms; each kind of mistake is named with its path", () => {
  const ok = { embeddings: [[0.1, 0.2]], inference_time_ms: 1.5, model: "m", dim: 2, num_embeddings: 1 };
  assert.deepEqual(conforms(contract, "EmbedResponse", ok), []);
  assert.deepEqual(conforms(contract, "EmbedResponse", { ...ok, dim: 2.5 }), ["$/dim: must be integer"]);
  assert.deepEqual(conforms(contract, "EmbedResponse", { ...ok, embeddings: [["x"]] }), ["$/embeddings/0/0: must be number"]);
  const { model: _model, ...noModel } = ok;
  assert.deepEqual(conforms(contract, "EmbedResponse", noModel), ["$: must have required property 'model'"]);
  assert.deepEqual(conforms(contract, "EmbedResponse", [ok]), ["$: must be object"]);
  assert.deepEqual(conforms(contract, "EmbedResponse", { ...ok, dim: 0, model: 3 }), ["$/model: must be string", "$/dim: must be >= 1"]);
});

test("OpenAI's answer and error object: the shapes its clients read", () => {
  const ok = { object: "list", data: [{ object: "embedding", index: 0, embedding: [0.6, 0.8] }], model: "m", usage: { prompt_tokens: 4, total_tokens: 4 } };
  assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", ok), []);
  assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", { ...ok, data: [{ ...ok.data[0], embedding: "mpmZPs3MTD8=" }] }), [], "base64");
  assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", { ...ok, object: "embedding" }), ["$/object: must be equal to constant"]);
  assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", { ...ok, usage: { prompt_tokens: 4 } }), [
    "$/usage: must have required property 'total_tokens'",
  ]);
  assert.deepEqual(conforms(contract, "OpenAIError", { error: { message: "bad", type: "invalid_request_error", param: null, code: null } }), []);
  assert.deepEqual(conforms(contract, "OpenAIError", { error: "bad" }), ["$/error: must be object"]);
  assert.deepEqual(conforms(contract, "OpenAIEmbeddingRequest", { input: "one text" }), []);
  assert.ok(conforms(contract, "OpenAIEmbeddingRequest", { input: [] }).length > 0, "an empty list is refused");
});

test("enums, minimums and string lengths are checked", () => {
  assert.deepEqual(conforms(contract, "Health", { status: "healthy" }), []);
  assert.deepEqual(conforms(contract, "Health", { status: "fine" }), ['$/status: must be equal to one of the allowed values ["healthy","loading","failed"]']);
  assert.deepEqual(conforms(contract, "Error", { error: "" }), ["$/error: must NOT have fewer than 1 characters"]);
  const info = {
    framework: "f",
    framework_version: "1",
    language: "Python",
    model_name: "m",
    model_load_time_ms: 10,
    embedding_dim: 384,
    max_seq_length: 256,
    threads: 0,
    workers: 2,
    cpu_count: 2,
    memory_rss_mb: 100,
    pid: 7,
  };
  assert.deepEqual(conforms(contract, "Info", info), ["$/threads: must be >= 1"]);
  assert.deepEqual(conforms(contract, "Info", { ...info, threads: 1, language: "Go" }), [
    '$/language: must be equal to one of the allowed values ["Python","Rust","C++"]',
  ]);
});

test("$ref between components.schemas resolves as written in the document", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "contract-")), "openapi.yaml");
  writeFileSync(
    file,
    [
      "openapi: 3.1.0",
      "paths: {}",
      "components:",
      "  schemas:",
      "    Pair: { type: object, required: [first], properties: { first: { $ref: '#/components/schemas/Item' } } }",
      "    Item: { type: object, required: [n], properties: { n: { type: integer } } }",
    ].join("\n"),
  );
  const doc = loadContract(file);
  assert.deepEqual(conforms(doc, "Pair", { first: { n: 1 } }), []);
  assert.deepEqual(conforms(doc, "Pair", { first: { n: "1" } }), ["$/first/n: must be integer"]);
  assert.throws(() => conforms(doc, "Missing", {}), /no schema components\.schemas\.Missing/);
});

test("every family the orchestrator scrapes from a server of the contract is one every server writes, gauges as gauges", () => {
  const names = METRIC_NAMES["embed"]!;
  const families: Record<string, string> = METRIC_FAMILIES;
  const sources = Object.values(names.quantities).flatMap((q) => (Array.isArray(q) ? q : [q as Source]));
  for (const { family } of sources) assert.ok(families[family] === "counter" || families[family] === "histogram", family);
  for (const { family } of Object.values(names.gauges)) assert.equal(families[family], "gauge", family);
});
