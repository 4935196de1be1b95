// The one codec of a level and of a sweep's operating point: the point's key in results
// (`concurrency_<N>_batch_<B>[_seq_<S>]`, `rate_<N>_batch_<B>[_seq_<S>]`), its file stem
// (`c<N>-b<B>[-s<S>]`, `r<N>-…`), and the variables that carry a level to an engine (k6's
// `-e NAME=value`; the k6 script reads them back with the same code). Nothing else builds or parses
// these. Pure: the k6 script bundles it.
import { DEFAULT_API_SETTINGS, isApiName, type ApiName, type ApiSettings } from "../../scenario/apis/index.ts";
import { vuSizing } from "../../scenario/openloop.ts";
import type { LevelSpec } from "./level-spec.ts";

/** A level of a sweep: N virtual users (closed loop) or N requests started per second (open loop). */
export interface LevelId {
  mode: "closed" | "open";
  value: number;
}

/**
 * One operating point of a framework and model: a level at a batch size and a text length. The
 * model is the result's folder, the framework its file; `seqLen` is null where the texts are not cut
 * to a token count (the built-in texts, or a --dataset file).
 */
export interface SweepPoint {
  level: LevelId;
  batchSize: number;
  seqLen: number | null;
}

const LEVEL_KEY = /^(concurrency|rate)_([1-9]\d*)$/;
const POINT_KEY = /^(concurrency|rate)_([1-9]\d*)_batch_([1-9]\d*)(?:_seq_([1-9]\d*))?$/;
const POINT_STEM = /^(c|r)([1-9]\d*)-b([1-9]\d*)(?:-s([1-9]\d*))?$/;

/** `concurrency_4` (closed loop, 4 VUs) or `rate_20` (open loop, 20 req/s): a level's own part of a point's key (and the whole key in results of schema 9 and before). */
export function levelKey(l: LevelId): string {
  return `${l.mode === "open" ? "rate" : "concurrency"}_${l.value}`;
}

/** The level a level key names; null when it is not one. */
export function parseLevelKey(key: string): LevelId | null {
  const m = LEVEL_KEY.exec(key);
  return m ? { mode: m[1] === "rate" ? "open" : "closed", value: Number(m[2]) } : null;
}

/** `c4` or `r20`: a level's own part of a point's file stem. */
export function levelStem(l: LevelId): string {
  return `${l.mode === "open" ? "r" : "c"}${l.value}`;
}

/** `concurrency_4_batch_8_seq_128`: the point's key in a result's scenarios (`_seq_<S>` only for texts cut to S tokens). */
export function pointKey(p: SweepPoint): string {
  return `${levelKey(p.level)}_batch_${p.batchSize}${p.seqLen === null ? "" : `_seq_${p.seqLen}`}`;
}

/** The point a key names; null when it is not a point key (a schema 9 key such as `concurrency_4` included). */
export function parsePointKey(key: string): SweepPoint | null {
  const m = POINT_KEY.exec(key);
  return m ? { level: { mode: m[1] === "rate" ? "open" : "closed", value: Number(m[2]) }, batchSize: Number(m[3]), seqLen: m[4] ? Number(m[4]) : null } : null;
}

/** `c4-b8-s128`: how a point's files are named. */
export function pointStem(p: SweepPoint): string {
  return `${levelStem(p.level)}-b${p.batchSize}${p.seqLen === null ? "" : `-s${p.seqLen}`}`;
}

/** The point a file stem names; null when it is not one. */
export function parsePointStem(stem: string): SweepPoint | null {
  const m = POINT_STEM.exec(stem);
  return m ? { level: { mode: m[1] === "r" ? "open" : "closed", value: Number(m[2]) }, batchSize: Number(m[3]), seqLen: m[4] ? Number(m[4]) : null } : null;
}

export const closedLevel = (vus: number): LevelId => ({ mode: "closed", value: vus });
export const openLevel = (rateRps: number): LevelId => ({ mode: "open", value: rateRps });
/** A closed-loop point: `vus` VUs at a batch size (default 1) and text length (default: texts not cut to a token count). */
export const closedPoint = (vus: number, batchSize = 1, seqLen: number | null = null): SweepPoint => ({ level: closedLevel(vus), batchSize, seqLen });
/** An open-loop point: `rateRps` req/s at a batch size (default 1) and text length (default: not cut). */
export const openPoint = (rateRps: number, batchSize = 1, seqLen: number | null = null): SweepPoint => ({ level: openLevel(rateRps), batchSize, seqLen });

/** The level a spec runs. */
export const levelOf = (spec: Pick<LevelSpec, "load">): LevelId => (spec.load.mode === "open" ? openLevel(spec.load.rateRps) : closedLevel(spec.load.vus));

/** The operating point a spec runs. */
export const pointOf = (spec: Pick<LevelSpec, "load" | "batchSize" | "seqLen">): SweepPoint => ({
  level: levelOf(spec),
  batchSize: spec.batchSize,
  seqLen: spec.seqLen,
});

/** A level as the k6 script's variables. */
export function toVariables(spec: LevelSpec): Record<string, string> {
  const { load } = spec;
  const open: Record<string, string> =
    load.mode === "open"
      ? {
          MODE: "open",
          RATE: String(load.rateRps),
          ARRIVALS: load.arrivals,
          ARRIVAL_SEED: String(load.seed),
          MAX_VUS: String(load.maxInFlight),
          PRE_ALLOCATED_VUS: String(load.preAllocated),
        }
      : { CONCURRENCY: String(load.vus) };
  return {
    BASE_URL: spec.url,
    API: spec.api,
    SERVED_MODEL: spec.apiSettings.model,
    KSERVE_INPUT: spec.apiSettings.kserveInput,
    KSERVE_OUTPUT: spec.apiSettings.kserveOutput,
    ...open,
    DURATION: `${spec.durationS}s`,
    BATCH_SIZE: String(spec.batchSize),
    ...(spec.seqLen !== null ? { SEQ_LEN: String(spec.seqLen) } : {}),
    NORMALIZE: String(spec.normalize),
    EXPECTED_DIM: String(spec.expectedDim),
    MAX_ERROR_RATE: String(spec.maxErrorRate),
    REQUEST_TIMEOUT: `${spec.requestTimeoutS}s`,
    FRAMEWORK: spec.tags.framework,
    MODEL: spec.tags.model,
    RUN_ID: spec.tags.run_id,
    SUMMARY_FILE: spec.files.summary,
    ...(spec.windowS > 0 ? { WINDOW_S: String(spec.windowS) } : {}),
    ...(spec.datasetFile ? { DATASET: spec.datasetFile } : {}),
  };
}

/** What the k6 script needs of a level, read back from its variables. */
export type LevelVariables = Omit<LevelSpec, "files" | "cpus" | "datasetFile"> & {
  datasetFile: string | null;
  summaryFile: string | null;
  /** Built-in texts: words per text. */
  wordsPerText: number;
};

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`-e ${name} must be an integer of at least ${min}, got '${raw}'`);
  return n;
}

function fraction(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`-e ${name} must be a number from 0 to 1, got '${raw}'`);
  return n;
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** "30s", "2m", "1h" → whole seconds. */
export function durationSeconds(text: string, name = "DURATION"): number {
  const m = /^([1-9]\d*)(s|m|h)$/.exec(text);
  if (!m) throw new Error(`-e ${name} must be a whole duration like 30s, 2m or 1h, got '${text}'`);
  return Number(m[1]) * UNIT_S[m[2]!]!;
}

function choice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name] ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`-e ${name} must be one of ${allowed.join(", ")}, got '${raw}'`);
  return raw as T;
}

/**
 * A level from its variables, with the defaults an ad hoc `k6 run build/embed.js -e BASE_URL=…`
 * gets: 1 VU for 10 s, batch 1; in open loop the VU pool is sized from EXPECTED_LATENCY_MS and
 * VU_HEADROOM unless PRE_ALLOCATED_VUS (with MAX_VUS) gives it.
 */
export function fromVariables(env: Env): LevelVariables {
  const url = (env["BASE_URL"] ?? "").replace(/\/+$/, "");
  if (url === "") throw new Error("set the server with -e BASE_URL=http://127.0.0.1:<port>");
  const api = env["API"] ?? "embed";
  if (!isApiName(api)) throw new Error(`-e API must be one of embed, openai, tei, kserve, got '${api}'`);
  const apiSettings: ApiSettings = {
    model: env["SERVED_MODEL"] ?? DEFAULT_API_SETTINGS.model,
    kserveInput: env["KSERVE_INPUT"] ?? DEFAULT_API_SETTINGS.kserveInput,
    kserveOutput: env["KSERVE_OUTPUT"] ?? DEFAULT_API_SETTINGS.kserveOutput,
  };
  const mode = choice(env, "MODE", ["closed", "open"], "closed");
  const rateRps = int(env, "RATE", 1);
  // Checked in closed loop too: a misspelt open-loop variable is an error, not silently ignored.
  const arrivals = choice(env, "ARRIVALS", ["constant", "poisson"], "constant");
  const seed = int(env, "ARRIVAL_SEED", 1);
  const sizing = env["PRE_ALLOCATED_VUS"]
    ? { preAllocatedVUs: int(env, "PRE_ALLOCATED_VUS", 1), maxVUs: int(env, "MAX_VUS", 1) }
    : vuSizing(rateRps, int(env, "EXPECTED_LATENCY_MS", 100), int(env, "VU_HEADROOM", 4), int(env, "MAX_VUS", 200));
  return {
    url,
    api: api as ApiName,
    apiSettings,
    batchSize: int(env, "BATCH_SIZE", 1),
    seqLen: env["SEQ_LEN"] ? int(env, "SEQ_LEN", 1) : null,
    normalize: (env["NORMALIZE"] ?? "true") !== "false",
    expectedDim: int(env, "EXPECTED_DIM", 0, 0),
    load:
      mode === "open"
        ? { mode, rateRps, arrivals, seed, maxInFlight: sizing.maxVUs, preAllocated: Math.min(sizing.preAllocatedVUs, sizing.maxVUs) }
        : { mode, vus: int(env, "CONCURRENCY", 1) },
    durationS: durationSeconds(env["DURATION"] ?? "10s"),
    windowS: int(env, "WINDOW_S", 0, 0),
    requestTimeoutS: durationSeconds(env["REQUEST_TIMEOUT"] ?? "60s", "REQUEST_TIMEOUT"),
    maxErrorRate: fraction(env, "MAX_ERROR_RATE", 0.01),
    tags: { framework: env["FRAMEWORK"] ?? "adhoc", model: env["MODEL"] ?? "unknown", run_id: env["RUN_ID"] ?? "adhoc" },
    datasetFile: env["DATASET"] || null,
    summaryFile: env["SUMMARY_FILE"] || null,
    wordsPerText: int(env, "WORDS_PER_TEXT", 24),
  };
}
