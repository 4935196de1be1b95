import assert from "node:assert/strict";
import { test } from "node:test";
import { toLine, toLines } from "./line.ts";

test("a point becomes one line: sorted tags, sorted fields, ms timestamp", () => {
  const line = toLine({
    measurement: "eb_level",
    tags: { run_id: "r1", framework: "onnx-python" },
    fields: { throughput_qps: 145.5, errors: 0 },
    timeMs: 1763898427500,
  });
  assert.equal(line, "eb_level,framework=onnx-python,run_id=r1 errors=0,throughput_qps=145.5 1763898427500");
});

test("spaces, commas and equals signs are escaped where line protocol needs it", () => {
  const line = toLine({
    measurement: "my measurement,x",
    tags: { "tag key": "a=b,c d" },
    fields: { "f=1": 'say "hi" \\ there', ok: true, bad: false },
    timeMs: 1,
  });
  assert.equal(line, 'my\\ measurement\\,x,tag\\ key=a\\=b\\,c\\ d bad=false,f\\=1="say \\"hi\\" \\\\ there",ok=true 1');
});

test("non-finite and null fields and empty tags are dropped; no field left means no line", () => {
  assert.equal(toLine({ measurement: "m", tags: { a: "", b: "x" }, fields: { n: NaN, i: Infinity, z: null, u: undefined, v: 2 }, timeMs: 5 }), "m,b=x v=2 5");
  assert.equal(toLine({ measurement: "m", tags: {}, fields: { n: NaN }, timeMs: 5 }), null);
  assert.equal(
    toLines([
      { measurement: "m", tags: {}, fields: { n: NaN }, timeMs: 5 },
      { measurement: "m", tags: {}, fields: { v: 1 }, timeMs: 6 },
    ]),
    "m v=1 6",
  );
});

test("integers are written as floats so a field keeps one type across points", () => {
  assert.equal(toLine({ measurement: "m", tags: {}, fields: { errors: 3 }, timeMs: 1 }), "m errors=3 1");
  assert.doesNotMatch(toLine({ measurement: "m", tags: {}, fields: { errors: 3 }, timeMs: 1 })!, /3i/);
});

test("fractional timestamps are refused rather than silently truncated", () => {
  assert.throws(() => toLine({ measurement: "m", tags: {}, fields: { v: 1 }, timeMs: 1.5 }), /integer milliseconds/);
});
