import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { tempDir } from "../../tests/e2e/helpers.ts";
import { compareEmbeddings, cosine, loadProbes, mergeComparisons, NORM_TOLERANCE, VERIFY_BATCH, verifyServer } from "./verify.ts";

const unit = (v: number[]) => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
};

test("cosine: parallel 1, orthogonal 0, opposite -1, scale-free, zero vector 0", () => {
  assert.equal(cosine([1, 2, 3], [2, 4, 6]), 1);
  assert.equal(cosine([1, 0], [0, 3]), 0);
  assert.equal(cosine([1, 1], [-1, -1]), -1);
  assert.ok(Math.abs(cosine([3, 4], [4, 3]) - 24 / 25) < 1e-12);
  assert.equal(cosine([0, 0], [1, 0]), 0);
  assert.throws(() => cosine([1], [1, 2]), /different lengths/);
});

test("identical unit vectors pass with cosine 1 and no norm error", () => {
  const ref = [unit([1, 2, 3]), unit([3, -1, 0.5])];
  const cmp = compareEmbeddings(["a", "b"], ref, ref, 0.999, "alone");
  assert.deepEqual(cmp.problems, []);
  assert.ok(Math.abs(cmp.min_cosine! - 1) < 1e-12);
  assert.ok(cmp.max_norm_error! < 1e-12);
});

test("a vector just under the threshold fails and the reason names the probe and cosine", () => {
  const ref = [unit([1, 0, 0]), unit([0, 1, 0])];
  // cosine 0.998 with the first reference, still unit length.
  const off = [0.998, Math.sqrt(1 - 0.998 ** 2), 0];
  const cmp = compareEmbeddings(["first text", "second"], ref, [off, ref[1]!], 0.999, "as one batch");
  assert.equal(cmp.problems.length, 1);
  assert.match(cmp.problems[0]!, /^as one batch: probe 0 "first text": cosine 0\.998000 < 0\.999$/);
  assert.ok(Math.abs(cmp.min_cosine! - 0.998) < 1e-9);
  // The same vector passes a looser threshold.
  assert.deepEqual(compareEmbeddings(["first text", "second"], ref, [off, ref[1]!], 0.99, "x").problems, []);
});

test("right direction but not normalised is a problem; float32 rounding is not", () => {
  const ref = [unit([1, 2, 2])];
  const scaled = ref[0]!.map((x) => x * 7.2);
  const cmp = compareEmbeddings(["t"], ref, [scaled], 0.999, "alone");
  assert.equal(cmp.problems.length, 1);
  assert.match(cmp.problems[0]!, /norm 7\.200000, expected 1/);
  const rounded = ref[0]!.map((x) => Math.fround(x));
  const ok = compareEmbeddings(["t"], ref, [rounded], 0.999, "alone");
  assert.deepEqual(ok.problems, []);
  assert.ok(ok.max_norm_error! < NORM_TOLERANCE);
});

test("missing vectors, wrong count and wrong dimension are problems", () => {
  const ref = [unit([1, 0]), unit([0, 1])];
  const cmp = compareEmbeddings(["a", "b"], ref, [[1, 0, 0]], 0.999, "alone");
  assert.deepEqual(cmp.problems, ["alone: expected 2 embeddings, got 1", 'alone: probe 0 "a": dimension 3, expected 2']);
  assert.equal(cmp.min_cosine, null);
});

test("long texts are shortened in reasons", () => {
  const text = "x".repeat(500);
  const cmp = compareEmbeddings([text], [unit([1, 0])], [[0, 1]], 0.999, "alone");
  assert.ok(cmp.problems[0]!.length < 120, cmp.problems[0]);
});

test("mergeComparisons keeps the worst cosine and norm error and every problem", () => {
  const merged = mergeComparisons([
    { min_cosine: 0.9999, max_norm_error: 1e-7, problems: [] },
    { min_cosine: 0.5, max_norm_error: 1e-6, problems: ["p"] },
    { min_cosine: null, max_norm_error: null, problems: ["q"] },
  ]);
  assert.deepEqual(merged, { min_cosine: 0.5, max_norm_error: 1e-6, problems: ["p", "q"] });
});

test("loadProbes names the file and the problem", () => {
  const dir = tempDir("probes");
  assert.throws(() => loadProbes(dir), /no reference embeddings at .*reference\/probes\.json/);
  mkdirSync(path.join(dir, "reference"));
  const file = path.join(dir, "reference", "probes.json");
  writeFileSync(file, JSON.stringify({ texts: ["a", "b"], embeddings: [[1, 0]], normalized: true, source: "t" }));
  assert.throws(() => loadProbes(dir), /probes\.json: 2 texts but 1 embeddings/);
  writeFileSync(file, JSON.stringify({ texts: ["a"], embeddings: [[1, 0]], source: "t" }));
  assert.throws(() => loadProbes(dir), /probes\.json: normalized: /);
  writeFileSync(file, JSON.stringify({ texts: ["a"], embeddings: [[1, 0]], normalized: true, source: "t" }));
  assert.deepEqual(loadProbes(dir).texts, ["a"]);
});

test("verifyServer sends each probe alone, then in batches of VERIFY_BATCH; a batch answered short fails its texts", async (t) => {
  const texts = Array.from({ length: 10 }, (_, i) => `probe ${i}`);
  const embeddings = texts.map((_, i) => unit([1, i + 1]));
  const sizes: number[] = [];
  let dropFromBatchOf = 0;
  // Answers each text with its reference vector; the batch of `dropFromBatchOf` texts loses its last one.
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const asked = (JSON.parse(body) as { texts: string[] }).texts;
      sizes.push(asked.length);
      const vectors = asked.map((text) => embeddings[texts.indexOf(text)]!);
      if (asked.length === dropFromBatchOf) vectors.pop();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ embeddings: vectors }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probes = { texts, embeddings, normalized: true, source: "test" };

  const good = await verifyServer(url, probes, { minCosine: 0.9999, timeoutMs: 5000 });
  assert.equal(good.passed, true, good.reason ?? "");
  assert.equal(VERIFY_BATCH, 4);
  assert.deepEqual(sizes, [...texts.map(() => 1), 4, 4, 2]);

  dropFromBatchOf = 2;
  const short = await verifyServer(url, probes, { minCosine: 0.9999, timeoutMs: 5000 });
  assert.equal(short.passed, false);
  assert.match(short.reason ?? "", /probes 8–9 as one batch: expected 2 embeddings, got 1/);
  assert.equal(short.min_cosine, 1, "the texts of the other batches were still compared");
});
