// The API adapters by name: the k6 scenario's -e API=… and the orchestrator's --api.
import { API_NAMES, type ApiAdapter, type ApiName } from "./api.ts";
import { embedApi } from "./embed.ts";
import { kserveApi } from "./kserve.ts";
import { openaiApi } from "./openai.ts";
import { teiApi } from "./tei.ts";

export { API_NAMES, DEFAULT_API_SETTINGS, type ApiAdapter, type ApiName, type ApiSettings, type EmbeddingRequest } from "./api.ts";

const ADAPTERS: Record<ApiName, ApiAdapter> = { embed: embedApi, openai: openaiApi, tei: teiApi, kserve: kserveApi };

export function isApiName(name: string): name is ApiName {
  return (API_NAMES as readonly string[]).includes(name);
}

export function adapterFor(name: string): ApiAdapter {
  if (!isApiName(name)) throw new Error(`unknown API '${name}': expected one of ${API_NAMES.join(", ")}`);
  return ADAPTERS[name];
}
