// `npm run models -- list | prepare <model> | verify <model> | dataset <model>`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ensureWritableFile } from "../store/writable.ts";
import { catalogueModel, loadYamlFile } from "../plan/config.ts";
import { ModelsFile } from "../plan/config-schema.ts";
import { log } from "../platform/log.ts";
import { ROOT } from "../platform/paths.ts";
import { runCommand } from "../platform/proc.ts";
import { ensureVenv } from "../toolchain/python.ts";
import { modelsHelpText, parseModelsArgs, type ModelsArgs } from "../plan/models-options.ts";
import { ensureModel, modelDir, readPrepared, verifyModel } from "../models/prepare-model.ts";
import { runMain, UserError } from "../platform/errors.ts";

function loadCatalogue(): ModelsFile {
  return loadYamlFile(path.join(ROOT, "config", "models.yaml"), ModelsFile);
}

function list(catalogue: ModelsFile, json: boolean): void {
  const rows = Object.entries(catalogue.models).map(([key, m]) => {
    const prepared = readPrepared(modelDir(key));
    const sources = [m.sources.local ? "local" : "", m.sources.pypi ? "pypi" : "", "hub", m.synthetic ? "synthetic" : ""].filter(Boolean);
    return {
      key,
      huggingface_id: m.huggingface_id,
      params: m.params,
      embedding_dim: m.embedding_dim,
      max_seq_length: m.max_seq_length,
      pooling: m.text_tower ? `${m.text_tower} tower` : m.pooling,
      gated: m.gated,
      sources,
      prepared: prepared ? (prepared.synthetic ? "SYNTHETIC" : "yes") : "no",
    };
  });
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const header = ["model", "hub id", "params", "dim", "max len", "pooling", "gated", "sources", "prepared"];
  const table = [
    header,
    ...rows.map((r) => [
      r.key,
      r.huggingface_id,
      r.params,
      String(r.embedding_dim),
      String(r.max_seq_length),
      r.pooling,
      r.gated ? "yes" : "no",
      r.sources.join(","),
      r.prepared,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
}

async function prepare(a: ModelsArgs, catalogue: ModelsFile): Promise<number> {
  const key = a.model!;
  const spec = catalogueModel(catalogue, key);
  const o = a.options;
  const model = await ensureModel(key, spec, {
    variant: o.synthetic
      ? { kind: "synthetic", seed: o.seed, ...(o.layers !== undefined ? { layers: o.layers } : {}) }
      : { kind: "weights", ...(o.from ? { from: o.from } : {}) },
    force: o.force,
  });
  const manifest = JSON.parse(readFileSync(path.join(model.dir, "manifest.json"), "utf8")) as {
    source: string;
    min_cosine_vs_torch: Record<string, number>;
    files: Record<string, unknown>;
  };
  const serving = JSON.parse(readFileSync(path.join(model.dir, "serving.json"), "utf8")) as { name: string };
  log.step(`${key} ready at ${model.dir}: ${serving.name}; source ${manifest.source}; ${Object.keys(manifest.files).length} files`);
  log.step(
    `min cosine vs torch reference: ${Object.entries(manifest.min_cosine_vs_torch)
      .map(([k, v]) => `${k} ${v.toFixed(6)}`)
      .join(", ")}`,
  );
  if (model.synthetic) log.warn(`${key} has SYNTHETIC random weights: use it for performance only, never for quality`);
  return 0;
}

async function verify(a: ModelsArgs): Promise<number> {
  const report = await verifyModel(a.model!, { torch: !a.options.no_torch });
  if (a.options.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `${a.model}${report.synthetic ? " (SYNTHETIC weights)" : ""}: ${report.files_checked} files checked against manifest.json, ${report.probes} probes`,
    );
    for (const [fmt, cos] of Object.entries(report.min_cosine))
      console.log(`  ${fmt.padEnd(22)} min cosine ${cos.toFixed(6)} ${cos >= report.threshold ? "ok" : "FAIL"}`);
    for (const p of report.problems) console.log(`  problem: ${p}`);
    console.log(report.ok ? "verify: ok" : "verify: FAILED");
  }
  return report.ok ? 0 : 1;
}

async function dataset(a: ModelsArgs, catalogue: ModelsFile): Promise<number> {
  const key = a.model!;
  const spec = catalogueModel(catalogue, key);
  const corpus = path.resolve(a.options.corpus!);
  if (!existsSync(corpus)) throw new UserError(`--corpus: file not found: ${corpus}`);
  // Proven before the model is prepared and the corpus tokenized.
  if (a.options.out !== undefined) ensureWritableFile(a.options.out, "--out", "dataset.json");
  const model = await ensureModel(key, spec);
  const tokens = a.options.tokens ?? 128;
  const out = path.resolve(a.options.out ?? path.join(model.dir, "datasets", `${path.parse(corpus).name}-tokens-${tokens}.json`));
  const tools = await ensureVenv("model-tools", path.join(ROOT, "orchestrator", "models", "pipeline", "requirements.txt"));
  await runCommand(
    tools.python,
    [
      path.join(ROOT, "orchestrator", "models", "pipeline", "token_datasets.py"),
      "--tokenizer",
      path.join(model.dir, "tokenizer.json"),
      "--corpus",
      corpus,
      "--tokens",
      String(tokens),
      "--max-seq-length",
      String(spec.max_seq_length),
      "--count",
      String(a.options.count),
      "--out",
      out,
    ],
    { stream: "  " },
  ).catch((err: Error) => {
    throw new UserError(`dataset from ${corpus} failed: ${err.message}`);
  });
  console.log(out);
  log.step(`use it: npm run bench:k6 -- --model ${key} --dataset ${path.relative(process.cwd(), out)}  (or npm run load -- --dataset ${out} …)`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const a = parseModelsArgs(argv);
  if (a.options.help) {
    process.stdout.write(modelsHelpText());
    return 0;
  }
  const catalogue = loadCatalogue();
  switch (a.command) {
    case "list":
      list(catalogue, a.options.json);
      return 0;
    case "prepare":
      return prepare(a, catalogue);
    case "verify":
      catalogueModel(catalogue, a.model!);
      return verify(a);
    case "dataset":
      return dataset(a, catalogue);
  }
}

runMain(main);
