import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelConfig } from "../plan/config-schema.ts";
import { HUB_EXIT, hubFailureAdvice, parseHubOutput } from "./hub.ts";

const spec = (extra: Record<string, unknown>) =>
  ModelConfig.parse({
    name: "m",
    type: "text_embedding",
    huggingface_id: "org/m",
    architecture: "BertModel",
    max_seq_length: 128,
    embedding_dim: 8,
    params: "1M",
    pooling: "mean",
    ...extra,
  });

test("fetch_hub.py output is read line by line", () => {
  assert.deepEqual(parseHubOutput("noise\npath=/c/snap\n"), { path: "/c/snap" });
  assert.deepEqual(parseHubOutput("reason=offline: no network\n"), { reason: "offline: no network" });
  assert.deepEqual(parseHubOutput("nothing useful"), {});
});

test("offline: says the hub is unreachable and how to bring the model in", () => {
  const msg = hubFailureAdvice("m", spec({}), HUB_EXIT.offline, "offline: x");
  assert.match(msg, /model 'm' is not available: the Hugging Face hub cannot be reached/);
  assert.match(msg, /huggingface-cli download org\/m --local-dir <dir>/);
  assert.match(msg, /npm run models -- prepare m --from <dir>/);
  assert.match(msg, /models\.m\.sources\.local/);
  assert.doesNotMatch(msg, /HF_TOKEN/);
  assert.doesNotMatch(msg, /--synthetic/);
});

test("gated: names the licence page and HF_TOKEN; synthetic is offered where a config exists", () => {
  const saved = process.env["HF_TOKEN"];
  delete process.env["HF_TOKEN"];
  try {
    const msg = hubFailureAdvice("g", spec({ gated: true, synthetic: { config: "g.json", tokenizer_from: "t" } }), HUB_EXIT.unauthorised, "gated: 401");
    assert.match(msg, /org\/m is gated: the hub refused the download \(no HF_TOKEN set\)/);
    assert.match(msg, /accept the licence at https:\/\/huggingface\.co\/org\/m and set HF_TOKEN/);
    assert.match(msg, /npm run models -- prepare g --synthetic/);
  } finally {
    if (saved !== undefined) process.env["HF_TOKEN"] = saved;
  }
});

test("not found names the catalogue field to fix", () => {
  assert.match(
    hubFailureAdvice("m", spec({}), HUB_EXIT.notFound, "not-found"),
    /does not exist on the hub \(config\/models\.yaml: models\.m\.huggingface_id\)/,
  );
});
