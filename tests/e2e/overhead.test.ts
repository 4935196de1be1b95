// npm run bench:overhead at tiny scale: every manifest's `ceiling` command runs through the same
// launcher and environment as its server, and the table pairs each server's QPS with its ceiling.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import type { OverheadRow } from "../../orchestrator/sweep/ceiling.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";

test("bench:overhead measures every framework that has a ceiling command", { timeout: 1_800_000 }, async () => {
  const withCeiling = loadSuiteConfig(ROOT)
    .servers.filter((s) => s.manifest.ceiling)
    .map((s) => s.manifest.name);
  assert.ok(withCeiling.length >= 4, `ceilings: ${withCeiling.join(", ")}`);
  const dir = tempDir("overhead");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "orchestrator", "main", "overhead.ts"),
      "--concurrency-levels",
      "1",
      "--duration-s",
      "2",
      "--warmup-requests",
      "5",
      "--threads",
      "1",
      "--results-dir",
      dir,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr.slice(-4000));
  const [runDir] = readdirSync(path.join(dir, "overhead"));
  const report = JSON.parse(readFileSync(path.join(dir, "overhead", runDir!, "overhead.json"), "utf8")) as { rows: OverheadRow[] };
  assert.deepEqual(report.rows.map((r) => r.framework).sort(), [...withCeiling].sort());
  for (const row of report.rows) {
    assert.ok(row.server_qps !== null && row.server_qps > 0, `${row.framework}: server QPS ${row.server_qps}`);
    assert.ok(row.ceiling_eps !== null && row.ceiling_eps > 0, `${row.framework}: ceiling ${row.ceiling_eps} ${row.note ?? ""}`);
    assert.equal(row.note, undefined);
    assert.match(stdout, new RegExp(`^${row.framework}\\s+1\\s`, "m"), "one table row per framework");
  }
});
