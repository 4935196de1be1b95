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
      (p.targets ?? []).map((t) => ({
        panel: p.title,
        panelType: p.type,
        refId: t.refId,
        query: t.query,
        resultFormat: t.resultFormat,
        datasource: t.datasource,
      })),
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

/** Measurements a query reads (`FROM "m"`, subqueries included). */
export const queryMeasurements = (query: string) => [...new Set([...query.matchAll(/\bFROM "([^"]+)"/gi)].map((m) => m[1]!))];

/** Fields a query aggregates (`fn("field"…)`). */
export const aggregatedFields = (query: string) => [...new Set([...query.matchAll(/\b\w+\("([^"]+)"/g)].map((m) => m[1]!))];

/** Tag keys a query filters on (`"key" = '…'`, `"key" =~ /…/`, `"key" != …`). */
export const filteredTags = (query: string) => [...new Set([...query.matchAll(/"(\w+)"\s*(?:=~|!~|!=|=)\s*['/]/g)].map((m) => m[1]!))];

/**
 * eb_live fields only the embedded engine's samples fill (orchestrator/outputs/influx/points.ts livePoint):
 * k6's live samples have no interval percentiles, so with k6 these fields are absent.
 */
export const EMBEDDED_ONLY_LIVE_FIELDS = new Set(["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"]);

/**
 * Which engine's runs a query can return data for: `k6` when it reads k6's own series (anything not
 * written by the orchestrator, whose measurements are `eb_*`), `embedded` when it reads only eb_live
 * fields that k6's samples leave empty, `either` otherwise.
 */
export function queryEngine(query: string): "either" | "embedded" | "k6" {
  const from = queryMeasurements(query);
  if (from.some((m) => !m.startsWith("eb_"))) return "k6";
  const fields = aggregatedFields(query);
  if (from.length > 0 && from.every((m) => m === "eb_live") && fields.length > 0 && fields.every((f) => EMBEDDED_ONLY_LIVE_FIELDS.has(f))) return "embedded";
  return "either";
}

/**
 * k6's own series a dashboard may read: the figures eb_live lacks when k6 runs (per-request
 * latency and the server's x-inference-time header). Requests, errors and VUs come from eb_live for
 * both engines; reading k6's http_reqs, http_req_failed, embed_failed or vus as well would show them twice.
 */
export const K6_SERIES_ALLOWED = new Set(["http_req_duration", "server_inference_ms"]);

/**
 * Tags on k6's samples in InfluxDB: the script's (k6/embed.ts options.tags, and `window` per request)
 * and k6's default system tags, less those its InfluxDB output stores as fields (vu, iter, url).
 */
export const K6_TAGS = new Set([
  ...["framework", "api", "model", "run_id", "concurrency", "rate", "window"],
  ...["scenario", "expected_response", "status", "method", "name", "proto", "subproto", "group", "check", "error", "error_code", "tls_version", "service"],
]);
