// Which texts the load engine sends: a prepared token-length set of the model, a file the user names, or the built-in texts.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { log } from "../platform/log.ts";
import { UserError } from "../platform/errors.ts";

export function tokenDatasetPath(modelDir: string, seqLen: number): string {
  return path.join(modelDir, "datasets", `tokens-${seqLen}.json`);
}

/**
 * Reads `file` as a level's dataset and returns its texts: an object whose `texts` is a non-empty list of
 * non-empty strings; anything else is one UserError line naming the flag, the file and what is wrong.
 */
export function checkDatasetFile(file: string, flag: string): { file: string; texts: string[]; tokens?: number; effective_tokens?: number } {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new UserError(`${flag}: ${abs} not found`);
  let raw: string;
  try {
    raw = readFileSync(abs, "utf8");
  } catch (err) {
    // Unreadable is not invalid: a folder, a file without read permission, an I/O error.
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EISDIR" ? "is a folder, not a file" : code === "EACCES" || code === "EPERM" ? "cannot be read (permission denied)" : "cannot be read";
    throw new UserError(`${flag}: ${abs} ${why} (${code ?? (err as Error).message})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new UserError(`${flag}: ${abs}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new UserError(`${flag}: ${abs}: expected an object {"texts": [...]}, got ${body === null ? "null" : Array.isArray(body) ? "a list" : typeof body}`);
  }
  const { texts, tokens, effective_tokens } = body as { texts?: unknown; tokens?: number; effective_tokens?: number };
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string" && t.length > 0)) {
    throw new UserError(`${flag}: ${abs}: texts: expected a non-empty array of non-empty strings`);
  }
  return { file: abs, texts: texts as string[], ...(tokens !== undefined ? { tokens } : {}), ...(effective_tokens !== undefined ? { effective_tokens } : {}) };
}

/** The texts of one text length of a sweep, as the load engine sends them. */
export interface TextSet {
  /** Tokens every text was cut to (--seq-len); null: not cut to a count (the built-in texts, a --dataset file). */
  seqLen: number | null;
  /** JSON {"texts": [...]} the engine sends; null: its built-in deterministic texts. */
  file: string | null;
  /** Input tokens of every text as the model sees it: the file's effective_tokens; null: not counted. */
  tokensPerText: number | null;
  /** The texts themselves (warm-up sends them too); null: the built-in texts. */
  texts: string[] | null;
}

export const BUILTIN_TEXTS: TextSet = { seqLen: null, file: null, tokensPerText: null, texts: null };

/**
 * The text sets of a run: one per --seq-len (the model's prepared tokens-<N>.json), or the --dataset
 * file, or the built-in texts; each file checked to hold {"texts": [non-empty strings]}.
 */
export function resolveTextSets(modelDir: string, seqLens: readonly number[] | undefined, dataset: string | undefined): TextSet[] {
  if (dataset !== undefined) return [textSetOf(checkDatasetFile(dataset, "--dataset"), null)];
  if (seqLens === undefined) return [BUILTIN_TEXTS];
  return seqLens.map((n) => {
    const file = tokenDatasetPath(modelDir, n);
    if (!existsSync(file)) throw new UserError(`--seq-len ${n}: ${file} not found (prepare the model again: npm run models -- prepare <model> --force)`);
    return textSetOf(checkDatasetFile(file, "--seq-len"), n);
  });
}

function textSetOf(d: ReturnType<typeof checkDatasetFile>, seqLen: number | null): TextSet {
  const tokens =
    d.tokens !== undefined ? `, ${d.tokens} tokens each${d.effective_tokens !== d.tokens ? ` (truncated to ${d.effective_tokens} by the model)` : ""}` : "";
  log.step(`texts sent: ${d.texts.length} from ${d.file}${tokens}`);
  return { seqLen, file: d.file, tokensPerText: d.effective_tokens ?? null, texts: d.texts };
}
