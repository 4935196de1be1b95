// Minimal InfluxDB v1 HTTP client: /ping, /query (InfluxQL), /write (line protocol). v1 is what
// k6's built-in `--out influxdb=` output speaks, so k6 and the orchestrator share one database.

export interface InfluxTarget {
  /** The URL as given (k6's `--out influxdb=<url>` takes the same form). */
  url: string;
  /** Scheme, host and port, without credentials or path. */
  origin: string;
  database: string;
  /** Basic auth from `http://user:pass@host:port/db`, which Node's fetch refuses inside a URL. */
  authorization: string | null;
}

/** Parses `http(s)://[user:pass@]host:port/<database>`; throws with what is wrong. */
export function parseInfluxUrl(raw: string): InfluxTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`'${raw}' is not a URL; expected http://host:8086/<database>`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`'${raw}': scheme must be http or https (InfluxDB v1 HTTP API)`);
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ""));
  if (database === "" || database.includes("/")) throw new Error(`'${raw}': the path must name the database, e.g. http://127.0.0.1:8086/embedding_bench`);
  if (u.search || u.hash) throw new Error(`'${raw}': no query string or fragment expected`);
  const authorization = u.username ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}` : null;
  return { url: raw, origin: u.origin, database, authorization };
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export class InfluxClient {
  constructor(
    readonly target: InfluxTarget,
    private readonly timeoutMs = 5000,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.target.authorization ? { ...extra, authorization: this.target.authorization } : extra;
  }

  /** null when InfluxDB answers /ping, else why not. */
  async ping(): Promise<string | null> {
    try {
      const res = await fetch(`${this.target.origin}/ping`, { headers: this.headers(), signal: AbortSignal.timeout(this.timeoutMs) });
      await res.arrayBuffer();
      if (res.status !== 204 && res.status !== 200) return `/ping answered HTTP ${res.status}`;
      const version = res.headers.get("x-influxdb-version") ?? "";
      if (version.startsWith("2.")) return `InfluxDB ${version} speaks the v2 API; k6's built-in output and this suite need v1 (InfluxQL)`;
      return null;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return `${(err as Error).message}${cause ? ` (${cause})` : ""}`;
    }
  }

  /** Runs InfluxQL statements; throws on HTTP errors or statement errors. */
  async query(q: string, opts: { method?: "GET" | "POST"; database?: string | null } = {}): Promise<InfluxStatementResult[]> {
    const params = new URLSearchParams({ q, epoch: "ms" });
    const db = opts.database === undefined ? this.target.database : opts.database;
    if (db !== null) params.set("db", db);
    const post = opts.method === "POST";
    const res = await fetch(post ? `${this.target.origin}/query` : `${this.target.origin}/query?${params}`, {
      method: post ? "POST" : "GET",
      headers: this.headers(post ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      body: post ? params.toString() : undefined,
      signal: AbortSignal.timeout(this.timeoutMs * 6),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`InfluxDB /query HTTP ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { results?: InfluxStatementResult[]; error?: string };
    if (body.error) throw new Error(`InfluxDB: ${body.error}`);
    const results = body.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`InfluxDB: ${failed.error} (query: ${q})`);
    return results;
  }

  async createDatabase(): Promise<void> {
    // CREATE DATABASE is idempotent in InfluxDB 1.x; it must be a POST.
    await this.query(`CREATE DATABASE "${this.target.database.replace(/["\\]/g, (c) => `\\${c}`)}"`, { method: "POST", database: null });
  }

  /** Writes line-protocol text (times in milliseconds). */
  async write(lines: string): Promise<void> {
    if (lines === "") return;
    const params = new URLSearchParams({ db: this.target.database, precision: "ms" });
    const res = await fetch(`${this.target.origin}/write?${params}`, {
      method: "POST",
      headers: this.headers({ "content-type": "text/plain; charset=utf-8" }),
      body: lines,
      signal: AbortSignal.timeout(this.timeoutMs * 2),
    });
    const text = await res.text();
    if (res.status !== 204) throw new Error(`InfluxDB /write HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
}
