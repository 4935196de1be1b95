// Verify before benchmark: a server is load-tested only if it computes the same vectors as the
// fp32 sentence-transformers reference (models/<key>/reference/probes.json, written by the model
// pipeline). Each probe is sent alone, then the probes go again in batches of VERIFY_BATCH (file
// order, so short and long texts share a batch), so both the batch-1 path and padding/masking across
// a batch are checked. Not all probes in one batch: a long-context model pads every text to the
// longest probe (~900 tokens for bge-m3), and one 18-text batch of that took 42 s on a 2-layer
// stand-in in candle, 4-text batches a few seconds. The comparison itself is pure and unit-tested.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Precision } from "../results/schema.ts";
import { EMBED_API, embedVia, type ApiTarget, type EmbedAnswer } from "./api-client.ts";
import type { Verification } from "../results/schema.ts";

/** Probes per request in the batched pass. */
export const VERIFY_BATCH = 4;

// Written by the model pipeline (orchestrator/models/pipeline/prepare_model.py); not strict, so that fields
// it may add later do not break older readers.
export const ProbeFile = z.object({
  texts: z.array(z.string()).nonempty().describe("probe texts"),
  embeddings: z.array(z.array(z.number()).nonempty()).nonempty().describe("reference vector per text"),
  normalized: z.boolean().describe("the reference vectors are L2-normalised"),
  source: z.string().describe("what produced the reference"),
});
export type ProbeFile = z.infer<typeof ProbeFile>;

export function probesPath(modelDir: string): string {
  return path.join(modelDir, "reference", "probes.json");
}

/** Reads and checks the reference; the error names the file and what is wrong with it. */
export function loadProbes(modelDir: string): ProbeFile {
  const file = probesPath(modelDir);
  if (!existsSync(file)) throw new Error(`no reference embeddings at ${file}: prepare the model again`);
  const parsed = ProbeFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ")}`);
  if (parsed.data.texts.length !== parsed.data.embeddings.length) {
    throw new Error(`${file}: ${parsed.data.texts.length} texts but ${parsed.data.embeddings.length} embeddings`);
  }
  return parsed.data;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`cosine of vectors of different lengths (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  // A zero vector matches nothing; NaN would slip through a `<` comparison.
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

export function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** |‖v‖ − 1| above this means the server did not normalise (float32 rounding stays far below). */
export const NORM_TOLERANCE = 1e-3;

export interface Comparison {
  min_cosine: number | null;
  max_norm_error: number | null;
  /** One line per problem; empty when everything matched. */
  problems: string[];
}

function snippet(text: string): string {
  const flat = JSON.stringify(text);
  return flat.length > 40 ? `${flat.slice(0, 37)}…"` : flat;
}

/**
 * Compares what a server returned for `texts` (in `label`, e.g. "one at a time") with the reference.
 * `got[i]` undefined or of the wrong length is a problem, as is a cosine under `minCosine` or a norm
 * off 1 (the requests ask for normalised vectors).
 */
export function compareEmbeddings(
  texts: readonly string[],
  reference: readonly (readonly number[])[],
  got: readonly (readonly number[] | undefined)[],
  minCosine: number,
  label: string,
): Comparison {
  const problems: string[] = [];
  let minCos: number | null = null;
  let maxNormErr: number | null = null;
  if (got.length !== texts.length) problems.push(`${label}: expected ${texts.length} embeddings, got ${got.length}`);
  texts.forEach((text, i) => {
    const v = got[i];
    const ref = reference[i]!;
    if (!v) return;
    if (v.length !== ref.length) {
      problems.push(`${label}: probe ${i} ${snippet(text)}: dimension ${v.length}, expected ${ref.length}`);
      return;
    }
    const c = cosine(v, ref);
    minCos = minCos === null ? c : Math.min(minCos, c);
    if (!(c >= minCosine)) problems.push(`${label}: probe ${i} ${snippet(text)}: cosine ${c.toFixed(6)} < ${minCosine}`);
    const normErr = Math.abs(norm(v) - 1);
    maxNormErr = maxNormErr === null ? normErr : Math.max(maxNormErr, normErr);
    if (!(normErr <= NORM_TOLERANCE)) problems.push(`${label}: probe ${i} ${snippet(text)}: norm ${norm(v).toFixed(6)}, expected 1 (normalize: true)`);
  });
  return { min_cosine: minCos, max_norm_error: maxNormErr, problems };
}

/** Merges comparisons: the lowest cosine, the largest norm error, every problem. */
export function mergeComparisons(parts: readonly Comparison[]): Comparison {
  const mins = parts.map((p) => p.min_cosine).filter((x): x is number => x !== null);
  const norms = parts.map((p) => p.max_norm_error).filter((x): x is number => x !== null);
  return {
    min_cosine: mins.length ? Math.min(...mins) : null,
    max_norm_error: norms.length ? Math.max(...norms) : null,
    problems: parts.flatMap((p) => p.problems),
  };
}

function vectorsOf(answer: EmbedAnswer, label: string, problems: string[]): (number[] | undefined)[] {
  if (answer.problem !== null) problems.push(`${label}: ${answer.problem}`);
  return answer.vectors ?? [];
}

export interface VerifyOptions {
  minCosine: number;
  /** Recorded with the result: the precision that chose minCosine. */
  precision?: Precision;
  timeoutMs: number;
  /** The API the server speaks; default: this project's /embed. */
  api?: ApiTarget;
  /** Problems listed in the reason before it is cut short. */
  maxReasons?: number;
  /** Ctrl-C: ends the request waited on at once. */
  signal?: AbortSignal;
}

/** Sends the probe set to a running server and compares the answers with the reference. */
export async function verifyServer(url: string, probes: ProbeFile, opts: VerifyOptions): Promise<Verification> {
  const started = performance.now();
  const transport: string[] = [];
  const embed = (texts: string[]) => embedVia(opts.api ?? EMBED_API, url, texts, opts.timeoutMs, opts.signal);
  const single: (number[] | undefined)[] = [];
  for (const text of probes.texts) single.push(vectorsOf(await embed([text]), `probe ${single.length} alone`, transport)[0]);
  const batched: (number[] | undefined)[] = [];
  for (let i = 0; i < probes.texts.length; i += VERIFY_BATCH) {
    const texts = probes.texts.slice(i, i + VERIFY_BATCH);
    const label = `probes ${i}–${i + texts.length - 1} as one batch`;
    const answer = await embed(texts);
    const got = vectorsOf(answer, label, transport);
    // A short or long answer cannot be matched to its texts: each of them counts as missing.
    if (got.length !== texts.length && answer.problem === null) transport.push(`${label}: expected ${texts.length} embeddings, got ${got.length}`);
    batched.push(...(got.length === texts.length ? got : texts.map(() => undefined)));
  }
  const cmp = mergeComparisons([
    compareEmbeddings(probes.texts, probes.embeddings, single, opts.minCosine, "one at a time"),
    compareEmbeddings(probes.texts, probes.embeddings, batched, opts.minCosine, `in batches of ${VERIFY_BATCH}`),
  ]);
  const problems = [...transport, ...cmp.problems];
  const max = opts.maxReasons ?? 5;
  const reason = problems.length
    ? `${problems.length} problem(s) vs the reference (${probes.source}): ${problems.slice(0, max).join("; ")}${problems.length > max ? "; …" : ""}`
    : null;
  return {
    passed: problems.length === 0,
    min_cosine_required: opts.minCosine,
    ...(opts.precision ? { precision: opts.precision } : {}),
    min_cosine: cmp.min_cosine,
    max_norm_error: cmp.max_norm_error,
    probes: probes.texts.length,
    reference_source: probes.source,
    reason,
    duration_ms: Number((performance.now() - started).toFixed(1)),
  };
}
