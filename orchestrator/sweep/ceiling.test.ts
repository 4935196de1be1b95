import assert from "node:assert/strict";
import { test } from "node:test";
import { loadSuiteConfig } from "../plan/config.ts";
import { ROOT } from "../platform/paths.ts";
import { parseCeilingOutput, renderOverheadTable } from "./ceiling.ts";

const report = { framework: "x", concurrency: 2, batch_size: 1, duration_s: 2, calls: 100, embeddings_per_sec: 50, p50_ms: 39.5, threads: 2, workers: 1 };

test("the last JSON line of the ceiling output is the report, after any log lines", () => {
  const out = `loading model\n{"not": "it"}\n${JSON.stringify(report)}\n`;
  assert.equal(parseCeilingOutput(out, "x").embeddings_per_sec, 50);
});

test("a malformed report names the source and the field", () => {
  assert.throws(() => parseCeilingOutput(JSON.stringify({ ...report, calls: -1 }), "servers/x"), /servers\/x: ceiling output: calls:/);
  assert.throws(() => parseCeilingOutput("no json here", "servers/x"), /servers\/x: the ceiling command printed no JSON line/);
});

test("the table shows server QPS as a share of the ceiling and the overhead as the rest", () => {
  const table = renderOverheadTable([
    { framework: "a", concurrency: 1, server_qps: 75, ceiling_eps: 100, p50_ms: 13, ceiling_p50_ms: 10 },
    { framework: "b", concurrency: 4, server_qps: null, ceiling_eps: 80, p50_ms: null, ceiling_p50_ms: 12, note: "failed" },
  ]);
  const [, , a, b] = table.split("\n");
  assert.match(a!, /^a\s+1\s+75\.0\s+100\.0\s+75%\s+25%\s+13\.00\s+10\.00$/);
  assert.match(b!, /^b\s+4\s+-\s+80\.0\s+-\s+-\s+-\s+12\.00\s+failed$/);
});

test("every manifest ceiling command passes the texts, the concurrency and the duration on", () => {
  const withCeiling = loadSuiteConfig(ROOT).servers.filter((s) => s.manifest.ceiling);
  assert.ok(withCeiling.length >= 4, withCeiling.map((s) => s.manifest.name).join(", "));
  for (const s of withCeiling) {
    const line = s.manifest.ceiling!.command.join(" ");
    for (const placeholder of ["{texts_file}", "{concurrency}", "{duration_s}"]) assert.ok(line.includes(placeholder), `${s.manifestPath}: ${placeholder}`);
  }
});
