// This project's contract (servers/contract/openapi.yaml): POST /embed {"texts": [...], "normalize": true}
// answered {"embeddings": [[...], ...], ...}.
import { preview, vectorList, type ApiAdapter } from "./api.ts";

export const embedApi: ApiAdapter = {
  name: "embed",
  request: (texts, _settings, normalize) => ({ path: "/embed", body: { texts, normalize } }),
  countPath: () => "embeddings.#",
  dimPath: () => "embeddings.0.#",
  infoPath: () => "/info",
  vectors(body) {
    const embeddings = (body as { embeddings?: unknown } | null)?.embeddings;
    if (!Array.isArray(embeddings)) return `no 'embeddings' array in ${preview(body)}`;
    return vectorList(embeddings, (i) => `embeddings[${i}]`);
  },
};
