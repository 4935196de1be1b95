// Each adapter on recorded bodies (tests/fixtures/apis/): the request it builds is the documented
// one, and the vectors it extracts are the model's. embed and openai bodies were recorded from
// onnx-python; tei and kserve bodies carry the same reference vectors in the shapes of TEI's /embed
// and the KServe v2 infer response (Triton's flat row-major FP32 `data`), as their documentation gives them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { adapterFor, API_NAMES, DEFAULT_API_SETTINGS, type ApiSettings } from "./index.ts";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "tests", "fixtures", "apis");
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8"));
const reference = fixture("reference.json") as { texts: string[]; embeddings: number[][] };
const settings: ApiSettings = { ...DEFAULT_API_SETTINGS, model: "sentence-transformers/all-MiniLM-L6-v2" };
const kserveSettings: ApiSettings = { ...DEFAULT_API_SETTINGS, model: "all-MiniLM-L6-v2" };
const settingsOf = (api: string) => (api === "kserve" ? kserveSettings : settings);

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
  return dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
}

for (const api of API_NAMES) {
  test(`${api}: the request is the documented one`, () => {
    const req = adapterFor(api).request(reference.texts, settingsOf(api), true);
    assert.deepEqual(req.body, fixture(`${api}.request.json`));
  });

  test(`${api}: the recorded answer gives the reference vectors, in order`, () => {
    const vectors = adapterFor(api).vectors(fixture(`${api}.response.json`), settingsOf(api));
    assert.ok(Array.isArray(vectors), String(vectors));
    assert.equal(vectors.length, reference.texts.length);
    vectors.forEach((v, i) => {
      assert.equal(v.length, 384);
      assert.ok(cosine(v, reference.embeddings[i]!) > 0.9999, `vector ${i}: cosine ${cosine(v, reference.embeddings[i]!)}`);
    });
  });
}

test("paths: each API's own route", () => {
  const paths = Object.fromEntries(API_NAMES.map((api) => [api, adapterFor(api).request(["x"], settingsOf(api), true).path]));
  assert.deepEqual(paths, { embed: "/embed", openai: "/v1/embeddings", tei: "/embed", kserve: "/v2/models/all-MiniLM-L6-v2/infer" });
  assert.equal(adapterFor("kserve").request(["x"], { ...kserveSettings, model: "a b/c" }, true).path, "/v2/models/a%20b%2Fc/infer");
  assert.throws(() => adapterFor("kserve").request(["x"], DEFAULT_API_SETTINGS, true), /needs the served model's name/);
});

test("normalize is asked where the API has the choice", () => {
  assert.deepEqual(adapterFor("embed").request(["x"], settings, false).body, { texts: ["x"], normalize: false });
  assert.deepEqual(adapterFor("tei").request(["x"], settings, false).body, { inputs: ["x"], normalize: false });
  assert.deepEqual(adapterFor("openai").request(["x"], DEFAULT_API_SETTINGS, true).body, { input: ["x"], encoding_format: "float" }, "no model: none sent");
});

test("the k6 check's GJSON paths", () => {
  const paths = (api: string) => [adapterFor(api).countPath(settingsOf(api)), adapterFor(api).dimPath(settingsOf(api))];
  assert.deepEqual(paths("embed"), ["embeddings.#", "embeddings.0.#"]);
  assert.deepEqual(paths("openai"), ["data.#", "data.0.embedding.#"]);
  assert.deepEqual(paths("tei"), ["#", "0.#"]);
  assert.deepEqual(paths("kserve"), ['outputs.#(name=="EMBEDDINGS").shape.0', 'outputs.#(name=="EMBEDDINGS").shape.1']);
});

test("where each API's server describes itself (recorded as server_info)", () => {
  const info = (api: string) => adapterFor(api).infoPath(settingsOf(api));
  assert.equal(info("embed"), "/info");
  assert.equal(info("tei"), "/info");
  assert.equal(info("openai"), "/v1/models");
  assert.equal(info("kserve"), `/v2/models/${settingsOf("kserve").model}/config`);
});

test("openai: data is put in index order; bad indices and base64 strings are refused", () => {
  const openai = adapterFor("openai");
  const item = (index: unknown, embedding: unknown) => ({ object: "embedding", index, embedding });
  assert.deepEqual(openai.vectors({ data: [item(1, [0, 1]), item(0, [1, 0])] }, settings), [
    [1, 0],
    [0, 1],
  ]);
  assert.match(String(openai.vectors({ data: [item(0, [1]), item(0, [2])] }, settings)), /index must be 0\.\.1 once each/);
  assert.match(String(openai.vectors({ data: [item("0", [1])] }, settings)), /index must be/);
  assert.match(String(openai.vectors({ data: [item(0, "AACAPw==")] }, settings)), /base64 string/);
  assert.match(String(openai.vectors({ error: { message: "no" } }, settings)), /no 'data' array/);
});

test("kserve: the named output, flat or nested, of the declared shape", () => {
  const kserve = adapterFor("kserve");
  const out = (o: Record<string, unknown>) => ({
    outputs: [
      { name: "OTHER", datatype: "INT64", shape: [1], data: [7] },
      { name: "EMBEDDINGS", datatype: "FP32", shape: [2, 2], data: [1, 0, 0, 1], ...o },
    ],
  });
  assert.deepEqual(kserve.vectors(out({}), kserveSettings), [
    [1, 0],
    [0, 1],
  ]);
  assert.deepEqual(
    kserve.vectors(
      out({
        data: [
          [1, 0],
          [0, 1],
        ],
      }),
      kserveSettings,
    ),
    [
      [1, 0],
      [0, 1],
    ],
  );
  assert.match(String(kserve.vectors(out({ data: [1, 0, 0] }), kserveSettings)), /3 values, shape 2x2 needs 4/);
  assert.match(String(kserve.vectors(out({ shape: [4] }), kserveSettings)), /expected \[texts, dim\]/);
  assert.match(String(kserve.vectors(out({ datatype: "BYTES" }), kserveSettings)), /datatype "BYTES"/);
  assert.match(
    String(kserve.vectors(out({}), { ...kserveSettings, kserveOutput: "sentence_embedding" })),
    /no output tensor 'sentence_embedding' \(outputs: \["OTHER","EMBEDDINGS"\]\)/,
  );
});

test("embed and tei: a missing array or a non-numeric vector is named", () => {
  assert.match(String(adapterFor("embed").vectors({ error: "x" }, settings)), /no 'embeddings' array/);
  assert.match(String(adapterFor("embed").vectors({ embeddings: [[1], ["a"]] }, settings)), /embeddings\[1\] is not a non-empty array of numbers/);
  assert.match(String(adapterFor("tei").vectors({ error: "x" }, settings)), /expected an array of vectors/);
  assert.match(String(adapterFor("tei").vectors([[1], []], settings)), /vector 1 is not/);
});

test("an unknown API name lists the known ones", () => {
  assert.throws(() => adapterFor("grpc"), /unknown API 'grpc': expected one of embed, openai, tei, kserve/);
});
