// InfluxDB line protocol (v1 /write): `measurement,tag=v,… field=1,other="s" <time>`.
// Escaping rules: https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
// Kept hand-written on purpose: it is 50 lines with unit tests of every escaping rule, and the
// maintained client (@influxdata/influxdb-client) writes through /api/v2/write, which InfluxDB 1.6
// (Debian's, the one the suite and k6's built-in output target) does not serve.

export type FieldValue = number | boolean | string;

export interface Point {
  measurement: string;
  /** Tags are indexed strings (GROUP BY / WHERE); empty values are dropped (InfluxDB rejects them). */
  tags: Record<string, string>;
  /** Non-finite numbers and nulls are dropped: InfluxDB has no NaN and a point needs one field. */
  fields: Record<string, FieldValue | null | undefined>;
  /** Epoch milliseconds (written with precision=ms). */
  timeMs: number;
}

const escapeMeasurement = (s: string) => s.replace(/[\\,\s]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[\\,=\s]/g, (c) => `\\${c}`);
const escapeString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function formatField(v: FieldValue): string {
  if (typeof v === "string") return escapeString(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  // Floats throughout: InfluxDB fixes a field's type on first write, so an integer-looking value
  // (e.g. 0 errors) written as `0i` would make a later `0.5` rejected.
  return String(v);
}

/** One line, or null when the point has no writable field. */
export function toLine(p: Point): string | null {
  const fields = Object.entries(p.fields)
    .filter((e): e is [string, FieldValue] => e[1] !== null && e[1] !== undefined && (typeof e[1] !== "number" || Number.isFinite(e[1])))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${escapeKey(k)}=${formatField(v)}`);
  if (fields.length === 0) return null;
  // Sorted tags are what InfluxDB stores anyway; sorting here makes the lines deterministic.
  const tags = Object.entries(p.tags)
    .filter(([, v]) => v !== "")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
    .join("");
  if (!Number.isInteger(p.timeMs)) throw new Error(`point ${p.measurement}: time must be integer milliseconds, got ${p.timeMs}`);
  return `${escapeMeasurement(p.measurement)}${tags} ${fields.join(",")} ${p.timeMs}`;
}

export function toLines(points: readonly Point[]): string {
  return points
    .map(toLine)
    .filter((l): l is string => l !== null)
    .join("\n");
}
