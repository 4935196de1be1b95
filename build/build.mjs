// Bundles every k6 scenario (k6/*.ts) into a single ES module under build/ for `k6 run`.
// k6 resolves no npm modules, so helpers are inlined; k6's own modules stay external.
// Also bundles the HTML report's page script with Chart.js into one IIFE, which the report inlines,
// and the embedded engine's process (engine-child.js, with the list of its sources): one file that
// Node starts in about a third of the time tsx takes to load the TypeScript modules, once per level.
import { build } from "esbuild";
import { readdirSync, writeFileSync } from "node:fs";
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
const child = await build({
  entryPoints: [path.join(root, "orchestrator", "level", "embedded", "child.ts")],
  outfile: path.join(root, "build", "engine-child.js"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // undici and hdr-histogram-js load from node_modules, as they do for the TypeScript sources.
  packages: "external",
  absWorkingDir: root,
  metafile: true,
  logLevel: "warning",
});
// What orchestrator/level/embedded/embedded-engine.ts compares the bundle's time with.
writeFileSync(path.join(root, "build", "engine-child.sources.json"), `${JSON.stringify(Object.keys(child.metafile.inputs))}\n`);
console.log(`built ${entries.map((e) => "build/" + path.basename(e, ".ts") + ".js").join(", ")}, build/${path.basename(reportPage)}, build/engine-child.js`);
