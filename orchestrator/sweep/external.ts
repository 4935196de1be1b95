// `bench:k6 --url`: a server that is already running, in any API the adapters speak. The suite
// neither starts nor stops it; every other phase is the one its own servers go through
// (runPhases), verify against the model's reference included. Its CPU and memory are measured only
// when --server-pid names its process; otherwise they are recorded as not measured.
import { existsSync } from "node:fs";
import type { ModelConfig } from "../plan/config-schema.ts";
import type { Precision } from "../results/schema.ts";
import type { SuiteConfig } from "../plan/config.ts";
import type { ApiName } from "../../scenario/apis/index.ts";
import { apiTarget, type ApiTarget } from "./api-client.ts";
import type { CliOptions } from "../plan/bench-options.ts";
import { UserError } from "../platform/errors.ts";
import { log } from "../platform/log.ts";
import type { FrameworkResult } from "../results/schema.ts";
import { filesOf, newResult, runPhases } from "./phases.ts";
import type { FrameworkRun } from "./context.ts";
import type { RunContext } from "./context.ts";
import type { Target } from "./target.ts";

export interface ExternalServer {
  url: string;
  /** Its framework name in the results (and result file name). */
  name: string;
  api: ApiTarget;
  /** The process tree measured; null: not measured. */
  pid: number | null;
  precision: Precision;
}

const DEFAULT_NAME = "external";

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/** The model name the API needs by default: OpenAI servers serve Hugging Face ids; a Triton model folder cannot hold a '/'. */
function defaultServedModel(api: ApiName, modelKey: string, spec: ModelConfig): string {
  if (api === "openai") return spec.huggingface_id;
  if (api === "kserve") return modelKey;
  return "";
}

/** The server of --url, checked; null without --url. */
export function externalServer(opts: CliOptions, config: SuiteConfig, modelKeys: readonly string[], spec: ModelConfig): ExternalServer | null {
  if (opts.url === undefined) return null;
  if (modelKeys.length > 1) throw new UserError(`--url benchmarks one server, which serves one model: give one --model, not ${modelKeys.join(", ")}`);
  const modelKey = modelKeys[0]!;
  const name = opts.name ?? DEFAULT_NAME;
  if (config.servers.some((s) => s.manifest.name === name)) {
    throw new UserError(`--name ${name}: a framework of this suite has that name and its result file would be overwritten; choose another`);
  }
  if (opts.server_pid !== undefined && !alive(opts.server_pid)) throw new UserError(`--server-pid ${opts.server_pid}: no such process on this machine`);
  const api = opts.api ?? "embed";
  return {
    url: opts.url.replace(/\/+$/, ""),
    name,
    api: apiTarget(api, { model: opts.served_model ?? defaultServedModel(api, modelKey, spec) }),
    pid: opts.server_pid ?? null,
    precision: opts.precision ?? "fp32",
  };
}

/** Any HTTP answer at all (a 404 included) means something listens there. */
async function reachable(url: string, signal: AbortSignal): Promise<void> {
  try {
    await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
  } catch (err) {
    signal.throwIfAborted();
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Error(`cannot reach ${url}: ${cause}`);
  }
}

function targetOf(ext: ExternalServer): Target {
  return {
    url: ext.url,
    // A server given by --url: its metrics are looked for on the same port.
    metricsUrl: `${ext.url}/metrics`,
    api: ext.api,
    usage: ext.pid,
    startedAt: null,
    hasExited: () => ext.pid !== null && !alive(ext.pid),
    logTail: () => "",
  };
}

export async function runExternal(ext: ExternalServer, run: RunContext): Promise<FrameworkResult> {
  const result = {
    ...newResult({ framework: ext.name, runtime: `external server (${ext.api.adapter.name} API)`, language: "unknown", api: ext.api.adapter.name }, run),
    server_url: ext.url,
    external: { server_pid: ext.pid, served_model: ext.api.settings.model },
  };
  const files = filesOf(run, ext.name);
  const fw: FrameworkRun = { run, name: ext.name, precision: ext.precision, result, files, idleMemoryMb: null, save: () => files.save(result) };
  return runPhases(
    fw,
    async () => {
      await reachable(ext.url, run.signal);
      log.step(
        `${ext.name}: ${ext.url} answers; ${ext.api.adapter.name} API; resources ${ext.pid === null ? "not measured (no --server-pid)" : `of process ${ext.pid} and its children`}`,
      );
      return targetOf(ext);
    },
    async () => {},
  );
}
