// The standard result schema (FrameworkResult, ScenarioResult): the keys the suite this project
// replaces wrote keep their name and meaning; the additions (schema_version, run_id, status, environment, …) are documented below.
import { z } from "zod";
import { API_NAMES } from "../../scenario/apis/api.ts";

// 2: verification and model_load_time_ms (verify before benchmark). 3: dataset. 4: per level,
// stalls and ended_early; status skipped. 5: layout_probe (--layout auto). 6: launch (launcher,
// image, limits). 7: api and external (servers given by --url), server resources null when not
// measured. 8: open-loop levels (mode, target_rps, achieved_rps, dropped_iterations, vus_max;
// validity.saturated; capacity_at_slo). 9: the load engine (environment.load_engine; k6_version
// null when the embedded engine ran), errors_by_kind, server_queue_ms, late starts and latency from
// the scheduled start for every open-loop level. 10: sweeps: a level is an operating point (batch
// size, text length, level; the key says all three), seq_len, tokens_per_text, input_tokens_per_sec,
// server_idle_memory_mb, memory_per_1k_embeddings_mb, batching_speedup; capacity_at_slo is one
// search per batch size and text length. Version 3 to 9 files still read (the new keys take their
// defaults or are absent; their keys stay as written, e.g. concurrency_4; a single capacity_at_slo
// becomes a list of one).
/** The vocabulary results and manifests share. */
export const PRECISIONS = ["fp32", "fp16", "bf16", "int8"] as const;
export const Precision = z.enum(PRECISIONS).describe("numeric precision the framework computes in; it sets the verify tolerance");
export type Precision = z.infer<typeof Precision>;
export const Language = z.enum(["Python", "Rust", "C++"]);
export type Language = z.infer<typeof Language>;
export const LAUNCHERS = ["process", "docker"] as const;
export type LauncherKind = (typeof LAUNCHERS)[number];

export const RESULT_SCHEMA_VERSION = 10;
const READABLE_SCHEMA_VERSIONS = [3, 4, 5, 6, 7, 8, 9, RESULT_SCHEMA_VERSION] as const;

/** Not measured: a server given by --url without --server-pid. */
const NOT_MEASURED = "; null when not measured (a server given by --url without --server-pid)";

export const LOAD_MODES = ["closed", "open"] as const;

export const TrialEstimate = z
  .object({
    mean: z.number(),
    ci95: z.number().nullable().describe("half-width of the 95 % confidence interval of the mean (Student t, n − 1 degrees of freedom)"),
    values: z.array(z.number()).describe("one value per trial, in trial order"),
  })
  .strict();

export const LatencyStats = z
  .object({
    mean: z.number().describe("ms, arithmetic mean of successful request durations (sent → whole answer received, as k6's http_req_duration)"),
    median: z.number().describe("ms, p50"),
    p90: z.number().describe("ms"),
    p95: z.number().describe("ms"),
    p99: z.number().describe("ms"),
    p999: z.number().describe("ms, p(99.9)"),
    min: z.number().describe("ms"),
    max: z.number().describe("ms"),
    stddev: z.number().describe("ms, population standard deviation: sqrt(Σx²/n − mean²)"),
  })
  .strict();
export type LatencyStats = z.infer<typeof LatencyStats>;

const nullableCount = z.number().nonnegative().nullable();
/** A server's own metrics over one level (orchestrator/results/server-metrics.ts computes them). */
export const ServerMetrics = z
  .object({
    interval_ms: z.number().int().positive().describe("time between two scrapes of the server's metrics endpoint, ms"),
    scrapes: z.number().int().nonnegative().describe("scrapes that answered: one at the level's start, one per interval, one at its end"),
    failed_scrapes: z.number().int().nonnegative().describe("scrapes that failed (no answer in time, or not the Prometheus text format)"),
    missing: z.array(z.string()).describe("quantities the server's metrics do not have (their figures are null)"),
    totals: z
      .record(z.string(), nullableCount)
      .describe(
        "growth over the level of each counter and histogram sum or count, summed over its series: requests, errors, embeddings, model_calls, model_ms, queue_calls, queue_ms, batch_calls, batch_texts",
      ),
    model_time_fraction: nullableCount.describe(
      "model_ms ÷ the wall time between the first and last scrape: the share of the level the server spent in model calls (above 1 when calls overlap); null where the server sums model time per request (Triton, TEI)",
    ),
    mean_batch_size: nullableCount.describe(
      "batch_texts ÷ batch_calls: the texts per model call the server formed (for a batching server, the batch it formed)",
    ),
    mean_model_ms: nullableCount.describe("model_ms ÷ model_calls, ms; where the server sums model time per request (Triton, TEI), model_ms ÷ requests"),
    mean_queue_ms: nullableCount.describe("queue_ms ÷ queue_calls: the mean wait before a model call, ms"),
    gauges: z
      .record(z.string(), z.object({ mean: z.number(), max: z.number() }).strict())
      .describe("each gauge found (in flight, queue depth), over the scrapes"),
    windows: z
      .array(
        z
          .object({
            index: z.number().int().nonnegative(),
            start_s: z.number().nonnegative(),
            requests: nullableCount,
            model_calls: nullableCount,
            model_ms: nullableCount,
            mean_batch_size: nullableCount,
            gauges: z.record(z.string(), z.number()).describe("each gauge at the window's last scrape"),
          })
          .strict(),
      )
      .describe("the same per measurement window: a scrape's growth counts in the window it was taken in"),
  })
  .strict();
export type ServerMetrics = z.infer<typeof ServerMetrics>;

export const ScenarioResult = z
  .object({
    scenario_name: z
      .string()
      .describe(
        "the operating point's key (orchestrator/plan/level-key.ts): concurrency_<N> (closed loop) or rate_<N> (open loop), then _batch_<B>, then _seq_<S> for texts of S tokens; schema 9 and before: concurrency_<N> or rate_<N> alone",
      ),
    mode: z
      .literal(LOAD_MODES)
      .default("closed")
      .describe("closed: constant VUs, each sends its next request when the last one returns; open: requests start at a constant rate whatever the latency"),
    concurrency: z
      .number()
      .int()
      .positive()
      .describe("closed loop: virtual users (each sends its next request when its last is answered); open loop: the cap on requests in flight (k6 maxVUs)"),
    target_rps: z.number().positive().optional().describe("open loop: requests per second the engine was asked to start (absent in closed loop)"),
    achieved_rps: z
      .number()
      .nonnegative()
      .optional()
      .describe("open loop: requests completed (successful or not) ÷ total_duration_sec, the rate the server was actually offered"),
    dropped_iterations: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        "open loop, constant arrivals: scheduled starts skipped because the cap on requests in flight was reached (k6 dropped_iterations); their latency is in no percentile",
      ),
    vus_max: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe("open loop: the most requests in flight at once (embedded engine), or the VUs k6 had allocated (k6 vus_max)"),
    arrivals: z
      .enum(["constant", "poisson"])
      .optional()
      .describe(
        "open loop: poisson = exponential inter-arrival times at target_rps on average (scenario/arrivals.ts); absent = constant (one start every 1/rate s)",
      ),
    late_starts: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        "open loop: requests that started more than 10 ms after their scheduled time (with poisson arrivals, delayed while the cap on requests in flight was reached, not dropped)",
      ),
    latency_from_intended_ms: z
      .object({ median: z.number(), p95: z.number(), p99: z.number(), max: z.number() })
      .strict()
      .optional()
      .describe(
        "open loop: latency from each request's scheduled start (lateness + its own duration), ms, every completed request: free of coordinated omission",
      ),
    num_requests: z.number().int().nonnegative().describe("requests completed in the level, successful or not"),
    batch_size: z.number().int().positive().describe("texts per request"),
    seq_len: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "tokens every text sent was cut to with the model's tokenizer, special tokens included (the operating point's text length, --seq-len); null: texts not cut to a token count (the built-in texts, a --dataset file)",
      ),
    tokens_per_text: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "input tokens of every text as the model sees it: the dataset's effective_tokens, counted with the model's tokenizer when the dataset was built (special tokens included, after truncation to max_seq_length); null: not counted (the built-in texts, a dataset file without counts)",
      ),
    latency_ms: LatencyStats,
    throughput_qps: z.number().nonnegative().describe("successful requests ÷ total_duration_sec"),
    embeddings_per_sec: z.number().nonnegative().describe("throughput_qps × batch_size"),
    input_tokens_per_sec: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe("embeddings_per_sec × tokens_per_text: model input tokens per second; null when the texts' tokens were not counted"),
    batching_speedup: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "embeddings_per_sec ÷ embeddings_per_sec of the batch-1 level of the same framework, model, text length and concurrency (a multiple, ×); null without such a level, and for open-loop levels (their throughput is the rate asked)",
      ),
    total_duration_sec: z.number().nonnegative().describe("the level's duration: first start to last answer, seconds"),
    server_cpu_percent: z
      .number()
      .nonnegative()
      .nullable()
      .describe(`mean CPU of the server's process tree (in a container: of the container, from the engine's stats); 100 = one core${NOT_MEASURED}`),
    server_memory_mb: z
      .number()
      .nonnegative()
      .nullable()
      .describe(`mean RSS of the server's process tree (in a container: its memory usage from the engine's stats), MiB${NOT_MEASURED}`),
    server_memory_peak_mb: z.number().nonnegative().nullable().describe(`peak of the same samples, MiB${NOT_MEASURED}`),
    server_idle_memory_mb: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe(`RSS of the server's process tree sampled once after warm-up, before the server's first level, MiB${NOT_MEASURED}, and in schema 9 and before`),
    memory_per_1k_embeddings_mb: z
      .number()
      .nullable()
      .default(null)
      .describe(
        "(server_memory_peak_mb − server_idle_memory_mb) × 1000 ÷ (requests in flight × batch_size), MiB: the memory the server added per 1,000 embeddings in flight; " +
          `requests in flight = concurrency (closed loop) or vus_max (open loop); negative when the peak stayed under the idle figure${NOT_MEASURED}`,
      ),
    client_cpu_percent: z.number().nonnegative().describe("mean CPU of the load engine's process (the embedded engine or k6); 100 = one core"),
    client_memory_mb: z.number().nonnegative().describe("mean RSS of the load engine's process, MiB"),
    errors: z.number().int().nonnegative().describe("requests that failed a check (non-200, wrong count or dimension)"),
    error_rate: z.number().min(0).max(1).describe("errors ÷ num_requests"),
    server_inference_ms: z
      .object({ mean: z.number(), median: z.number(), p95: z.number(), p99: z.number() })
      .strict()
      .nullable()
      .describe("server-reported inference time (x-inference-time header), ms; null if the server sent none"),
    server_queue_ms: z
      .object({ mean: z.number(), median: z.number(), p95: z.number(), p99: z.number() })
      .strict()
      .nullable()
      .default(null)
      .describe("server-reported time in its batching queue (x-queue-time header), ms; null if the server sent none"),
    outside_model_p50_ms: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe(
        "median over successful requests of (latency − x-inference-time): the time a request spent outside the model (network, HTTP, JSON, queue, tokenizer where the server times only the forward pass), ms; null if the server sent no x-inference-time, and in results written before the field (2026-12-06)",
      ),
    outside_model_p95_ms: z.number().nonnegative().nullable().default(null).describe("the 95th percentile of the same, ms"),
    goodput: z
      .object({
        objective: z.string().describe("the --slo it was measured against"),
        under_ms: z.number().positive().describe("a request is good when it succeeded in under this many ms: the objective's smallest latency bound"),
        good_requests: z.number().int().nonnegative(),
        fraction: z.number().min(0).max(1).describe("good requests ÷ all requests of the level (failed ones are not good)"),
        rate_rps: z.number().nonnegative().describe("good requests per second of the level"),
        misses: z.string().nullable().describe("how the level missed the objective (e.g. p95 62.0 ms ≥ 50 ms; saturated), null when it met it"),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        "with --slo, at every level: the requests that met the objective (from the embedded engine's latency histogram; null when k6 ran, which keeps none)",
      ),
    energy: z
      .object({
        package_joules: z
          .number()
          .nonnegative()
          .nullable()
          .describe("energy of every CPU package over the level (RAPL, /sys/class/powercap), J; the whole machine's packages, not the server's share"),
        embeddings_per_joule: z.number().nonnegative().nullable().describe("successful embeddings ÷ package_joules"),
        absent: z.string().nullable().describe("why there is no figure (no RAPL on this machine, or not readable), null when measured"),
      })
      .strict()
      .nullable()
      .default(null)
      .describe("package energy per level where the machine reports it; null in results written before the field (2026-12-06)"),
    server_metrics: ServerMetrics.nullable()
      .default(null)
      .describe(
        "the server's own metrics scraped during the level (our servers' GET /metrics); null when not scraped, and in results written before the field (2026-12-06)",
      ),
    errors_by_kind: z
      .record(z.string(), z.number().int().nonnegative())
      .default({})
      .describe(
        "failed requests by what went wrong (status 503, timeout, connection refused, wrong count, wrong dimension, invalid JSON); empty when k6 ran, which gives no breakdown",
      ),
    thresholds_ok: z
      .boolean()
      .describe(
        "error_rate was under the maximum (benchmark.yaml max_error_rate; none allowed when it is 0), the level did not stall, some request succeeded, and it was not interrupted; the same rule for every engine (orchestrator/level/end.ts)",
      ),
    started_at: z.string().describe("ISO-8601 time the level started"),
    stalls: z
      .array(
        z
          .object({
            start_s: z.number().nonnegative().describe("seconds from the level's start to the last completion before the stall"),
            duration_s: z.number().nonnegative().describe("seconds with VUs active and no completed request"),
          })
          .strict(),
      )
      .default([])
      .describe("windows longer than max(2 s, 10x the median latency) in which the server completed no request; a level with one is not a clean measurement"),
    ended_early: z
      .string()
      .nullable()
      .default(null)
      .describe("why the level was not a clean level: each stall (the server stopped answering), every request failing, an interruption; null otherwise"),
    windows: z
      .array(
        z
          .object({
            index: z.number().int().nonnegative(),
            ok_requests: z.number().int().nonnegative().describe("successful requests that started in the window"),
            throughput_qps: z.number().nonnegative(),
            p50_ms: z.number().nonnegative(),
            p90_ms: z.number().nonnegative(),
            p95_ms: z.number().nonnegative(),
            p99_ms: z.number().nonnegative(),
            p999_ms: z.number().nonnegative(),
          })
          .strict(),
      )
      .default([])
      .describe("the level's complete measurement windows, in order"),
    stability: z
      .object({
        window_s: z.number().int().positive(),
        windows: z.number().int().min(2).describe("consecutive windows that had to agree"),
        tolerance: z.number().positive().describe("allowed relative deviation on throughput and p95"),
        stable: z
          .boolean()
          .describe(
            "the last windows agreed: the level's throughput and latency percentiles are those windows' means (mean, min, max and stddev stay whole-level)",
          ),
        stable_windows: z.array(z.number().int().nonnegative()).describe("indices of the windows the figures come from; empty when unstable"),
      })
      .strict()
      .optional()
      .describe("absent when the level ran without windows"),
    trials: z
      .object({
        n: z.number().int().min(2).describe("trials combined in this level"),
        throughput_qps: TrialEstimate,
        p50_ms: TrialEstimate,
        p95_ms: TrialEstimate,
        p99_ms: TrialEstimate,
      })
      .strict()
      .optional()
      .describe("with --trials N > 1: each figure's trials, mean and 95 % confidence interval; the level's own figures are the trials' means"),
    validity: z
      .object({
        p99_enough_samples: z.boolean().describe("at least 1,000 successful requests: p99 rests on 10 or more requests beyond it"),
        p999_enough_samples: z.boolean().describe("at least 10,000 successful requests, the same for p99.9"),
        client_bound: z
          .boolean()
          .describe("the CPUs the load engine may use were 90 % or more busy (the engine or anything else): the load generator had no headroom"),
        noisy: z.boolean().describe("processes other than the server and the load engine used more than 20 % of one CPU"),
        other_cpu_percent: z.number().nonnegative().describe("that other processes' CPU over the level, from /proc/stat; 100 = one core"),
        stalled: z.boolean().describe("the level has a stall (see stalls)"),
        unstable: z.boolean().describe("its windows never agreed within the tolerance before the level's maximum duration"),
        saturated: z
          .boolean()
          .default(false)
          .describe(
            "open loop: achieved_rps fell short of target_rps by more than the profile's saturation_tolerance: the level did not run at its target rate",
          ),
      })
      .strict()
      .optional()
      .describe("whether the level's figures may be trusted (absent in schema 3 files); see orchestrator/results/validity.ts"),
  })
  .strict();
export type ScenarioResult = z.infer<typeof ScenarioResult>;

export const FrameworkStatus = z.enum(["running", "completed", "failed", "skipped", "interrupted"]);
export type FrameworkStatus = z.infer<typeof FrameworkStatus>;

export const EnvironmentInfo = z
  .object({
    hostname: z.string(),
    os: z.string(),
    cpu_model: z.string(),
    cpu_count: z.number().int().positive(),
    memory_total_mb: z.number().nonnegative(),
    k6_version: z.string().nullable().describe("the k6 that ran the levels; null when the embedded engine did"),
    load_engine: z
      .object({ name: z.enum(["embedded", "k6"]), version: z.string() })
      .strict()
      .optional()
      .describe(
        "the engine that drove the load (absent in schema 3 to 8 files, where k6 did): embedded (the suite's own, in Node) or k6 (a k6 the user installed)",
      ),
    node_version: z.string(),
    cpu_sets: z
      .object({
        mode: z.enum(["split", "shared"]).describe("split: server and load engine pinned to separate CPUs; shared: both on every CPU"),
        server: z.string().nullable().describe("the server's CPU list (kernel affinity), e.g. 0-2; null when shared"),
        client: z.string().nullable().describe("the load engine's CPU list; null when shared"),
      })
      .strict()
      .optional()
      .describe("where the server and the load engine ran (absent in schema 3 files)"),
    cpu_flags: z.array(z.string()).optional().describe("the CPU's SIMD/matrix extensions that inference kernels use (avx2, avx512f, amx_tile, …)"),
    kernel: z.string().optional(),
    cpu_governor: z.string().nullable().optional().describe("cpufreq scaling governor of CPU 0; null where the machine does not expose it"),
    git_commit: z.string().nullable().optional().describe("the suite's commit; null outside a git checkout"),
    git_dirty: z.boolean().nullable().optional().describe("tracked files differed from the commit"),
    argv: z.array(z.string()).optional().describe("the command-line arguments as given"),
    config_hash: z.string().optional().describe("hash of the effective configuration (profile after overrides, limits, CPU sets, model)"),
    load_average_start: z.array(z.number()).optional().describe("1, 5 and 15 min load average when the run started"),
    load_average_end: z.array(z.number()).optional().describe("1, 5 and 15 min load average when this framework finished"),
  })
  .strict();
export type EnvironmentInfo = z.infer<typeof EnvironmentInfo>;

export const Verification = z
  .object({
    passed: z.boolean().describe("every probe embedding reached min_cosine_required against the reference, and had unit norm"),
    min_cosine_required: z.number().describe("threshold used: config/benchmark.yaml verify_min_cosine for the framework's precision"),
    precision: Precision.optional().describe("the framework's declared precision, which chose the threshold (absent in schema 3 files)"),
    min_cosine: z
      .number()
      .nullable()
      .describe("lowest cosine(server, reference) over every probe, sent one at a time and in batches of 4; null if no vector came back"),
    max_norm_error: z.number().nullable().describe("largest |‖v‖ − 1| of the returned (normalize: true) vectors; null if no vector came back"),
    probes: z.number().int().nonnegative().describe("probe texts compared"),
    reference_source: z.string().describe("what produced the reference vectors, from reference/probes.json"),
    reason: z.string().nullable().describe("why verification failed; null when it passed"),
    duration_ms: z.number().nonnegative().describe("wall time of the verify phase, ms"),
  })
  .strict();
export type Verification = z.infer<typeof Verification>;

export const LaunchInfo = z
  .object({
    launcher: z.literal(LAUNCHERS).describe("process: a local process tree; docker: a container through a Docker-API engine"),
    image: z.string().nullable().describe("image reference the container ran; null for a process"),
    image_id: z.string().nullable().describe("the engine's id of that image (sha256:…); null for a process"),
    cpuset: z.string().nullable().describe("CPUs the server could use (affinity or the container's cpuset), e.g. 0-2; null = every CPU"),
    memory_limit_mb: z.number().int().positive().nullable().describe("the container's memory limit, MiB (no swap beyond it); null = none"),
  })
  .strict();
export type LaunchInfo = z.infer<typeof LaunchInfo>;

const threadsField = z.number().int().positive().describe("intra-op threads per model call");
const workersField = z.number().int().positive().describe("model calls at once");

export const LayoutTried = z
  .object({
    threads: threadsField,
    workers: workersField,
    status: FrameworkStatus.describe("completed: the probe level ran; otherwise the layout was not a candidate for the sweep"),
    failure: z.string().nullable().describe("why the probe of this layout did not complete; null when it did"),
    throughput_qps: z.number().nonnegative().nullable().describe("successful requests per second at the probe level; null when the probe did not complete"),
    p50_ms: z.number().nonnegative().nullable(),
    p95_ms: z.number().nonnegative().nullable(),
    errors: z.number().int().nonnegative().nullable().describe("requests that failed a check during the probe level"),
    server_cpu_percent: z.number().nonnegative().nullable().describe("mean CPU of the server's process tree; 100 = one core"),
    flags: z.array(z.string()).describe("the probe level's validity flags (stalled, unstable, client-bound, noisy), as the summary prints them"),
  })
  .strict();
export type LayoutTried = z.infer<typeof LayoutTried>;

export const LayoutProbe = z
  .object({
    server_cpus: z.number().int().positive().describe("CPUs the server may use (N): the candidates are 1xN, Nx1 and ceil(sqrt N) x floor(N / ceil(sqrt N))"),
    probe_concurrency: z
      .number()
      .int()
      .positive()
      .describe("virtual users of the probe level: the profile's highest level, capped at layout_probe.max_concurrency"),
    probe_duration_s: z.number().int().positive().describe("seconds of load on each layout, one window"),
    tie_tolerance: z.number().min(0).max(1).describe("throughputs within this fraction of the best are a tie, broken by the lower p95"),
    tried: z.array(LayoutTried).describe("every layout probed, in the order probed; empty when there was one candidate"),
    chosen: z
      .object({ threads: threadsField, workers: workersField })
      .strict()
      .nullable()
      .describe("the layout the sweep ran with; null when no probe completed"),
    note: z.string().nullable().describe("why the probe was skipped or taken from an earlier trial; null otherwise"),
  })
  .strict();
export type LayoutProbe = z.infer<typeof LayoutProbe>;

export const CapacityAtSlo = z
  .object({
    slo: z.string().describe("the objective as given to --slo, e.g. p99<50ms"),
    batch_size: z.number().int().positive().describe("the operating point searched: texts per request"),
    seq_len: z.number().int().positive().nullable().describe("the operating point searched: tokens per text; null: texts not cut to a token count"),
    capacity_rps: z.number().int().positive().nullable().describe("highest open-loop rate tried that met the objective, req/s; null when none did"),
    lowest_failing_rps: z
      .number()
      .int()
      .positive()
      .nullable()
      .describe("lowest rate tried that failed it, req/s; null when none did (the capacity may be higher)"),
    start_rps: z.number().int().positive().describe("first rate tried, req/s"),
    start_from: z.enum(["closed_loop_qps", "slo_start_rps"]).describe("closed_loop_qps: the sweep's best closed-loop throughput; slo_start_rps: the profile's"),
    max_steps: z.number().int().positive().describe("most levels the search could run"),
    tried: z
      .array(
        z
          .object({
            rate_rps: z.number().int().positive(),
            passed: z.boolean(),
            reason: z.string().describe("the figures that met the objective, or each bound missed (saturated, pXX ≥ bound, errors ≥ bound)"),
          })
          .strict(),
      )
      .describe("every level of the search, in the order run; each is also a rate_<N>_batch_<B>… scenario"),
  })
  .strict();
export type CapacityAtSlo = z.infer<typeof CapacityAtSlo>;

const FrameworkResultObject = z
  .object({
    schema_version: z.union(READABLE_SCHEMA_VERSIONS.map((v) => z.literal(v))),
    run_id: z.string(),
    framework: z.string(),
    runtime: z.string().describe("display name, e.g. ONNX Runtime"),
    language: z.union([Language, z.literal("unknown")]).describe("the server's language; unknown for a server given by --url"),
    api: z.enum(API_NAMES).default("embed").describe("the HTTP API the requests were sent in (scenario/apis/): embed is this project's contract"),
    external: z
      .object({
        server_pid: z
          .number()
          .int()
          .positive()
          .nullable()
          .describe("--server-pid: root of the process tree whose CPU and memory were measured; null: not measured"),
        served_model: z.string().describe("the model name sent to the server (OpenAI's model field, KServe's model path); empty when none was sent"),
      })
      .strict()
      .optional()
      .describe("present when the server was given by --url: the suite neither started nor stopped it, so there is no cold start"),
    model_name: z.string(),
    synthetic_weights: z.boolean().describe("true when the model has seeded random weights: performance only, never correctness"),
    server_url: z.string(),
    launch: LaunchInfo.optional().describe("how the server ran (absent in schema 3 to 5 files, and before it started)"),
    status: FrameworkStatus,
    failure: z.string().nullable().describe("why the framework failed or stopped; null when it completed"),
    profile: z.string(),
    dataset: z
      .string()
      .describe(
        "texts the load engine sent: 'builtin' (deterministic 24-word sentences) or the dataset file (--seq-len / --dataset); a sweep of text lengths: their files, joined by '; '",
      ),
    first_inference_ms: z.number().nullable().describe("client-side latency of the first embedding request (after /health for a server the suite started), ms"),
    cold_start_ms: z
      .number()
      .nullable()
      .describe("process start → first correct embedding (right shape, matching the reference), ms; null for a server given by --url"),
    model_load_time_ms: z.number().nullable().describe("the server's own model load time (GET /info model_load_time_ms), ms; null if not reported"),
    verification: Verification.nullable().describe("embeddings of the model's probe set vs the fp32 reference; null if the server never got that far"),
    server_info: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        "the server's description after start: GET /info (embed, tei APIs), /v1/models (openai), /v2/models/<model>/config (kserve: Triton's batcher and instances)",
      ),
    final_server_info: z.record(z.string(), z.unknown()).nullable().describe("the same description after the last level"),
    environment: EnvironmentInfo,
    layout: z
      .object({
        requested: z
          .string()
          .nullable()
          .describe("the layout passed to the server (THREADSxWORKERS): --layout's, or the one --layout auto chose; null for the server's own default"),
        threads: z.number().int().positive().nullable().describe("intra-op threads per model call, as the server reported in /info"),
        workers: z.number().int().positive().nullable().describe("model calls at once, as the server reported in /info"),
      })
      .strict()
      .optional()
      .describe("the server's effective layout (absent in schema 3 files, and before the server answered /info)"),
    layout_probe: LayoutProbe.optional().describe(
      "--layout auto: every layout tried at the probe level, with its figures, and the one chosen (absent otherwise)",
    ),
    scenarios: z.record(z.string(), ScenarioResult),
    capacity_at_slo: z
      .array(CapacityAtSlo)
      .optional()
      .describe("--slo: per batch size and text length, the highest arrival rate meeting the objective and the search that found it (absent without --slo)"),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .strict();

/** `…/datasets/tokens-<N>.json`: the prepared token-length set --seq-len sent before schema 10 recorded seq_len. */
const TOKEN_DATASET = /[/\\]datasets[/\\]tokens-([1-9]\d*)\.json$/;

/**
 * Schema 9 and before, as schema 10 reads them: a single capacity_at_slo becomes a list of one (at
 * the batch size of the levels), and seq_len comes from a prepared token dataset's name. Keys stay
 * as written. Anything else passes unchanged, to be validated.
 */
function upgradeOlder(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null) return raw;
  const r = raw as Record<string, unknown>;
  if (typeof r["schema_version"] !== "number" || r["schema_version"] >= 10) return raw;
  const scenarios = (typeof r["scenarios"] === "object" && r["scenarios"] !== null ? r["scenarios"] : {}) as Record<string, Record<string, unknown>>;
  const seq = typeof r["dataset"] === "string" ? TOKEN_DATASET.exec(r["dataset"]) : null;
  const batch = Object.values(scenarios).find((s) => typeof s?.["batch_size"] === "number")?.["batch_size"] ?? 1;
  const capacity = r["capacity_at_slo"];
  return {
    ...r,
    scenarios: Object.fromEntries(
      Object.entries(scenarios).map(([k, s]) => [
        k,
        typeof s === "object" && s !== null && seq && s["seq_len"] === undefined ? { ...s, seq_len: Number(seq[1]) } : s,
      ]),
    ),
    ...(typeof capacity === "object" && capacity !== null && !Array.isArray(capacity)
      ? { capacity_at_slo: [{ batch_size: batch, seq_len: seq ? Number(seq[1]) : null, ...capacity }] }
      : {}),
  };
}

export const FrameworkResult = z.preprocess(upgradeOlder, FrameworkResultObject);
export type FrameworkResult = z.infer<typeof FrameworkResultObject>;
