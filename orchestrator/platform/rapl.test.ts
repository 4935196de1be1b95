import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { packageJoules, POWERCAP, readRapl } from "./rapl.ts";

/** A powercap tree as Linux lays it out: package domains with a sub-zone each. */
function tree(domains: Record<string, { name: string; uj: number; max: number }>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "eb-rapl-"));
  for (const [dir, d] of Object.entries(domains)) {
    mkdirSync(path.join(root, dir));
    writeFileSync(path.join(root, dir, "name"), `${d.name}\n`);
    writeFileSync(path.join(root, dir, "energy_uj"), `${d.uj}\n`);
    writeFileSync(path.join(root, dir, "max_energy_range_uj"), `${d.max}\n`);
  }
  return root;
}

test("RAPL: package domains are read and summed, sub-zones left out, a wrapped counter counted once round", (t) => {
  const max = 262_143_328_850;
  const before = tree({
    "intel-rapl:0": { name: "package-0", uj: 1_000_000, max },
    "intel-rapl:0:0": { name: "core", uj: 5, max },
    "intel-rapl:1": { name: "package-1", uj: max - 500_000, max },
  });
  const after = tree({
    "intel-rapl:0": { name: "package-0", uj: 4_000_000, max },
    "intel-rapl:0:0": { name: "core", uj: 9, max },
    "intel-rapl:1": { name: "package-1", uj: 1_500_000, max },
  });
  t.after(() => [before, after].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const b = readRapl(before);
  assert.deepEqual(b.ok && b.readings.map((r) => r.domain), ["package-0", "package-1"]);
  assert.deepEqual(packageJoules(b, readRapl(after)), { ok: true, joules: 5 }, "3 J on package 0, 2 J across the wrap on package 1");
});

test("RAPL absent: the reason, on a tree without package domains and on this machine", (t) => {
  const empty = tree({});
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  assert.deepEqual(readRapl(empty), { ok: false, reason: `no package domain (intel-rapl:N) in ${empty}` });
  const here = readRapl();
  if (!existsSync(POWERCAP)) assert.deepEqual(here, { ok: false, reason: `no ${POWERCAP}: this machine exposes no RAPL (typical of a VM)` });
  else assert.ok(here.ok || here.reason.length > 0);
  const j = packageJoules(here, here);
  assert.equal(j.ok, here.ok);
});
