import type { ApiTarget } from "./api-client.ts";
import { requestJson } from "../platform/http.ts";
import type { UsageSource } from "../platform/procfs.ts";

/** A server that answers, as the phases after start see it: the suite's own or one given by --url. */
export interface Target {
  url: string;
  /** Its Prometheus metrics route, scraped during every level (where its API's names are known: level/scrape.ts). */
  metricsUrl: string;
  api: ApiTarget;
  /** What each level measures the CPU and memory of (a process tree's root pid, or a container's stats); null: not measured. */
  usage: UsageSource | null;
  /** performance.now() when the suite started the process; null when it did not (no cold start then). */
  startedAt: number | null;
  /** The process the suite watches has ended. */
  hasExited(): boolean;
  /** Its last log lines, for error messages ("" when the suite has none). */
  logTail(): string;
}

/** The server's description in its API (GET /info for ours) as a JSON object; null when it has none. */
export async function serverInfo(s: Target, signal: AbortSignal): Promise<Record<string, unknown> | null> {
  const info = await requestJson(`${s.url}${s.api.adapter.infoPath(s.api.settings)}`, { signal }).catch(() => null);
  return info?.status === 200 && typeof info.body === "object" && info.body !== null && !Array.isArray(info.body)
    ? (info.body as Record<string, unknown>)
    : null;
}
