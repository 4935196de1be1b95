// The frameworks × models matrix of docs/frameworks.md is what the manifests say (npm run docs:cli).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FRAMEWORKS_PAGE, renderMatrix, withMatrix } from "./framework-matrix.ts";

test("docs/frameworks.md's frameworks × models matrix is what the manifests' cannot_serve says (run npm run docs:cli)", () => {
  const page = readFileSync(FRAMEWORKS_PAGE, "utf8");
  assert.equal(withMatrix(page, renderMatrix()), page);
  const matrix = renderMatrix();
  assert.match(matrix, /\| `candle` \|.*MPNet: candle-transformers 0\.11\.1 has no MPNet model/);
  assert.match(matrix, /\| `onnx-cpp` \|( serves \|)+$/m, "onnx-cpp refuses no catalogue model");
});
