// What every API adapter provides. An adapter says how to ask a server for the vectors of a batch
// of texts and where they are in its answer. Adapters are pure (no k6 or Node imports): the k6
// scenario builds its requests and checks from them, and the orchestrator's verify phase extracts
// the vectors with the same code.

export const API_NAMES = ["embed", "openai", "tei", "kserve"] as const;
export type ApiName = (typeof API_NAMES)[number];

/** What some APIs need beyond the texts. */
export interface ApiSettings {
  /** The name the server serves the model under: OpenAI's `model` field, KServe's /v2/models/<model>. Empty: not sent (openai). */
  model: string;
  /** KServe: the BYTES input tensor that takes the texts. */
  kserveInput: string;
  /** KServe: the FP32 output tensor holding one vector per text. */
  kserveOutput: string;
}

export const DEFAULT_API_SETTINGS: ApiSettings = { model: "", kserveInput: "TEXT", kserveOutput: "EMBEDDINGS" };

/** A POST with a JSON body. */
export interface EmbeddingRequest {
  /** Appended to the server's base URL. */
  path: string;
  body: unknown;
}

export interface ApiAdapter {
  name: ApiName;
  /** `normalize`: ask for unit vectors where the API has the choice; the others return them anyway. */
  request(texts: readonly string[], settings: ApiSettings, normalize: boolean): EmbeddingRequest;
  /**
   * GJSON paths (what k6's Response.json(path) evaluates, in Go) to the number of vectors in an
   * answer and the length of the first: k6 checks every answer without building JS arrays of floats.
   */
  countPath(settings: ApiSettings): string;
  dimPath(settings: ApiSettings): string;
  /** GET route where the server describes itself (model, limits, batching), recorded as a result's server_info. */
  infoPath(settings: ApiSettings): string;
  /** The vectors of a 200 answer's parsed body, in the order of the request's texts; a string says what is wrong with it. */
  vectors(body: unknown, settings: ApiSettings): number[][] | string;
}

export const isVector = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number");

export const preview = (body: unknown) => JSON.stringify(body)?.slice(0, 200) ?? String(body);

/** Every item a vector, else the first that is not. */
export function vectorList(items: readonly unknown[], where: (i: number) => string): number[][] | string {
  const bad = items.findIndex((v) => !isVector(v));
  return bad < 0 ? (items as number[][]) : `${where(bad)} is not a non-empty array of numbers: ${preview(items[bad])}`;
}
