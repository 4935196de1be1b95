// Each way a level can end, and what its thresholds_ok and ended_early say.
import assert from "node:assert/strict";
import { test } from "node:test";
import { endedEarly, thresholdsOk, type EndFigures } from "./end.ts";

const clean: EndFigures = { requests: 1000, ok: 1000, errors: 0, stalls: [], end: { kind: "full" } };

test("full: holds with no errors, and with an error rate under the maximum", () => {
  assert.equal(thresholdsOk(clean, 0.01), true);
  assert.equal(thresholdsOk({ ...clean, ok: 995, errors: 5 }, 0.01), true);
  assert.equal(thresholdsOk({ ...clean, ok: 990, errors: 10 }, 0.01), false, "1 % is not under 1 %");
  assert.equal(thresholdsOk(clean, 0), true, "a maximum of 0 allows no error, and none happened");
  assert.equal(thresholdsOk({ ...clean, ok: 999, errors: 1 }, 0), false);
  assert.equal(endedEarly(clean.end), null);
});

test("stable: a level stopped at stability holds (it is not a failure)", () => {
  const f = { ...clean, end: { kind: "stable", afterWindows: 3 } } as const;
  assert.equal(thresholdsOk(f, 0.01), true);
  assert.equal(endedEarly(f.end), null);
});

test("all failed: never holds, and says why it ended", () => {
  const f = { ...clean, ok: 0, errors: 1000, end: { kind: "all-failed", reason: "every request failed for 3 s (40 in a row)" } } as const;
  assert.equal(thresholdsOk(f, 0.01), false);
  assert.equal(thresholdsOk({ ...f, end: { kind: "full" } }, 1), false, "no success at all fails whatever the maximum");
  assert.match(endedEarly(f.end) ?? "", /every request failed/);
});

test("stalled: never holds, whatever its error rate, and ended_early gives the stall", () => {
  const stalls = [{ start_s: 2, duration_s: 4 }];
  assert.equal(thresholdsOk({ ...clean, stalls }, 0.01), false);
  assert.equal(endedEarly({ kind: "full" }, stalls), "server stopped answering for 4 s from 2 s");
  assert.equal(endedEarly({ kind: "stable", afterWindows: 3 }, stalls), "server stopped answering for 4 s from 2 s", "a stall is never a clean stop");
  assert.equal(
    endedEarly({ kind: "all-failed", reason: "every request failed for 3 s" }, [...stalls, { start_s: 9, duration_s: 2.5 }]),
    "server stopped answering for 4 s from 2 s; server stopped answering for 2.5 s from 9 s; every request failed for 3 s",
  );
});

test("interrupted: never holds", () => {
  const f = { ...clean, end: { kind: "interrupted" } } as const;
  assert.equal(thresholdsOk(f, 0.01), false);
  assert.equal(endedEarly(f.end), "interrupted");
});
