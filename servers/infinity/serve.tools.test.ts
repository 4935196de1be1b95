// The infinity launcher's pure parts (serve.py imports infinity only in main(), so the base Python
// runs them without the venv): THREADS / WORKERS per engine, and the staged folder of the optimum engine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env["EMBEDDING_BENCH_PYTHON"] ?? "python3";

function py(code: string, env: Record<string, string> = {}): { out: string; err: string; code: number | null } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["THREADS", "WORKERS", "PROCESSES"].includes(k)));
  const r = spawnSync(PYTHON, ["-c", `import serve\n${code}`], { cwd: HERE, env: { ...clean, ...env }, encoding: "utf8" });
  return { out: r.stdout.trim(), err: r.stderr, code: r.status };
}

/** [threads, workers] of serve.layout on a machine whose os.cpu_count() is `machine`. */
function layout(engine: string, cpus: number, env: Record<string, string> = {}, machine = 16): [number, number] {
  const r = py(`import os; os.cpu_count = lambda: ${machine}; l = serve.layout(${JSON.stringify(engine)}, ${cpus}); print(l.threads, l.workers)`, env);
  assert.equal(r.code, 0, r.err);
  const [threads, workers] = r.out.split(" ").map(Number);
  return [threads!, workers!];
}

test("unset, infinity's own layout: one replica whose runtime uses every CPU, for both engines", () => {
  assert.deepEqual(layout("torch", 4), [4, 1]);
  assert.deepEqual(layout("optimum", 4), [4, 1]);
  assert.deepEqual(layout("torch", 1), [1, 1]);
});

test("torch: setting one of THREADS / WORKERS derives the other, as in every server of the suite", () => {
  assert.deepEqual(layout("torch", 8, { THREADS: "2" }), [2, 4]);
  assert.deepEqual(layout("torch", 8, { WORKERS: "2" }), [4, 2]);
  assert.deepEqual(layout("torch", 8, { THREADS: "3", WORKERS: "2" }), [3, 2]);
  assert.deepEqual(layout("optimum", 8, { THREADS: "2" }), [2, 1], "optimum: THREADS only, one replica");
});

test("refused: WORKERS > 1 on optimum, more replicas than infinity's thread pool can run, PROCESSES > 1", () => {
  const refused = (engine: string, env: Record<string, string>, machine: number, message: RegExp) => {
    const r = py(`import os; os.cpu_count = lambda: ${machine}; serve.layout(${JSON.stringify(engine)}, 2)`, env);
    assert.notEqual(r.code, 0);
    assert.match(r.err, message);
  };
  refused("optimum", { WORKERS: "2" }, 16, /WORKERS=2: infinity's optimum engine loads one model replica/);
  // 2 CPUs: a pool of 6 threads holds one replica (3 threads) plus the scheduler and the result hand-off.
  refused("torch", { WORKERS: "2" }, 2, /WORKERS=2: infinity 0\.0\.78 runs at most 1 replicas on this machine.*= 6 threads/);
  refused("torch", { THREADS: "1" }, 2, /WORKERS=2: .*at most 1 replicas/);
  refused("torch", { PROCESSES: "2" }, 16, /only PROCESSES=1 is possible/);
  refused("torch", { THREADS: "0" }, 16, /THREADS must be a positive integer, got '0'/);
  assert.deepEqual(layout("torch", 8, { WORKERS: "6" }, 16), [1, 6], "16 CPUs: a pool of 20 threads runs 6 replicas");
  refused("torch", { WORKERS: "7" }, 16, /at most 6 replicas/);
});

function fakeModel(pooling = "mean", textTower: string | null = null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-infinity-model-"));
  mkdirSync(path.join(dir, "sentence-transformers"));
  mkdirSync(path.join(dir, "onnx"));
  const serving = { model_key: "m", embedding_dim: 4, max_seq_length: 256, pooling, normalize: true, synthetic: true, text_tower: textTower };
  writeFileSync(path.join(dir, "serving.json"), JSON.stringify(serving));
  writeFileSync(path.join(dir, "sentence-transformers", "config.json"), JSON.stringify({ model_type: "bert", max_position_embeddings: 512 }));
  writeFileSync(path.join(dir, "sentence-transformers", "tokenizer.json"), "{}");
  writeFileSync(path.join(dir, "sentence-transformers", "model.safetensors"), "weights");
  writeFileSync(path.join(dir, "onnx", "model.onnx"), "graph");
  writeFileSync(path.join(dir, "onnx", "model_optimized.onnx"), "another graph");
  return dir;
}

function stage(model: string, root: string): { out: string; err: string; code: number | null } {
  return py(
    `from pathlib import Path; from embedserver.settings import ServingConfig; m = Path(${JSON.stringify(model)}); print(serve.stage_onnx(m, ServingConfig.load(m), Path(${JSON.stringify(root)})))`,
  );
}

test("optimum's staged folder: model.onnx linked at its top, small files copied, max_position_embeddings = max_seq_length", () => {
  const model = fakeModel();
  const root = mkdtempSync(path.join(os.tmpdir(), "eb-infinity-stage-"));
  const r = stage(model, root);
  assert.equal(r.code, 0, r.err);
  const dir = r.out;
  assert.deepEqual(readdirSync(dir).sort(), ["config.json", "model.onnx", "tokenizer.json"], "no weights, no second graph: infinity sees one ONNX file");
  assert.ok(lstatSync(path.join(dir, "model.onnx")).isSymbolicLink());
  assert.ok(!lstatSync(path.join(dir, "tokenizer.json")).isSymbolicLink(), "a copy: a tokenizer saved there cannot reach the model folder");
  assert.equal(JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8")).max_position_embeddings, 256);
  assert.equal(
    JSON.parse(readFileSync(path.join(model, "sentence-transformers", "config.json"), "utf8")).max_position_embeddings,
    512,
    "the model's own is untouched",
  );
  assert.equal(stage(model, root).out, dir, "same content, same folder");
  writeFileSync(path.join(model, "onnx", "model.onnx"), "another export");
  const again = stage(model, root).out;
  assert.notEqual(again, dir, "new content, new folder");
  assert.ok(existsSync(path.join(again, "model.onnx")));
});

test("optimum refuses a model whose graph pools itself or pools by last token", () => {
  const r = stage(fakeModel("none"), mkdtempSync(path.join(os.tmpdir(), "eb-infinity-stage-")));
  assert.notEqual(r.code, 0);
  assert.match(r.err, /pooling 'none': infinity's optimum engine pools mean or cls .* use ENGINE=torch/);
});

test("a text tower of an image-text model is refused before infinity loads, with the reason", () => {
  for (const engine of ["torch", "optimum"]) {
    const r = py("serve.main()", { MODEL_DIR: fakeModel("none", "clip"), ENGINE: engine });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /m is the clip text tower of an image-text model, which infinity's engines cannot serve/);
  }
});
