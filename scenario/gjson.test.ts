import assert from "node:assert/strict";
import { test } from "node:test";
import { gjsonGet } from "./gjson.ts";

test("keys, indices, # and #(key==value) queries, as k6's Response.json(path) reads them", () => {
  const doc = {
    embeddings: [
      [1, 2, 3],
      [4, 5, 6],
    ],
    outputs: [
      { name: "A.b", shape: [2, 7] },
      { name: "EMB", shape: [3, 9] },
    ],
  };
  assert.equal(gjsonGet(doc, "embeddings.#"), 2);
  assert.equal(gjsonGet(doc, "embeddings.0.#"), 3);
  assert.equal(gjsonGet(doc, "embeddings.1.2"), 6);
  assert.equal(gjsonGet(doc, 'outputs.#(name=="EMB").shape.0'), 3);
  assert.equal(gjsonGet(doc, 'outputs.#(name=="A.b").shape.1'), 7);
  assert.equal(
    gjsonGet(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      "#",
    ),
    3,
  );
  assert.equal(
    gjsonGet(
      [
        [1, 2],
        [3, 4],
      ],
      "0.#",
    ),
    2,
  );
});

test("a path that leads nowhere is undefined, never a throw", () => {
  assert.equal(gjsonGet({ embeddings: [] }, "embeddings.0.#"), undefined);
  assert.equal(gjsonGet({ a: 1 }, "a.#"), undefined);
  assert.equal(gjsonGet(null, "a"), undefined);
  assert.equal(gjsonGet({ outputs: [] }, 'outputs.#(name=="X").shape.0'), undefined);
  assert.equal(gjsonGet("text", "#"), undefined);
});
