// Bundles every k6 scenario (k6/*.ts) into a single ES module under build/ for `k6 run`.
// k6 resolves no npm modules, so helpers are inlined; k6's own modules stay external.
// Also bundles the HTML report's page script with Chart.js into one IIFE, which the report inlines,
// and, for Node, each CLI (cli/<name>.js) and the embedded engine's process (engine-child.js), each
// with the list of its sources (see orchestrator/platform/bundle.ts).
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
/** A Node bundle of one TypeScript entry, and beside it the sources it holds (platform/bundle.ts reads both). */
async function nodeBundle(entry, outfile) {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, outfile),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // npm packages load from node_modules, as they do for the TypeScript sources.
    packages: "external",
    absWorkingDir: root,
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(path.join(root, outfile.replace(/\.js$/, ".sources.json")), `${JSON.stringify(Object.keys(result.metafile.inputs))}\n`);
}
const clis = readdirSync(path.join(root, "orchestrator", "main")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
await Promise.all([
  nodeBundle("orchestrator/level/embedded/child.ts", "build/engine-child.js"),
  ...clis.map((f) => nodeBundle(`orchestrator/main/${f}`, `build/cli/${path.basename(f, ".ts")}.js`)),
]);
console.log(`built ${entries.map((e) => "build/" + path.basename(e, ".ts") + ".js").join(", ")}, build/${path.basename(reportPage)}, build/engine-child.js, build/cli/{${clis.map((f) => path.basename(f, ".ts")).join(",")}}.js`);
