// The GJSON paths of the API adapters (countPath, dimPath), evaluated on a parsed answer. k6
// evaluates them in Go (Response.json(path)); the embedded engine evaluates the same strings here, so
// the adapters stay the one place that says where an answer's count and dimension are. Only the
// subset the adapters use: `key`, an array index, `#` (the length of an array) and `#(key=="value")`
// (the first element of an array whose key equals value).

const QUERY = /^#\((\w+)==("(?:[^"\\]|\\.)*")\)$/;

function step(value: unknown, segment: string): unknown {
  if (segment === "#") return Array.isArray(value) ? value.length : undefined;
  const query = QUERY.exec(segment);
  if (query) {
    const [, key, literal] = query;
    const wanted: unknown = JSON.parse(literal!);
    return Array.isArray(value) ? value.find((item) => (item as Record<string, unknown> | null)?.[key!] === wanted) : undefined;
  }
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[segment] : undefined;
}

/** Splits on dots outside a `#(…)` query (whose quoted value may hold dots). */
function segments(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of path) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "." && depth === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** The value at `path` in `doc`, or undefined when the path does not lead anywhere. */
export function gjsonGet(doc: unknown, path: string): unknown {
  return segments(path).reduce<unknown>((v, s) => (v === undefined ? undefined : step(v, s)), doc);
}
