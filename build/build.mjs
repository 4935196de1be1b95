// Bundles every k6 scenario (k6/*.ts) into a single ES module under build/ for `k6 run`.
// k6 resolves no npm modules, so helpers are inlined; k6's own modules stay external.
// Also bundles the HTML report's page script with Chart.js into one IIFE, which the report inlines.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entries = readdirSync(path.join(root, "k6"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => path.join(root, "k6", f));

await build({
  entryPoints: entries,
  outdir: path.join(root, "build"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  external: ["k6", "k6/*"],
  sourcemap: "inline",
  logLevel: "warning",
});
const reportPage = path.join(root, "build", "report-page.js");
await build({
  entryPoints: [path.join(root, "orchestrator", "outputs", "report", "browser", "page.ts")],
  outfile: reportPage,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "inline",
  logLevel: "warning",
});
console.log(`built ${entries.map((e) => "build/" + path.basename(e, ".ts") + ".js").join(", ")}, build/${path.basename(reportPage)}`);
