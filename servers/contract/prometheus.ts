// A parser for the Prometheus text exposition format 0.0.4 (what every server's GET /metrics
// writes), so the conformance suite can compare metric families across servers. No npm parser of
// the format is maintained (parse-prometheus-text-format was last released in 2019); the format is
// small: `# HELP name text`, `# TYPE name type`, and samples `name{label="value",…} number [ts]`.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

/** What must be equal across servers: everything but the sample values and label values. */
export interface FamilyShape {
  type: string;
  help: string;
  /** Label names of the family's series, sorted; a histogram's `le` is not one of them. */
  labels: string[];
  /** A histogram's bucket upper bounds (without +Inf), as numbers: `1` and `1.0` are one bound. */
  buckets?: number[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SUFFIXES: Record<string, string[]> = {
  counter: ["_total", ""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["_sum", "_count", ""],
};

function unescapeLabel(text: string, quoted: boolean): string {
  return text.replace(/\\(.)/g, (all, c: string) => (c === "n" ? "\n" : c === "\\" ? "\\" : quoted && c === '"' ? '"' : all));
}

function parseValue(raw: string, line: string): number {
  if (raw === "+Inf") return Infinity;
  if (raw === "-Inf") return -Infinity;
  if (raw === "NaN") return NaN;
  const v = Number(raw);
  if (raw === "" || Number.isNaN(v)) throw new Error(`not a sample value: ${JSON.stringify(raw)} in ${JSON.stringify(line)}`);
  return v;
}

function parseSample(line: string): Sample {
  const brace = line.indexOf("{");
  const space = line.indexOf(" ");
  const labels: Record<string, string> = {};
  let name: string;
  let rest: string;
  if (brace !== -1 && (space === -1 || brace < space)) {
    name = line.slice(0, brace);
    let i = brace + 1;
    for (;;) {
      while (line[i] === " " || line[i] === ",") i++;
      if (line[i] === "}") break;
      const eq = line.indexOf("=", i);
      if (eq === -1 || line[eq + 1] !== '"') throw new Error(`bad label in ${JSON.stringify(line)}`);
      const label = line.slice(i, eq).trim();
      let j = eq + 2;
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
      if (j >= line.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
      if (!NAME.test(label) || label in labels) throw new Error(`bad or repeated label ${JSON.stringify(label)} in ${JSON.stringify(line)}`);
      labels[label] = unescapeLabel(line.slice(eq + 2, j), true);
      i = j + 1;
    }
    rest = line.slice(i + 1).trim();
  } else {
    if (space === -1) throw new Error(`sample without a value: ${JSON.stringify(line)}`);
    name = line.slice(0, space);
    rest = line.slice(space + 1).trim();
  }
  if (!NAME.test(name)) throw new Error(`bad metric name ${JSON.stringify(name)} in ${JSON.stringify(line)}`);
  return { name, labels, value: parseValue(rest.split(/\s+/)[0] ?? "", line) };
}

/** The families of an exposition, by name; throws on a line it cannot read or a sample of no declared family. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: "untyped", help: "", samples: [] };
      families.set(name, f);
    }
    return f;
  };
  let current: Family | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ""] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
      current = family(name!);
      if (kind === "HELP") current.help = unescapeLabel(rest, false);
      else if (rest.trim() in SUFFIXES) current.type = rest.trim();
      else throw new Error(`unknown metric type in ${JSON.stringify(line)}`);
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = parseSample(line);
    const owner = current && SUFFIXES[current.type]!.some((s) => sample.name === current!.name + s) ? current : families.get(sample.name);
    if (!owner) throw new Error(`sample ${sample.name} follows no # TYPE or # HELP of its family`);
    owner.samples.push(sample);
  }
  return families;
}

export function shapeOf(f: Family): FamilyShape {
  const labels = [...new Set(f.samples.flatMap((s) => Object.keys(s.labels)))].filter((l) => !(f.type === "histogram" && l === "le")).sort();
  const shape: FamilyShape = { type: f.type, help: f.help, labels };
  if (f.type === "histogram") {
    const bounds = f.samples.filter((s) => s.name === `${f.name}_bucket`).map((s) => parseValue(s.labels["le"] ?? "", s.name));
    shape.buckets = [...new Set(bounds)].filter((b) => b !== Infinity).sort((a, b) => a - b);
  }
  return shape;
}

/** Every family's shape, keyed and ordered by family name. */
export function shapes(families: Map<string, Family>): Record<string, FamilyShape> {
  return Object.fromEntries([...families.values()].sort((a, b) => a.name.localeCompare(b.name)).map((f) => [f.name, shapeOf(f)]));
}

/** Sum of a family's samples named `sample` (over all series, e.g. every worker's, or those `keep` accepts by their labels). */
export function total(families: Map<string, Family>, family: string, sample = family, keep: (labels: Record<string, string>) => boolean = () => true): number {
  const f = families.get(family);
  if (!f) throw new Error(`no metric family ${family}`);
  return f.samples.filter((s) => s.name === sample && keep(s.labels)).reduce((n, s) => n + s.value, 0);
}
