// Reading grafana/ dashboards the way Grafana's InfluxDB (InfluxQL) datasource does: every panel
// query and variable query, with template variables substituted, so tests can run them against a
// real InfluxDB. Grafana itself is not installable here; this is the part of it the dashboards need.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const DatasourceRef = z.object({ type: z.string().min(1), uid: z.string().min(1) }).strict();

// Loose objects: a dashboard holds many display keys this reader has no business checking.
const Target = z.looseObject({
  refId: z.string().min(1),
  datasource: DatasourceRef,
  rawQuery: z.literal(true).describe("raw InfluxQL: the query text is what runs"),
  resultFormat: z.enum(["time_series", "table"]),
  query: z.string().min(1),
  alias: z.string().optional(),
});

interface PanelShape {
  id: number;
  type: string;
  title: string;
  datasource?: z.infer<typeof DatasourceRef>;
  targets?: z.infer<typeof Target>[];
  panels?: PanelShape[];
  gridPos: { x: number; y: number; w: number; h: number };
}

const Panel: z.ZodType<PanelShape> = z.lazy(() =>
  z.looseObject({
    id: z.number().int().positive(),
    type: z.string().min(1),
    title: z.string().min(1),
    datasource: DatasourceRef.optional(),
    targets: z.array(Target).optional(),
    panels: z.array(Panel).optional(),
    gridPos: z.object({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }),
  }),
);

const Variable = z.looseObject({
  name: z.string().regex(/^\w+$/),
  type: z.literal("query"),
  datasource: DatasourceRef,
  query: z.string().min(1),
  multi: z.boolean(),
  includeAll: z.boolean(),
});

export const Dashboard = z.looseObject({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int(),
  templating: z.object({ list: z.array(Variable) }).loose(),
  panels: z.array(Panel).min(1),
});
export type Dashboard = z.infer<typeof Dashboard>;

const ProvisionedDatasources = z.looseObject({
  apiVersion: z.literal(1),
  datasources: z.array(z.looseObject({ name: z.string(), uid: z.string().min(1), type: z.string().min(1), url: z.string().min(1) })).min(1),
});

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

/** Every `*.json` in `dir`, validated; errors name the file and the field. */
export function loadDashboards(dir: string): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const parsed = Dashboard.safeParse(JSON.parse(readFileSync(file, "utf8")));
      if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      return { file, dashboard: parsed.data };
    });
}

export function loadProvisionedDatasources(file: string): { uid: string; type: string; name: string }[] {
  const parsed = ProvisionedDatasources.safeParse(parseYaml(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data.datasources;
}

/** Panels including those nested in rows. */
export function allPanels(d: Dashboard): PanelShape[] {
  const out: PanelShape[] = [];
  const walk = (ps: readonly PanelShape[]) => {
    for (const p of ps) {
      out.push(p);
      if (p.panels) walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export interface PanelQuery {
  panel: string;
  panelType: string;
  refId: string;
  query: string;
  resultFormat: "time_series" | "table";
  datasource: { type: string; uid: string };
}

/** Every query of every panel (rows excluded: they hold panels, not queries). */
export function panelQueries(d: Dashboard): PanelQuery[] {
  return allPanels(d)
    .filter((p) => p.type !== "row")
    .flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, panelType: p.type, refId: t.refId, query: t.query, resultFormat: t.resultFormat, datasource: t.datasource })),
    );
}

/** Variables Grafana defines itself for InfluxQL queries. */
export const GRAFANA_BUILTINS = new Set(["timeFilter", "__interval", "__interval_ms", "__from", "__to", "__dashboard", "__user", "__org"]);

const VARIABLE_RE = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g;

/** Names of the template variables a query refers to (`$x`, `${x}`, `${x:fmt}`, `[[x]]`). */
export function referencedVariables(query: string): string[] {
  return [...new Set([...query.matchAll(VARIABLE_RE)].map((m) => m[1] ?? m[2] ?? m[3]!))];
}

/** Grafana's regex escaping of variable values inside `/…/` (kbn.regexEscape). */
export const regexEscape = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");

export interface Substitution {
  /** Selected values per variable; several values become `(a|b)` as with Grafana's multi-value variables. */
  variables: Record<string, readonly string[]>;
  fromMs: number;
  toMs: number;
  intervalS: number;
}

/**
 * Interpolates a query as Grafana's InfluxQL datasource does: `$timeFilter` becomes an absolute
 * range in epoch ms, `$__interval` the group-by interval, variables regex-escaped (they sit in
 * `=~ /^…$/` matches). An unknown variable is an error, as it would be a broken panel in Grafana.
 */
export function substitute(query: string, s: Substitution): string {
  return query.replace(VARIABLE_RE, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (name === "timeFilter") return `time >= ${s.fromMs}ms and time <= ${s.toMs}ms`;
    if (name === "__interval") return `${s.intervalS}s`;
    if (name === "__interval_ms") return String(s.intervalS * 1000);
    if (name === "__from") return String(s.fromMs);
    if (name === "__to") return String(s.toMs);
    const values = s.variables[name];
    if (!values || values.length === 0) throw new Error(`query uses ${whole}, which has no value`);
    const escaped = values.map(regexEscape);
    return escaped.length === 1 ? escaped[0]! : `(${escaped.join("|")})`;
  });
}

/** Tag keys of the outermost GROUP BY (time() and fill() excluded): the tags every returned series carries. */
export function groupByTags(query: string): string[] {
  const at = query.toUpperCase().lastIndexOf("GROUP BY");
  if (at < 0) return [];
  return query
    .slice(at + "GROUP BY".length)
    .replace(/\b(fill|time)\([^)]*\)/gi, "")
    .replace(/\b(ORDER BY|LIMIT|SLIMIT|OFFSET|SOFFSET)\b.*$/is, "")
    .split(",")
    .map((t) => t.trim().replace(/^"(.*)"$/, "$1"))
    .filter((t) => t !== "");
}

/**
 * Whether a query shows open-loop data only: eb_level points of open-loop levels (tag `rate`) or
 * --slo's eb_capacity. A closed-loop run leaves such panels empty.
 */
export const isOpenLoopQuery = (query: string) => /"rate" =~ \/\.\+\//.test(query) || /FROM "eb_capacity"/.test(query);

/** Whether a query keeps open-loop levels out (`"rate" = ''`: only points without the tag). */
export const isClosedLoopQuery = (query: string) => query.includes(`"rate" = ''`);
