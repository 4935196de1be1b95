// Options of `npm run bench:k6` and `npm run bench:overhead` (a subset): one zod schema gives parsing
// (through ./flags.ts), validation, types and the --help text.
import { z } from "zod";
import { API_NAMES } from "../../scenario/apis/api.ts";
import { BOUNDS, ProfileFields, type BenchmarkFile, type ProfileKey, type ProfileOverrides } from "./config-schema.ts";
import { LAUNCHERS, PRECISIONS } from "../results/schema.ts";
import { UserError } from "../platform/errors.ts";
import { parseSlo } from "./slo.ts";
import { flagSpecs, flagsHelp, parseFlags, toFlag, type FlagRule, type FlagSpec } from "./flags.ts";

/** The variable that names the InfluxDB to export to when --influx is not given. */
export const INFLUX_ENV = "EMBEDDING_BENCH_INFLUX";
export const InfluxOnError = ["stop", "continue"] as const;
export type InfluxOnError = (typeof InfluxOnError)[number];
/** --engine: auto picks k6 when one is installed, else the embedded engine. */
export const ENGINE_CHOICES = ["auto", "embedded", "k6"] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

// No z.coerce: ./flags.ts turns the strings into numbers itself, with a message that echoes the input.
const positiveInt = z.number().int().positive();
const LAYOUT = /^[1-9]\d*[x×][1-9]\d*$/;
const LAYOUT_MESSAGE = "expected auto or THREADSxWORKERS, e.g. 1x2 (threads per model call × model calls at once)";

const BaseOptions = z
  .object({
    model: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ placeholder: "key" })
      .describe(
        "model keys from config/models.yaml (default: benchmark.yaml default_model); several: each is a dimension of the sweep, with its own result folder <run>/<model>/",
      ),
    frameworks: z
      .array(z.string())
      .min(1)
      .optional()
      .meta({ placeholder: "name" })
      .describe(
        "frameworks to run, in this order (default: every servers/*/manifest.yaml, where one this machine cannot run is skipped without failing the run)",
      ),
    profile: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "name" })
      .describe("benchmark profile defined in config/benchmark.yaml (default: its default_profile)"),
    skip_on_error: z
      .boolean()
      .default(false)
      .describe(
        "a failed framework is skipped without failing the run (exit 0 if any framework completed); without it a failure is still reported, the run goes on, and the exit status is 1",
      ),
    summary_only: z.boolean().default(false).describe("run nothing: print the summary of the latest run in --results-dir (or of --run <id>)"),
    run: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "id" })
      .describe("read this stored run (an id from --runs, or latest) instead of running; implies --summary-only"),
    runs: z
      .boolean()
      .default(false)
      .describe("list the runs stored in --results-dir (date, status, levels finished, model, frameworks, profile, commit, machine), then exit"),
    csv: z
      .union([z.literal(true), z.string().min(1)])
      .optional()
      .meta({ placeholder: "file" })
      .describe("also write CSV (seed header first); optional file name, default <results-dir>/runs/<run_id>/benchmark_results_<timestamp>.csv"),
    slo: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "objective" })
      .describe(
        "after each batch size and text length's levels, search each framework's highest open-loop rate meeting this objective there, e.g. 'p99<50ms' or 'p95<20ms,errors<1%' " +
          "(p50/p95/p99 in ms; starts from those levels' best closed-loop QPS, else the profile's slo_start_rps, then bisects)",
      ),
    dataset: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "file" })
      .describe('JSON file {"texts": [...]} that the load engine sends instead, e.g. your corpus via `npm run models -- dataset <model> --corpus <file>`'),
    threads: positiveInt
      .max(BOUNDS.threads)
      .optional()
      .meta({ placeholder: "n" })
      .describe("thread count passed to every server (its threads_env); default: every server's default, 1 (with one worker per CPU)"),
    layout: z
      .union([
        z.literal("auto"),
        z
          .string()
          .regex(LAYOUT, LAYOUT_MESSAGE)
          .refine(
            (v) => !LAYOUT.test(v) || v.split(/[x×]/).every((n) => Number(n) <= BOUNDS.threads),
            `threads and workers must each be at most ${BOUNDS.threads}`,
          ),
      ])
      .optional()
      .meta({ placeholder: "TxW|auto" })
      .describe(
        `one layout for every server: THREADS (intra-op threads per model call) x WORKERS (model calls at once), each 1 to ${BOUNDS.threads}, e.g. 1x2; ` +
          "or auto: each framework tries 1xN, Nx1 and one between (N = the server's CPUs) on a short probe level (layout_probe in config/benchmark.yaml) " +
          "and is benchmarked with the best; default: every server's own default, 1xN (one single-thread call per CPU)",
      ),
    cpus: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ placeholder: "set" })
      .describe(
        "CPUs of the server and of the load engine (client), applied with the kernel's affinity: 'server=<list> client=<list>' (e.g. server=0-2 client=3), " +
          "or 'shared' (both on every CPU); default: the load engine on a quarter of the CPUs (at least one), the server on the rest (on 2 cores: one each)",
      ),
    launcher: z
      .literal(LAUNCHERS)
      .default("process")
      .describe(
        "how each server runs: process (a local process tree, built on this machine) or docker (a container through a Docker-API engine at " +
          "$DOCKER_HOST or /var/run/docker.sock, with the server CPU set as its cpuset, --container-memory-mb, the model mounted read-only)",
      ),
    container_memory_mb: z
      .number()
      .int()
      .min(64)
      .max(1_048_576)
      .default(8192)
      .meta({ placeholder: "MiB" })
      .describe("with --launcher docker: each server container's memory limit in MiB (no swap beyond it)"),
    influx: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "url" })
      .describe(
        `export to InfluxDB v1: live samples, levels and run series (and k6's own samples when k6 drives the load), e.g. http://127.0.0.1:8086/embedding_bench (default: $${INFLUX_ENV})`,
      ),
    influx_on_error: z.enum(InfluxOnError).default("stop").describe("when InfluxDB is unreachable at the start: stop (exit 2), or continue without export"),
    engine: z
      .enum(ENGINE_CHOICES)
      .default("auto")
      .describe(
        "what drives the load: embedded (the suite's own engine, in a Node process pinned to the client CPUs), k6 (a k6 you installed, from K6_BIN or PATH; " +
          "never fetched by the suite), or auto (k6 when one is found, else embedded); the run says which it chose and why",
      ),
    k6_report: z
      .boolean()
      .default(false)
      .describe(
        "with the k6 engine: save k6's web-dashboard HTML report of each level as <results-dir>/runs/<run_id>/<model>/levels/<framework>-c<N>.report.html",
      ),
    url: z
      .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL, e.g. http://127.0.0.1:8080" })
      .optional()
      .meta({ placeholder: "url" })
      .describe(
        "benchmark a server that is already running there instead of starting frameworks: no start or stop, no cold start; verified like the others before load",
      ),
    api: z
      .enum(API_NAMES)
      .optional()
      .describe(
        "with --url: the API the server speaks: embed (this suite's POST /embed), openai (POST /v1/embeddings), tei (TEI's POST /embed), kserve (KServe v2 / Triton infer); default: embed",
      ),
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        "expected a file-name-safe name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
      )
      .optional()
      .meta({ placeholder: "name" })
      .describe(
        "with --url: the framework name in the results, and of its file <results-dir>/runs/<run_id>/<model>/<name>.json; not the name of one of the suite's frameworks; default: external",
      ),
    server_pid: positiveInt
      // the kernel's PID_MAX_LIMIT
      .max(4_194_304)
      .optional()
      .meta({ placeholder: "pid" })
      .describe(
        "with --url: the server's process id on this machine; its process tree's CPU and memory are measured. Without it they are recorded as not measured (null)",
      ),
    served_model: z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: "name" })
      .describe(
        "with --url: the model name the server expects (openai: the 'model' field; kserve: /v2/models/<name>/infer); default: the model's Hugging Face id for openai, its key for kserve",
      ),
    precision: z
      .enum(PRECISIONS)
      .optional()
      .describe("with --url: the precision the server computes in, which sets the verify tolerance (config/benchmark.yaml verify_min_cosine); default: fp32"),
    results_dir: z
      .string()
      .min(1)
      .default("results")
      .meta({ placeholder: "dir" })
      .describe(
        "where runs are kept: each run in runs/<run_id>/ (<model>/<framework>.json, logs, the engine's level files, CSV), latest pointing at the newest",
      ),
    list: z.boolean().default(false).describe("list the models, frameworks and profiles found, then exit"),
    confirm_points: z
      .boolean()
      .default(false)
      .describe("run a sweep of more operating points than the profile's max_points (the run prints how many, and its estimated time, before it starts)"),
    dry_run: z
      .boolean()
      .default(false)
      .describe(
        "check everything a run checks before its first slow step (flags, config files, model, framework and profile names, --name, URL forms, CPU sets, " +
          "dataset file, output folders, the engine --engine would choose), print the plan and exit 0; prepares, builds, starts, creates and contacts nothing",
      ),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();

/** Every profile key but its description is a flag of the same name: `concurrency_levels` → `--concurrency-levels`. */
const OVERRIDABLE = Object.keys(ProfileFields.shape).filter((k) => k !== "description") as ProfileKey[];

const PLACEHOLDERS: Partial<Record<ProfileKey, string>> = {
  concurrency_levels: "vus",
  rates_rps: "rps",
  batch_size: "n",
  seq_len: "tokens",
  duration_s: "s",
  window_s: "s",
  scrape_interval_ms: "ms",
  pause_between_levels_s: "s",
  expected_latency_ms: "ms",
  slo_start_rps: "rps",
  max_points: "n",
  warmup_requests: "n",
  trials: "n",
  stable_windows: "n",
  stability_tolerance: "fraction",
  arrival_seed: "seed",
  vu_headroom: "x",
  max_vus: "n",
  saturation_tolerance: "fraction",
  slo_max_steps: "n",
};

/** A profile field as an optional flag: the profile gives the default, so the flag has none of its own. */
function overrideOf(key: ProfileKey): z.ZodType {
  const field = ProfileFields.shape[key] as z.ZodType;
  let inner: z.ZodType = field;
  if (inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner.optional().meta({ placeholder: PLACEHOLDERS[key] ?? "v", description: `the profile's ${key} for this run: ${field.description ?? ""}` });
}

type OverrideShape = { [K in ProfileKey]: z.ZodOptional<z.ZodType<ProfileFields[K]>> };
const overrideShape = Object.fromEntries(OVERRIDABLE.map((k) => [k, overrideOf(k)])) as unknown as OverrideShape;

/** bench:k6's flags: its own, then every profile key as an override of the profile's value. */
export const CliOptions = BaseOptions.extend(overrideShape).strict();
export type CliOptions = z.infer<typeof CliOptions>;

/** The profile overrides among parsed options: the keys given, under the profile's own names. */
export function profileOverrides(opts: Partial<CliOptions>): ProfileOverrides {
  return Object.fromEntries(OVERRIDABLE.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]])) as ProfileOverrides;
}

/** Flags that would be silently ignored in the company of another are refused, with the reason. */
const RULES: readonly FlagRule<keyof CliOptions>[] = [
  { flag: "list", allowsOnly: ["dry_run"], why: "--list only prints the models, frameworks and profiles, then exits" },
  {
    flag: "summary_only",
    allowsOnly: ["model", "results_dir", "csv", "run", "dry_run"],
    why: "--summary-only runs nothing, it re-prints the results of a stored run (and --csv exports them)",
  },
  { flag: "run", allowsOnly: ["model", "results_dir", "csv", "summary_only", "dry_run"], why: "--run reads a stored run, it runs nothing" },
  { flag: "runs", allowsOnly: ["results_dir", "dry_run"], why: "--runs only lists the stored runs, then exits" },
  { flag: "layout", excludes: ["threads"], why: "--layout sets every server's threads already (TxW's first number, or the probe's choice with auto)" },
  { flag: "rates_rps", excludes: ["concurrency_levels"], why: "an open-loop sweep runs at --rates-rps, a closed-loop one at --concurrency-levels" },
  { flag: "dataset", excludes: ["seq_len"], why: "a level sends one set of texts: either a prepared token length or your file" },
  {
    flag: "url",
    excludes: ["frameworks", "threads", "layout", "launcher", "container_memory_mb"],
    why: "--url benchmarks a server that is already running: the suite starts no framework and sets nothing of it",
  },
  ...(["slo_max_steps", "slo_start_rps"] as const).map((flag) => ({ flag, requires: "slo" as const, why: "it bounds the capacity search" })),
  ...(["api", "name", "server_pid", "served_model", "precision"] as const).map((flag) => ({
    flag,
    requires: "url" as const,
    why: "it describes the server given by --url",
  })),
];

/** The profile overrides' spellings before they were the profile's keys: still read, with a warning naming today's. */
const RENAMED: Readonly<Record<string, string>> = { "--levels": "--concurrency-levels", "--rates": "--rates-rps", "--slo-steps": "--slo-max-steps" };

/** Parses `npm run bench:k6` arguments; a UserError (exit 2) says what is wrong. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const { options, given } = parseFlags(CliOptions, argv, { maxPositionals: 0, helpHint: "see --help", rules: RULES, renamed: RENAMED });
  if (options.slo !== undefined) parseSlo(options.slo);
  if (given.includes("container_memory_mb") && options.launcher !== "docker") {
    throw new UserError("--container-memory-mb needs --launcher docker: a local process has no memory limit");
  }
  return options;
}

/** The launcher of a run and its own settings. */
export type LauncherSettings = { kind: "process" } | { kind: "docker"; memoryMb: number };

export function launcherOf(opts: Pick<CliOptions, "launcher" | "container_memory_mb">): LauncherSettings {
  return opts.launcher === "docker" ? { kind: "docker", memoryMb: opts.container_memory_mb } : { kind: "process" };
}

/** The profile keys bench:overhead uses: its levels, their duration and pauses, and the warmup. */
const OVERHEAD_PROFILE_KEYS: readonly ProfileKey[] = ["concurrency_levels", "duration_s", "pause_between_levels_s", "warmup_requests"];

/** bench:overhead measures local processes at batch 1 on its built-in texts and prints its own table: these would be ignored. */
const NOT_FOR_OVERHEAD: readonly (keyof CliOptions)[] = [
  ...OVERRIDABLE.filter((k) => !OVERHEAD_PROFILE_KEYS.includes(k)),
  "slo",
  "skip_on_error",
  "summary_only",
  "csv",
  "dataset",
  "influx",
  "influx_on_error",
  "k6_report",
  "list",
  "launcher",
  "container_memory_mb",
  "run",
  "runs",
  "url",
  "api",
  "name",
  "server_pid",
  "served_model",
  "precision",
  "confirm_points",
  "dry_run",
];

/** Parses `npm run bench:overhead` arguments: bench:k6's options less those it would ignore. */
export function parseOverheadArgs(argv: readonly string[]): CliOptions {
  const { options, given } = parseFlags(CliOptions, argv, { maxPositionals: 0, helpHint: "see --help", rules: RULES, renamed: RENAMED });
  const ignored = given.find((key) => NOT_FOR_OVERHEAD.includes(key));
  if (ignored !== undefined) {
    throw new UserError(
      `${toFlag(ignored)} does not apply to bench:overhead: it measures local processes at batch 1 on its built-in texts and prints its own table`,
    );
  }
  if (options.layout === "auto")
    throw new UserError("--layout auto does not apply to bench:overhead: its in-process ceiling needs one known layout; give THREADSxWORKERS");
  if ((options.model?.length ?? 0) > 1) throw new UserError("bench:overhead measures one model: give one --model");
  return options;
}

type Benchmark = Pick<BenchmarkFile, "profiles" | "default_profile">;

/** bench:k6 --help, listing the profiles the loaded config/benchmark.yaml defines. */
export function helpText(benchmark: Benchmark): string {
  return usage(
    benchmark,
    [
      "Usage: npm run bench:k6 -- [options]",
      "",
      "Prepares each model, then for each model and framework: starts its server, checks /health, verifies it, warms up,",
      "drives load at each operating point (each text length × batch size × level; closed loop: constant virtual users;",
      "open loop: --mode open), with the embedded engine or a k6 you installed (--engine), samples server and client",
      "CPU/RSS, and writes <results-dir>/runs/<run_id>/<model>/<framework>.json after every level (<results-dir>/latest:",
      "the newest run). Every profile key is also a flag (--concurrency-levels, --batch-size, ...) overriding the profile;",
      "the run prints its number of points and their ETA before it starts.",
      "With --url, a server that is already running is verified and benchmarked the same way, in the API",
      "--api names, without start or stop.",
    ],
    flagSpecs(CliOptions),
  );
}

/** bench:overhead --help: only the options it uses. */
export function overheadHelpText(benchmark: Benchmark): string {
  return usage(
    benchmark,
    [
      "Usage: npm run bench:overhead -- [options]",
      "",
      "For each framework (default: those with a ceiling command in their manifest): the normal run at batch 1,",
      "then the same runtime in process at the same concurrency; the table shows how much of that ceiling",
      "survives HTTP and serving. Writes <results-dir>/overhead/<run>/overhead.json.",
    ],
    overheadFlagSpecs(),
  );
}

/** bench:overhead's flags: bench:k6's less those it would ignore. */
export function overheadFlagSpecs(): FlagSpec[] {
  return flagSpecs(CliOptions).filter((s) => !NOT_FOR_OVERHEAD.includes(s.key as keyof CliOptions));
}

function usage(benchmark: Benchmark, intro: readonly string[], specs: readonly FlagSpec[]): string {
  return [
    ...intro,
    "",
    "Options:",
    ...flagsHelp(specs, { profile: Object.keys(benchmark.profiles) }),
    "",
    `Profiles (config/benchmark.yaml; default ${benchmark.default_profile}):`,
    ...profileLines(benchmark),
    "",
    "Environment: K6_BIN (a k6 you installed, for --engine k6 or auto), EMBEDDING_BENCH_CACHE (cache folder, default ~/.cache/embedding-bench),",
    "EMBEDDING_BENCH_MODELS (prepared models, default ./models), EMBEDDING_BENCH_PYTHON (base Python, default python3),",
    "EMBEDDING_BENCH_EXTRA_SERVERS (extra folders of server folders, ':'-separated),",
    `${INFLUX_ENV} (InfluxDB URL when --influx is not given).`,
    "",
  ].join("\n");
}

/** One line per profile of the loaded config (name, levels, seconds per level, description), for --help and --list. */
export function profileLines(benchmark: Pick<BenchmarkFile, "profiles">): string[] {
  return Object.entries(benchmark.profiles).map(
    ([name, p]) =>
      `  ${name.padEnd(12)} ${p.mode === "open" ? `open loop at ${(p.rates_rps ?? []).join(", ")} req/s` : `levels ${p.concurrency_levels.join(", ")}`}; ${p.duration_s} s per level` +
      `${p.batch_size.length > 1 || p.batch_size[0] !== 1 ? `; batch ${p.batch_size.join(", ")}` : ""}${p.seq_len ? `; ${p.seq_len.join(", ")} tokens` : ""}${p.description ? `; ${p.description}` : ""}`,
  );
}

/** `--layout 1x2` → threads 1, workers 2; `--layout auto` → probe each framework's layouts; else `--threads` alone. */
export function layoutOf(opts: Pick<CliOptions, "layout" | "threads">): { threads?: number; workers?: number; autoLayout?: true } {
  if (opts.layout === "auto") return { autoLayout: true };
  if (opts.layout !== undefined) {
    const [threads, workers] = opts.layout.split(/[x×]/).map(Number);
    return { threads: threads!, workers: workers! };
  }
  return opts.threads !== undefined ? { threads: opts.threads } : {};
}
