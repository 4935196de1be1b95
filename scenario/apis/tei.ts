// Hugging Face text-embeddings-inference's native route: POST /embed {"inputs": [...], "normalize": true}
// answered with the bare array of vectors [[...], ...].
import { preview, vectorList, type ApiAdapter } from "./api.ts";

export const teiApi: ApiAdapter = {
  name: "tei",
  request: (texts, _settings, normalize) => ({ path: "/embed", body: { inputs: texts, normalize } }),
  countPath: () => "#",
  dimPath: () => "0.#",
  // TEI's own: model, max_batch_tokens, max_concurrent_requests, …
  infoPath: () => "/info",
  vectors(body) {
    if (!Array.isArray(body)) return `expected an array of vectors, got ${preview(body)}`;
    return vectorList(body, (i) => `vector ${i}`);
  },
};
