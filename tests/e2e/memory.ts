// The memory check of every server (issue 11): RSS after 8 of the largest requests the default
// token budget allows, on the server's default layout. Shared by the hardening tests. Eight, not the
// 20 the bounds were first measured with (docs/measurements/2026-11-30-epyc-2vcpu-server-memory.md):
// two at a time, the allocators reach their size within the first rounds, and 20 cost CI 9 minutes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** all-MiniLM-L6-v2 truncates every text to this many tokens ([CLS] and [SEP] included). */
export const MAX_SEQ = 256;
export const DEFAULT_MAX_BATCH_TOKENS = 16384;
/** The largest request the default budget allows: 64 texts of 256 tokens after truncation. */
export const MAXIMAL_TEXTS = DEFAULT_MAX_BATCH_TOKENS / MAX_SEQ;

/** Deterministic English-like words: ~`chars` characters, far more tokens than MAX_SEQ. */
export function longText(seed: number, chars: number): string {
  const words = ["river", "stone", "quiet", "market", "engine", "lantern", "harbour", "signal", "window", "garden", "copper", "winter"];
  let x = seed * 2654435761;
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = words[x % words.length]!;
    out.push(w);
    length += w.length + 1;
  }
  return out.join(" ");
}

/** `n` texts of ~14 KB, as in the request that drove the servers to 2–5 GB (there: 256 of them). */
export const longTexts = (n: number): string[] => Array.from({ length: n }, (_, i) => longText(i + 1, 14_000));

export interface MemoryReport {
  /** After one small request. */
  idle_mb: number;
  after_mb: number;
  /** The process's peak RSS (VmHWM) over its life so far. */
  peak_mb: number;
  wall_s: number;
}

async function info(url: string): Promise<{ memory_rss_mb: number; pid: number }> {
  const r = await fetch(`${url}/info`);
  assert.equal(r.status, 200);
  return (await r.json()) as { memory_rss_mb: number; pid: number };
}

function peakMb(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  assert.ok(kb !== undefined, `no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/**
 * Sends `requests` maximal requests, `concurrent` at a time (the default layout runs one call per
 * CPU, so on 2 CPUs two at a time keep every worker busy and every worker's buffers in play), and
 * reports RSS before and after.
 */
export async function rssAfterMaximalRequests(url: string, requests = 8, concurrent = 2): Promise<MemoryReport> {
  const body = JSON.stringify({ texts: longTexts(MAXIMAL_TEXTS) });
  // Idle: warm, after one small request, as a benchmark finds the server.
  const warm = await fetch(`${url}/embed`, { method: "POST", body: JSON.stringify({ texts: ["warm up"] }), headers: { "content-type": "application/json" } });
  assert.equal(warm.status, 200, await warm.text());
  const before = await info(url);
  const started = performance.now();
  for (let sent = 0; sent < requests; sent += concurrent) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(concurrent, requests - sent) }, async () => {
        const r = await fetch(`${url}/embed`, { method: "POST", body, headers: { "content-type": "application/json" } });
        const text = await r.text();
        return { status: r.status, text };
      }),
    );
    for (const r of replies) assert.equal(r.status, 200, r.text.slice(0, 300));
  }
  const wallS = (performance.now() - started) / 1000;
  const afterwards = await info(url);
  return {
    idle_mb: before.memory_rss_mb,
    after_mb: afterwards.memory_rss_mb,
    peak_mb: Math.round(peakMb(afterwards.pid) * 10) / 10,
    wall_s: Math.round(wallS * 10) / 10,
  };
}
