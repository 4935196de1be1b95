import assert from "node:assert/strict";
import { test } from "node:test";
import { shapeProblem, type EmbedAnswer } from "./api.ts";

const reply = { status: 200, body: null, ms: 1 };
const answer = (vectors: number[][]): EmbedAnswer => ({ reply, vectors, problem: null });

test("shapeProblem: the count and every vector's dimension, or the adapter's own problem", () => {
  assert.equal(shapeProblem(answer([[1, 0]]), 1, 2), null);
  assert.equal(shapeProblem(answer([[1, 0]]), 2, 2), "expected 2 embeddings, got 1");
  assert.equal(shapeProblem(answer([[1, 0], [1]]), 2, 2), "embedding 1 has dimension 1, expected 2");
  assert.equal(shapeProblem({ reply: { ...reply, status: 404 }, vectors: null, problem: "HTTP 404 x" }, 1, 2), "HTTP 404 x");
});
