// The INT8 variants end to end on MiniLM's real weights: the model pipeline builds onnx-int8 and
// openvino-int8 from the fp32 files the first time their framework starts and records their cosine in
// the model's manifest.json; each framework passes verify at the int8 tolerance and its results (JSON
// and CSV) say int8 under its own name; the builds are cached, so starting again builds nothing.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { builtEntry, ensureModelFormat } from "../../orchestrator/models/reduced-precision.ts";
import { modelsDir } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const VARIANTS = [
  { framework: "onnx-python-int8", format: "onnx-int8", file: "onnx-int8/model.onnx" },
  { framework: "openvino-int8", format: "openvino-int8", file: "openvino-int8/model.xml" },
] as const;

test("onnx-python-int8 and openvino-int8 verify at the int8 tolerance on MiniLM, recorded as int8 and built once", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("int8");
  const csv = path.join(dir, "results.csv");
  const frameworks = VARIANTS.map((v) => v.framework);
  const run = await runCli([
    "--frameworks",
    ...frameworks,
    "--concurrency-levels",
    "1",
    "--duration-s",
    "2",
    "--warmup-requests",
    "2",
    "--results-dir",
    dir,
    "--csv",
    csv,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-3000));

  const modelDir = path.join(modelsDir(), MODEL);
  // A quoted cell further on holds commas (load_engine): read framework before it and precision, the last column.
  const [header, ...lines] = readFileSync(csv, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(","));
  assert.equal(header!.at(-1), "precision");
  const rows = lines.map((cells) => ({ framework: cells[header!.indexOf("framework")], precision: cells.at(-1) }));
  for (const v of VARIANTS) {
    const r = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${v.framework}.json`), "utf8")));
    assert.equal(r.status, "completed", r.failure ?? "");
    assert.equal(r.server_info?.["framework"], v.framework, "the shared server reports the variant's name");
    const check = r.verification!;
    assert.equal(check.passed, true);
    assert.equal(check.precision, "int8");
    assert.equal(check.min_cosine_required, 0.99, "the int8 tolerance of config/benchmark.yaml");
    assert.ok(check.min_cosine! >= 0.99 && check.min_cosine! < 0.9999, `${v.framework}: min cosine ${check.min_cosine}: quantised, yet close`);

    const entry = builtEntry(modelDir, v.format);
    assert.ok(entry, `${v.format} is recorded in manifest.json with the current key`);
    assert.ok(entry.min_cosine_vs_reference >= 0.99, `${v.format}: ${entry.min_cosine_vs_reference}`);
    assert.ok(entry.held_out.texts >= 20 && entry.held_out.min_cosine >= 0.99, JSON.stringify(entry.held_out));
    const manifest = JSON.parse(readFileSync(path.join(modelDir, "manifest.json"), "utf8")) as { files: Record<string, unknown> };
    assert.ok(manifest.files[v.file], `${v.file} is in the manifest's file list`);

    const own = rows.filter((row) => row.framework === v.framework);
    assert.equal(own.length, 1);
    assert.equal(own[0]!.precision, "int8");

    // Cached: asked again, the file is not rebuilt.
    const before = statSync(path.join(modelDir, v.file)).mtimeMs;
    await ensureModelFormat(modelDir, v.format);
    assert.equal(statSync(path.join(modelDir, v.file)).mtimeMs, before);
  }
});
