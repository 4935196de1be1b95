// Command-line options: one zod schema gives parsing, validation, types and the --help text.
import { z } from "zod";
import { ProfileName } from "../config/schema.ts";
import { INFLUX_ENV, InfluxOnError } from "../influx/export.ts";
import { UserError } from "../errors.ts";

const positiveInt = z.coerce.number().int().positive();

export const CliOptions = z
  .object({
    model: z.string().optional().describe("model key from config/models.yaml (default: benchmark.yaml default_model)"),
    frameworks: z
      .array(z.string())
      .min(1)
      .optional()
      .describe("frameworks to run, in this order (default: every servers/*/manifest.yaml)"),
    profile: ProfileName.optional().describe("benchmark profile from config/benchmark.yaml: quick | standard | full (default: default_profile)"),
    skip_on_error: z
      .boolean()
      .default(false)
      .describe("a failed framework is skipped without failing the run (exit 0 if any framework completed); without it a failure is still reported, the run goes on, and the exit status is 1"),
    summary_only: z.boolean().default(false).describe("run nothing: print the summary of the results already in --results-dir"),
    csv: z
      .union([z.literal(true), z.string().min(1)])
      .optional()
      .describe("also write CSV (seed header first); optional file name, default <results-dir>/benchmark_results_<timestamp>.csv"),
    levels: z.array(positiveInt).min(1).optional().describe("override the profile's concurrency levels, e.g. --levels 1 4 8"),
    duration_s: z.coerce.number().positive().optional().describe("override the profile's seconds of load per level"),
    batch_size: positiveInt.optional().describe("override the profile's texts per request"),
    warmup_requests: z.coerce.number().int().nonnegative().optional().describe("override the profile's discarded warmup requests"),
    seq_len: z.coerce
      .number()
      .pipe(z.union([z.literal(32), z.literal(128), z.literal(512)]))
      .optional()
      .describe("input length in tokens, 32 | 128 | 512: k6 sends models/<model>/datasets/tokens-<N>.json (texts of exactly N tokens with the model's tokenizer); default: built-in 24-word texts"),
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe("JSON file {\"texts\": [...]} that k6 sends instead, e.g. your corpus via `npm run models -- dataset <model> --corpus <file>`"),
    threads: positiveInt.optional().describe("thread count passed to every server (its threads_env); default: each server's own choice"),
    influx: z
      .string()
      .min(1)
      .optional()
      .describe(`export to InfluxDB v1: k6 samples and the orchestrator's series, e.g. http://127.0.0.1:8086/embedding_bench (default: $${INFLUX_ENV})`),
    influx_on_error: z
      .enum(InfluxOnError)
      .default("stop")
      .describe("when InfluxDB is unreachable at the start: stop (exit 2) | continue without export (default: stop)"),
    k6_report: z.boolean().default(false).describe("save k6's web-dashboard HTML report of each level as <results-dir>/<model>/k6/<framework>-c<N>.report.html"),
    results_dir: z.string().min(1).default("results").describe("where results/<model>/<framework>.json are written (default: results)"),
    list: z.boolean().default(false).describe("list the models and frameworks found, then exit"),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type CliOptions = z.infer<typeof CliOptions>;

type Kind = "boolean" | "array" | "optional-value" | "value";

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; options?: ZodInternals[] } };
}

/** How many values a flag takes, read off its schema. */
export function flagKind(schema: z.ZodType): Kind {
  let cur = schema as unknown as ZodInternals;
  while (["optional", "default", "nullable"].includes(cur._zod.def.type)) cur = cur._zod.def.innerType!;
  const t = cur._zod.def.type;
  if (t === "boolean") return "boolean";
  if (t === "array") return "array";
  if (t === "union" && cur._zod.def.options?.some((o) => o._zod.def.type === "literal")) return "optional-value";
  return "value";
}

const toKey = (flag: string) => flag.replace(/-/g, "_");
const toFlag = (key: string) => `--${key.replace(/_/g, "-")}`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const shape = CliOptions.shape as Record<string, z.ZodType>;
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "-h") {
      raw["help"] = true;
      continue;
    }
    if (!token.startsWith("--")) throw new UserError(`unexpected argument '${token}' (options start with --; see --help)`);
    const [name, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const key = toKey(name);
    const field = shape[key];
    if (!field) throw new UserError(`unknown option --${name} (see --help)`);
    const kind = flagKind(field);
    const takeValues = () => {
      const values: string[] = inline !== undefined ? [inline] : [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) values.push(argv[++i]!);
      return values;
    };
    if (kind === "boolean") {
      if (inline !== undefined) throw new UserError(`--${name} takes no value`);
      raw[key] = true;
    } else if (kind === "array") {
      const values = takeValues();
      if (values.length === 0) throw new UserError(`--${name} needs at least one value`);
      raw[key] = [...((raw[key] as string[] | undefined) ?? []), ...values];
    } else if (kind === "optional-value") {
      const next = argv[i + 1];
      if (inline !== undefined) raw[key] = inline;
      else if (next !== undefined && !next.startsWith("--")) raw[key] = argv[++i];
      else raw[key] = true;
    } else {
      const values = takeValues();
      if (values.length !== 1) throw new UserError(`--${name} needs exactly one value`);
      raw[key] = values[0];
    }
  }
  const parsed = CliOptions.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(
      parsed.error.issues.map((iss) => `${iss.path.length ? toFlag(String(iss.path[0])) : "options"}: ${iss.message}`).join("\n"),
    );
  }
  return parsed.data;
}

export function helpText(): string {
  const shape = CliOptions.shape as Record<string, z.ZodType>;
  const lines = Object.entries(shape).map(([key, field]) => {
    const kind = flagKind(field);
    const arg = kind === "array" ? " <v> [<v> …]" : kind === "optional-value" ? " [file]" : kind === "value" ? " <v>" : "";
    return [`  ${toFlag(key)}${arg}`, `      ${field.description ?? ""}`];
  });
  return [
    "Usage: npm run bench:k6 -- [options]",
    "",
    "Prepares the model, then for each framework: starts its server, checks /health, warms up, drives",
    "constant-VU k6 load at each concurrency level, samples server and k6 CPU/RSS, and writes",
    "<results-dir>/<model>/<framework>.json after every level.",
    "",
    "Options:",
    ...lines.flat(),
    "",
    "Environment: K6_BIN (k6 binary to use), EMBEDDING_BENCH_CACHE (cache folder, default ~/.cache/embedding-bench),",
    "EMBEDDING_BENCH_MODELS (prepared models, default ./models), EMBEDDING_BENCH_PYTHON (base Python, default python3),",
    "EMBEDDING_BENCH_EXTRA_SERVERS (extra folders of server folders, ':'-separated),",
    `${INFLUX_ENV} (InfluxDB URL when --influx is not given).`,
    "",
  ].join("\n");
}
