// Small HTTP helpers for the orchestrator's own calls (health, info, first inference, warmup).
import net from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface JsonReply {
  status: number;
  body: unknown;
  ms: number;
}

/** `signal` (Ctrl-C) ends the request at once, as the timeout does. */
export async function requestJson(url: string, init: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<JsonReply> {
  const started = performance.now();
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs ?? 30000)]) : AbortSignal.timeout(init.timeoutMs ?? 30000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON bodies are returned as text
  }
  return { status: res.status, body, ms };
}
