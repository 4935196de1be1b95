// OpenAI's embeddings API, which infinity-emb, vLLM, TEI and many gateways also speak:
// POST /v1/embeddings {"input": [...], "model": ..., "encoding_format": "float"} answered
// {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}], "model": ..., "usage": {...}}.
// The vectors are unit length; `data` is ordered by `index`, which is what counts.
import { preview, vectorList, type ApiAdapter } from "./api.ts";

interface Item {
  index?: unknown;
  embedding?: unknown;
}

export const openaiApi: ApiAdapter = {
  name: "openai",
  request: (texts, settings) => ({
    path: "/v1/embeddings",
    // float, not base64: the Python client asks for base64 unless told, and some servers default to it too.
    body: { input: texts, ...(settings.model ? { model: settings.model } : {}), encoding_format: "float" },
  }),
  countPath: () => "data.#",
  dimPath: () => "data.0.embedding.#",
  // The served models (infinity adds each one's backend, batch size and queue).
  infoPath: () => "/v1/models",
  vectors(body) {
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) return `no 'data' array in ${preview(body)}`;
    const items = data as Item[];
    const indices = items.map((d) => d?.index);
    const ordered = [...indices].sort((a, b) => Number(a) - Number(b));
    if (!ordered.every((x, i) => x === i)) return `data[].index must be 0..${items.length - 1} once each, got ${preview(indices)}`;
    const byIndex = items.slice().sort((a, b) => Number(a.index) - Number(b.index));
    if (typeof byIndex[0]?.embedding === "string") return 'embedding is a base64 string: the server ignored encoding_format "float"';
    return vectorList(
      byIndex.map((d) => d.embedding),
      (i) => `data[index ${i}].embedding`,
    );
  },
};
