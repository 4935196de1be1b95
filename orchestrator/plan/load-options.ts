// Options of `npm run load` (orchestrator/main/load.ts): one zod schema gives parsing (./flags.ts),
// validation, types and the --help text; here, apart from the command, so docs/cli.md can be
// generated from it without running a level.
import { z } from "zod";
import { API_NAMES } from "../../scenario/apis/api.ts";
import { flagSpecs, flagsHelp } from "./flags.ts";

const positiveInt = z.number().int().positive();

export const LoadOptions = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL, e.g. http://127.0.0.1:8000" })
      .optional()
      .describe("the server's base URL (required)"),
    api: z
      .enum(API_NAMES)
      .default("embed")
      .describe(
        "the API it speaks: embed (this suite's POST /embed), openai (POST /v1/embeddings), tei (TEI's POST /embed), kserve (KServe v2 / Triton infer)",
      ),
    served_model: z.string().default("").describe("the model name the API needs (openai's model field, kserve's /v2/models/<name>)"),
    concurrency: positiveInt.max(1024).optional().describe("closed loop: virtual users, each sending its next request when its last is answered (default 1)"),
    rate: positiveInt.max(100_000).optional().describe("open loop instead: requests started per second, whatever the answers"),
    arrivals: z
      .enum(["constant", "poisson"])
      .default("constant")
      .describe("with --rate: constant (one start every 1/rate s) or poisson (seeded exponential gaps)"),
    max_in_flight: positiveInt
      .max(4096)
      .optional()
      .describe(
        "with --rate: the most requests outstanding; a constant start beyond it is dropped, a Poisson one waits (default: sized for 100 ms answers with 4x headroom, at most 200)",
      ),
    seed: positiveInt
      .max(2 ** 32 - 1)
      .default(1)
      .describe("with --arrivals poisson: the schedule's seed"),
    duration: z.string().default("10s").meta({ placeholder: "10s" }).describe("how long to start requests: 10s, 2m, 1h, or seconds; 1 s to 1 h"),
    batch_size: positiveInt.max(256).default(1).describe("texts per request (the contract allows 256)"),
    dim: z.number().int().nonnegative().max(65_536).default(0).describe("the vector length every answer must have; 0: any positive length"),
    dataset: z.string().optional().describe('a JSON file {"texts": [...]} to send instead of the built-in texts'),
    timeout_s: positiveInt.max(3600).default(60).describe("a request with no answer after this many seconds fails as a timeout"),
    max_error_rate: z.number().min(0).max(1).default(0.01).describe("the level fails (exit 1) when this share of requests fails, or more"),
    cpus: z.string().optional().meta({ placeholder: "list" }).describe("CPUs the engine may use, e.g. 1 or 2-3 (default: every CPU)"),
    json: z.boolean().default(false).describe("print the level's figures as JSON (LevelOutcome in orchestrator/plan/level-spec.ts) instead of the summary"),
    help: z.boolean().default(false).describe("show this help"),
  })
  .strict();
export type LoadOptions = z.infer<typeof LoadOptions>;

export function loadHelpText(): string {
  return [
    "Usage: npm run load -- --url <url> [--concurrency N | --rate R] [options]",
    "",
    "One level of load against a running server with the suite's embedded engine (no k6 needed), every",
    "answer checked (status 200, one vector per text, dimension), then a k6-like summary. To run the",
    "suite's k6 script with a k6 you installed instead: npm run k6 -- run build/embed.js -e BASE_URL=<url>.",
    "",
    "Options:",
    ...flagsHelp(flagSpecs(LoadOptions)),
    "",
  ].join("\n");
}
