// The GJSON paths of the API adapters (countPath, dimPath), evaluated on a parsed answer. k6
// evaluates them in Go (Response.json(path)); the embedded engine evaluates the same strings here, so
// the adapters stay the one place that says where an answer's count and dimension are. Only the
// subset the adapters use: `key`, an array index, `#` (the length of an array) and `#(key=="value")`
// (the first element of an array whose key equals value).

const QUERY = /^#\((\w+)==("(?:[^"\\]|\\.)*")\)$/;

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
  return compileGjson(path)(doc);
}

/**
 * `path` split once, for reading many documents (the embedded engine reads two paths on every
 * answer): each segment becomes its step, so a read is only the walk.
 */
export function compileGjson(path: string): (doc: unknown) => unknown {
  const steps = segments(path).map(stepOf);
  return (doc) => {
    let v = doc;
    for (let i = 0; i < steps.length && v !== undefined; i++) v = steps[i]!(v);
    return v;
  };
}

/** `step` for one segment, its parsing done ahead. */
function stepOf(segment: string): (value: unknown) => unknown {
  if (segment === "#") return (value) => (Array.isArray(value) ? value.length : undefined);
  const query = QUERY.exec(segment);
  if (query) {
    const key = query[1]!;
    const wanted: unknown = JSON.parse(query[2]!);
    return (value) => (Array.isArray(value) ? value.find((item) => (item as Record<string, unknown> | null)?.[key] === wanted) : undefined);
  }
  const index = /^\d+$/.test(segment) ? Number(segment) : null;
  return (value) => {
    if (Array.isArray(value)) return index === null ? undefined : value[index];
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[segment] : undefined;
  };
}
