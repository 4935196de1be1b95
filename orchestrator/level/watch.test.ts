import assert from "node:assert/strict";
import { test } from "node:test";
import { LevelWatch, type LiveSample } from "./watch.ts";

/** Samples every 500 ms; `rate(t)` gives [completions, successes] in the half-second ending at t. */
function feed(watch: LevelWatch, seconds: number, rate: (t_ms: number) => [number, number], vus = 2, median_ms = 20): (string | null)[] {
  let requests = 0;
  let ok = 0;
  const out: (string | null)[] = [];
  for (let t = 500; t <= seconds * 1000; t += 500) {
    const [n, k] = rate(t);
    requests += n;
    ok += k;
    const s: LiveSample = { t_ms: t, requests, ok, vus, median_ms };
    out.push(watch.add(s));
  }
  return out;
}

test("a steady level has no stall and is never ended early", () => {
  const w = new LevelWatch();
  assert.deepEqual(feed(w, 10, () => [20, 20]).filter(Boolean), []);
  assert.deepEqual(w.stalls(), []);
});

test("16 s without a completion (SIGSTOP) is one stall with its start and length", () => {
  const w = new LevelWatch();
  feed(w, 30, (t) => (t > 5000 && t <= 21000 ? [0, 0] : [20, 20]));
  assert.deepEqual(w.stalls(), [{ start_s: 5, duration_s: 16.5 }]);
});

test("a stall still open when the level ends is recorded up to the last sample", () => {
  const w = new LevelWatch();
  feed(w, 10, (t) => (t > 4000 ? [0, 0] : [20, 20]));
  assert.deepEqual(w.stalls(), [{ start_s: 4, duration_s: 6 }]);
});

test("gaps shorter than the threshold, or than 10x the median latency, are not stalls", () => {
  const short = new LevelWatch();
  feed(short, 10, (t) => (t > 4000 && t <= 5500 ? [0, 0] : [20, 20]));
  assert.deepEqual(short.stalls(), []);
  // A 1 s median: one completion every 3 s at 1 VU is the server's pace, not a stall.
  const slow = new LevelWatch();
  feed(slow, 30, (t) => (t % 3000 === 0 ? [1, 1] : [0, 0]), 1, 1000);
  assert.deepEqual(slow.stalls(), []);
});

test("no stall before the first completion, nor when no VU is running", () => {
  const first = new LevelWatch();
  feed(first, 6, (t) => (t === 6000 ? [1, 1] : [0, 0]));
  assert.deepEqual(first.stalls(), []);
  const idle = new LevelWatch();
  feed(idle, 10, (t) => (t <= 1000 ? [5, 5] : [0, 0]), 0);
  assert.deepEqual(idle.stalls(), []);
});

test("every request failing for 3 s ends the level, with a reason; a few errors do not", () => {
  const w = new LevelWatch();
  const reasons = feed(w, 10, (t) => (t > 2000 ? [50, 0] : [20, 20]));
  const first = reasons.findIndex(Boolean);
  assert.equal(first, 9, "at 5 s: 3 s after the last success");
  assert.match(reasons[first]!, /^every request failed for 3 s \(300 in a row\)$/);
  const some = new LevelWatch();
  assert.deepEqual(feed(some, 10, () => [20, 15]).filter(Boolean), []);
});
