// `npm run load -- --url http://127.0.0.1:8000 --concurrency 4 --duration 10s`: one level of load
// against any running server, in the API it speaks, with the embedded engine (no k6 needed), ending
// in a k6-like summary. Exit status: 0 when the level held its thresholds, 1 when not, 2 for bad input.
import { BOUNDS } from "../plan/config-schema.ts";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiTarget } from "../sweep/api-client.ts";
import { parseFlags } from "../plan/flags.ts";
import { LoadOptions, loadHelpText } from "../plan/load-options.ts";
import { runMain, UserError } from "../platform/errors.ts";
import { allowedCpus, parseCpuList } from "../platform/affinity.ts";
import { driveLevel } from "../level/drive.ts";
import { EmbeddedEngine } from "../level/embedded/embedded-engine.ts";
import { renderOutcome } from "../level/outcome-text.ts";
import { thresholdsOk } from "../level/end.ts";
import type { LevelSpec } from "../plan/level-spec.ts";
import { log } from "../platform/log.ts";
import { vuSizing } from "../../scenario/openloop.ts";
import { checkDatasetFile } from "../models/datasets.ts";

const DURATION = /^([1-9]\d*)(s|m|h)?$/;
const UNIT_S = { s: 1, m: 60, h: 3600 } as const;

/** "10s", "2m", "1h" or plain seconds → whole seconds. */
export function durationS(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new UserError(`--duration: expected whole seconds like 10s, 2m or 30, got '${text}'`);
  const seconds = Number(m[1]) * UNIT_S[(m[2] ?? "s") as keyof typeof UNIT_S];
  if (seconds < 1 || seconds > BOUNDS.durationS) throw new UserError(`--duration: must be 1 s to ${BOUNDS.durationS} s (1h), got '${text}'`);
  return seconds;
}

export function loadSpec(o: LoadOptions, logDir: string): LevelSpec {
  if (o.url === undefined) throw new UserError("--url is required: the server to load, e.g. --url http://127.0.0.1:8000");
  if (o.rate !== undefined && o.concurrency !== undefined) throw new UserError("--concurrency (closed loop) and --rate (open loop) exclude each other");
  if (o.rate === undefined && (o.max_in_flight !== undefined || o.arrivals !== "constant"))
    throw new UserError("--max-in-flight and --arrivals need --rate (open loop)");
  if (o.dataset !== undefined) checkDatasetFile(o.dataset, "--dataset");
  const api = apiTarget(o.api, { model: o.served_model });
  if (o.api === "kserve" && o.served_model === "") throw new UserError("--api kserve needs --served-model (the /v2/models/<name> it serves)");
  const sizing = o.rate !== undefined ? vuSizing(o.rate, 100, 4, 200) : null;
  const cpus = o.cpus === undefined ? null : parseCpuList(o.cpus);
  const outside = cpus?.filter((c) => !allowedCpus().includes(c)) ?? [];
  if (outside.length) throw new UserError(`--cpus: CPU ${outside.join(",")} is not available to this process (allowed: ${allowedCpus().join(",")})`);
  return {
    url: o.url.replace(/\/+$/, ""),
    api: o.api,
    apiSettings: api.settings,
    ...(o.dataset !== undefined ? { datasetFile: path.resolve(o.dataset) } : {}),
    batchSize: o.batch_size,
    seqLen: null,
    normalize: true,
    expectedDim: o.dim,
    load:
      o.rate !== undefined
        ? {
            mode: "open",
            rateRps: o.rate,
            arrivals: o.arrivals,
            seed: o.seed,
            maxInFlight: o.max_in_flight ?? sizing!.maxVUs,
            preAllocated: sizing!.preAllocatedVUs,
          }
        : { mode: "closed", vus: o.concurrency ?? 1 },
    durationS: durationS(o.duration),
    windowS: 0,
    requestTimeoutS: o.timeout_s,
    maxErrorRate: o.max_error_rate,
    tags: { framework: "adhoc", model: o.served_model || "unknown", run_id: "adhoc" },
    files: { log: path.join(logDir, "engine.log"), summary: path.join(logDir, "outcome.json") },
    cpus,
  };
}

runMain(async (argv, { signal }) => {
  const { options } = parseFlags(LoadOptions, argv, { maxPositionals: 0, helpHint: "see --help" });
  if (options.help) {
    process.stdout.write(loadHelpText());
    return 0;
  }
  const spec = loadSpec(options, mkdtempSync(path.join(os.tmpdir(), "eb-load-")));
  const engine = new EmbeddedEngine();
  const load =
    spec.load.mode === "closed" ? `${spec.load.vus} VUs` : `${spec.load.rateRps} req/s (${spec.load.arrivals}, at most ${spec.load.maxInFlight} in flight)`;
  log.step(`embedded engine ${engine.version}: ${load} for ${spec.durationS}s against ${spec.url} (${spec.api} API), batch ${spec.batchSize}`);
  const level = await driveLevel(engine, spec, { signal, onStart: () => {} });
  const ok = thresholdsOk({ ...level.outcome, stalls: level.stalls, end: level.end }, spec.maxErrorRate);
  if (options.json) console.log(JSON.stringify({ ...level.outcome, stalls: level.stalls, end: level.end, thresholds_ok: ok }, null, 2));
  else console.log(renderOutcome(level.outcome, spec, level));
  log.step(`engine log and figures: ${path.dirname(spec.files.log)}`);
  if (signal.aborted) throw signal.reason;
  return ok ? 0 : 1;
});
