// The orchestrator's own embedding requests (first inference, verify, warmup) in the API the server
// speaks, through the adapters both load engines use (scenario/apis/).
import { adapterFor, DEFAULT_API_SETTINGS, type ApiAdapter, type ApiName, type ApiSettings } from "../../scenario/apis/index.ts";
import type { ServerApi } from "../plan/config-schema.ts";
import { requestJson, type JsonReply } from "../platform/http.ts";

/** An API and the settings it is spoken with. */
export interface ApiTarget {
  adapter: ApiAdapter;
  settings: ApiSettings;
}

export function apiTarget(name: ApiName, settings: Partial<ApiSettings> = {}): ApiTarget {
  return { adapter: adapterFor(name), settings: { ...DEFAULT_API_SETTINGS, ...settings } };
}

/** This project's contract, as the suite's own servers speak it. */
export const EMBED_API: ApiTarget = apiTarget("embed");

/** The API a manifest's server speaks (this project's contract unless it is a peer). */
export function manifestApi(api: ServerApi): ApiTarget {
  return apiTarget(api.name, {
    model: api.served_model,
    ...(api.kserve_input !== undefined ? { kserveInput: api.kserve_input } : {}),
    ...(api.kserve_output !== undefined ? { kserveOutput: api.kserve_output } : {}),
  });
}

/** An answer: its vectors, or why there are none (HTTP status or body). */
export type EmbedAnswer = { reply: JsonReply; vectors: number[][]; problem: null } | { reply: JsonReply; vectors: null; problem: string };

/** POSTs `texts` (asking for unit vectors) and extracts the vectors from the answer; `signal` (Ctrl-C) ends the wait. */
export async function embedVia(api: ApiTarget, baseUrl: string, texts: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<EmbedAnswer> {
  const req = api.adapter.request(texts, api.settings, true);
  const reply = await requestJson(`${baseUrl}${req.path}`, { method: "POST", body: req.body, timeoutMs, ...(signal ? { signal } : {}) });
  if (reply.status !== 200) return { reply, vectors: null, problem: `HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}` };
  const vectors = api.adapter.vectors(reply.body, api.settings);
  return typeof vectors === "string" ? { reply, vectors: null, problem: vectors } : { reply, vectors, problem: null };
}

/** What is wrong with an answer that should hold `count` vectors of `dim` numbers; null when nothing is. */
export function shapeProblem(answer: EmbedAnswer, count: number, dim: number): string | null {
  if (answer.problem !== null) return answer.problem;
  if (answer.vectors.length !== count) return `expected ${count} embeddings, got ${answer.vectors.length}`;
  const bad = answer.vectors.findIndex((v) => v.length !== dim);
  return bad < 0 ? null : `embedding ${bad} has dimension ${answer.vectors[bad]!.length}, expected ${dim}`;
}
