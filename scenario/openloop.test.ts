import { test } from "node:test";
import assert from "node:assert/strict";
import { isSaturated, vuSizing } from "./openloop.ts";

test("vuSizing follows Little's law with headroom, and the cap wins", () => {
  // 20 rps × 100 ms = 2 in flight.
  assert.deepEqual(vuSizing(20, 100, 4, 200), { preAllocatedVUs: 3, maxVUs: 9 });
  // 5 rps × 50 ms = 0.25 in flight: still one VU, plus one spare.
  assert.deepEqual(vuSizing(5, 50, 4, 200), { preAllocatedVUs: 2, maxVUs: 2 });
  // 2000 rps × 200 ms = 400 in flight: both capped.
  assert.deepEqual(vuSizing(2000, 200, 4, 50), { preAllocatedVUs: 50, maxVUs: 50 });
  assert.deepEqual(vuSizing(0.5, 10, 4, 0), { preAllocatedVUs: 1, maxVUs: 1 }, "never below one VU");
});

test("a level is saturated only when it falls short by more than the tolerance", () => {
  assert.equal(isSaturated(100, 95, 0.05), false, "exactly at the tolerance");
  assert.equal(isSaturated(100, 94.9, 0.05), true);
  assert.equal(isSaturated(100, 120, 0.05), false, "above the target");
  assert.equal(isSaturated(5, 4.98, 0.05), false);
});
