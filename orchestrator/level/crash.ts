// What a load engine that died says: a few lines for the console and the result's failure, the
// whole of its output in the level's log. An out-of-memory abort prints a heap dump of many lines;
// none of it floods the console or the result file.

/** Most lines a crashed engine's message holds, headline and pointer to the log included. */
export const CRASH_MAX_LINES = 20;
const TAIL_LINES = CRASH_MAX_LINES - 3;
const LINE_CHARS = 300;

/** A V8 or Go out-of-memory abort, by the words the runtime prints. */
export function outOfMemory(output: string): boolean {
  return /JavaScript heap out of memory|Fatal process out of memory|Allocation failed|runtime: out of memory|fatal error: out of memory/i.test(output);
}

/**
 * The error message of an engine that ended without figures: `headline` (one line), out of memory
 * said as such, the last lines of its output (each cut to 300 characters), and where the rest is.
 * At most CRASH_MAX_LINES lines.
 */
export function crashMessage(headline: string, output: string, logFile: string): string {
  const first = headline.split("\n")[0]!.slice(0, LINE_CHARS);
  const oom = outOfMemory(`${headline}\n${output}`);
  const lines = output
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-TAIL_LINES)
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)} …` : l));
  return [`${first}${oom ? " (out of memory)" : ""}`, ...lines, `its whole output: ${logFile}`].join("\n");
}
