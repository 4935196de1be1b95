import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatZodIssues } from "../errors.ts";
import { FrameworkResult } from "./schema.ts";

/** Write-then-rename: a reader (or a crash) never sees half a file. */
export function writeFileAtomic(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function resultFile(resultsDir: string, model: string, framework: string): string {
  return path.join(resultsDir, model, `${framework}.json`);
}

export function saveResult(resultsDir: string, result: FrameworkResult): string {
  const file = resultFile(resultsDir, result.model_name, result.framework);
  writeFileAtomic(file, JSON.stringify(FrameworkResult.parse(result), null, 2) + "\n");
  return file;
}

/** Every <framework>.json of a model, validated; files that do not match the schema are reported, not skipped silently. */
export function loadResults(resultsDir: string, model: string): { results: FrameworkResult[]; problems: string[] } {
  const dir = path.join(resultsDir, model);
  const results: FrameworkResult[] = [];
  const problems: string[] = [];
  if (!existsSync(dir)) return { results, problems };
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      problems.push(`${file}: not JSON (${(err as Error).message})`);
      continue;
    }
    const parsed = FrameworkResult.safeParse(raw);
    if (parsed.success) results.push(parsed.data);
    else problems.push(formatZodIssues(file, parsed.error));
  }
  return { results, problems };
}
