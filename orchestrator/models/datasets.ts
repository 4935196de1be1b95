// Which texts k6 sends: a prepared token-length set of the model, a file the user names, or k6's built-in texts.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { log } from "../log.ts";
import { UserError } from "../errors.ts";

export function tokenDatasetPath(modelDir: string, seqLen: number): string {
  return path.join(modelDir, "datasets", `tokens-${seqLen}.json`);
}

/** The DATASET file for k6, checked to hold {"texts": [non-empty strings]}; undefined = k6's built-in texts. */
export function resolveDataset(modelDir: string, seqLen: number | undefined, dataset: string | undefined): string | undefined {
  if (seqLen !== undefined && dataset !== undefined) throw new UserError("--seq-len and --dataset exclude each other");
  if (seqLen === undefined && dataset === undefined) return undefined;
  const file = dataset !== undefined ? path.resolve(dataset) : tokenDatasetPath(modelDir, seqLen!);
  const flag = dataset !== undefined ? "--dataset" : "--seq-len";
  if (!existsSync(file)) {
    throw new UserError(`${flag}: ${file} not found${dataset === undefined ? " (prepare the model again: npm run models -- prepare <model> --force)" : ""}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`${flag}: ${file}: not valid JSON: ${(err as Error).message}`);
  }
  const texts = (body as { texts?: unknown }).texts;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string" && t.length > 0)) {
    throw new UserError(`${flag}: ${file}: texts: expected a non-empty array of non-empty strings`);
  }
  const meta = body as { tokens?: number; effective_tokens?: number };
  const tokens = meta.tokens !== undefined ? `, ${meta.tokens} tokens each${meta.effective_tokens !== meta.tokens ? ` (truncated to ${meta.effective_tokens} by the model)` : ""}` : "";
  log.step(`k6 texts: ${texts.length} from ${file}${tokens}`);
  return file;
}
