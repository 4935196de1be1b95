import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readPrepared } from "./prepare-model.ts";
import { builtEntry, isReducedPrecisionFile } from "./reduced-precision.ts";

test("a missing INT8 file voids only its own format, never the prepared fp32 folder", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-int8-"));
  const file = { sha256: "0", bytes: 1 };
  writeFileSync(path.join(dir, ".prepared.json"), JSON.stringify({ base: "b", variant: { kind: "weights" } }));
  mkdirSync(path.join(dir, "onnx"));
  writeFileSync(path.join(dir, "onnx", "model.onnx"), "x");
  const entry = { key: "stale", method: "m", min_cosine_vs_reference: 0.995, held_out: { texts: 20, min_cosine: 0.995, mean_cosine: 0.998 } };
  writeFileSync(
    path.join(dir, "manifest.json"),
    JSON.stringify({ files: { "onnx/model.onnx": file, "onnx-int8/model.onnx": file }, reduced_precision: { "onnx-int8": entry } }),
  );
  assert.ok(readPrepared(dir), "the fp32 files are all there");
  assert.equal(builtEntry(dir, "onnx-int8"), null, "its file is missing and its key is not the current one");
  assert.equal(builtEntry(dir, "onnx"), null, "the pipeline's own formats are never built here");
  assert.ok(isReducedPrecisionFile("openvino-int8/model.bin") && !isReducedPrecisionFile("openvino/model.bin"));
  rmSync(dir, { recursive: true, force: true });
});
