import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExposition, shapes, total } from "./prometheus.ts";

// The same two families as written by prometheus_client (Python) and by the prometheus crate (Rust).
const PYTHON = `# HELP embed_requests_total POST /embed requests answered.
# TYPE embed_requests_total counter
embed_requests_total{framework="onnx-python",worker="41"} 3.0
# HELP embed_batch_texts Texts per model call.
# TYPE embed_batch_texts histogram
embed_batch_texts_bucket{framework="onnx-python",le="1.0",worker="41"} 2.0
embed_batch_texts_bucket{framework="onnx-python",le="2.0",worker="41"} 3.0
embed_batch_texts_bucket{framework="onnx-python",le="+Inf",worker="41"} 3.0
embed_batch_texts_count{framework="onnx-python",worker="41"} 3.0
embed_batch_texts_sum{framework="onnx-python",worker="41"} 4.0
`;
const RUST = `# HELP embed_batch_texts Texts per model call.
# TYPE embed_batch_texts histogram
embed_batch_texts_bucket{framework="candle",worker="7",le="1"} 0
embed_batch_texts_bucket{framework="candle",worker="7",le="2"} 1
embed_batch_texts_bucket{framework="candle",worker="7",le="+Inf"} 1
embed_batch_texts_sum{framework="candle",worker="7"} 2
embed_batch_texts_count{framework="candle",worker="7"} 1
# HELP embed_requests_total POST /embed requests answered.
# TYPE embed_requests_total counter
embed_requests_total{framework="candle",worker="7"} 5
`;

test("families, help, types, label names and buckets compare equal across number and label spellings", () => {
  const python = shapes(parseExposition(PYTHON));
  assert.deepEqual(python, {
    embed_batch_texts: { type: "histogram", help: "Texts per model call.", labels: ["framework", "worker"], buckets: [1, 2] },
    embed_requests_total: { type: "counter", help: "POST /embed requests answered.", labels: ["framework", "worker"] },
  });
  assert.deepEqual(shapes(parseExposition(RUST)), python);
});

test("a different help, bucket, label or type makes the shapes differ", () => {
  const python = shapes(parseExposition(PYTHON));
  for (const changed of [
    RUST.replace("# HELP embed_batch_texts Texts per model call.", "# HELP embed_batch_texts Texts per call."),
    RUST.replace('le="2"', 'le="4"'),
    RUST.replaceAll(/worker="7",|,worker="7"/g, ""),
    RUST.replace("# TYPE embed_requests_total counter", "# TYPE embed_requests_total gauge"),
  ]) {
    assert.notDeepEqual(shapes(parseExposition(changed)), python, changed);
  }
});

test("sample values, summed over series", () => {
  const families = parseExposition(PYTHON + PYTHON.replaceAll('worker="41"', 'worker="42"'));
  assert.equal(total(families, "embed_requests_total"), 6);
  assert.equal(total(families, "embed_batch_texts", "embed_batch_texts_count"), 6);
  assert.deepEqual(families.get("embed_requests_total")!.samples[1]!.labels, { framework: "onnx-python", worker: "42" });
  assert.throws(() => total(families, "embed_missing"), /no metric family embed_missing/);
});

test("escapes in help and label values; timestamps and comments", () => {
  const families = parseExposition(
    ["# HELP x A \\\\ and a\\nnewline.", "# TYPE x gauge", "# a comment", 'x{path="C:\\\\dir",quote="say \\"hi\\"",sp="a, b}"} 1.5e3 1700000000000'].join("\n"),
  );
  const x = families.get("x")!;
  assert.equal(x.help, "A \\ and a\nnewline.");
  assert.deepEqual(x.samples, [{ name: "x", labels: { path: "C:\\dir", quote: 'say "hi"', sp: "a, b}" }, value: 1500 }]);
});

test("lines it cannot read are errors, not silently dropped", () => {
  assert.throws(() => parseExposition("orphan_total 1\n"), /follows no # TYPE or # HELP/);
  assert.throws(() => parseExposition("# TYPE x gauge\nx{a=1} 1\n"), /bad label/);
  assert.throws(() => parseExposition('# TYPE x gauge\nx{a="1} 1\n'), /unterminated label value/);
  assert.throws(() => parseExposition("# TYPE x gauge\nx one\n"), /not a sample value/);
  assert.throws(() => parseExposition("# TYPE x kind\n"), /unknown metric type/);
  assert.throws(() => parseExposition('# TYPE x gauge\nx{a="1",a="2"} 1\n'), /repeated label/);
});
