// The documentation is checked like code: every npm command of README.md and docs/ runs through the
// docs check (bench:k6 with --dry-run, the others with --help), the manifests of the manifest
// reference validate against the real schema, the README's example summary is what the summary
// renderer prints for the result files it came from, and every relative link resolves.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { parseYamlText } from "../orchestrator/plan/config.ts";
import { ServerManifest } from "../orchestrator/plan/config-schema.ts";
import { FrameworkResult } from "../orchestrator/results/schema.ts";
import { renderSummary } from "../orchestrator/outputs/summary.ts";
import { checkDocs, codeBlocks, docFiles, npmCommands, ROOT, shellCommands } from "../scripts/docs-check.ts";

const read = (rel: string) => readFileSync(path.join(ROOT, rel), "utf8");

test("every npm command of README.md and docs/ passes the docs check (bench:k6 --dry-run, the others --help)", { timeout: 600_000 }, async () => {
  const outcomes = await checkDocs();
  const failed = outcomes.filter((o) => !o.ok).map((o) => `${o.command.file}:${o.command.line} ${o.command.source}\n    ${o.detail}`);
  assert.deepEqual(failed, []);
  assert.ok(outcomes.filter((o) => o.how === "--dry-run").length >= 20, "the bench:k6 examples run with --dry-run");
  assert.ok(outcomes.some((o) => o.command.file === "README.md"));
});

test("the docs check fails a refused example: a --name of the suite's, a misspelt framework or flag, an unknown script, k6 unmarked", {
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-docs-"));
  const file = path.join(dir, "bad.md");
  writeFileSync(
    file,
    [
      "```bash",
      "npm run bench:k6 -- --url http://127.0.0.1:7997 --api openai --name infinity",
      "npm run bench:k6 -- --frameworks onnx-pyhton",
      "npm run compare -- A B --fail-on-regresion 5",
      "npm run no-such-script",
      "npm run k6 -- run build/embed.js -e BASE_URL=http://127.0.0.1:8000",
      "```",
      "<!-- docs-check: covered by tests/e2e/no-such.test.ts -->",
      "```bash",
      "npm run k6 -- version",
      "```",
    ].join("\n"),
  );
  const outcomes = await checkDocs([file]);
  assert.deepEqual(
    outcomes.map((o) => o.ok),
    [false, false, false, false, false, false],
  );
  assert.match(outcomes[0]!.detail, /exit 2: .*--name infinity: a framework of this suite has that name/);
  assert.match(outcomes[1]!.detail, /exit 2: .*onnx-python/);
  assert.match(outcomes[2]!.detail, /exit 2: .*--fail-on-regression/);
  assert.match(outcomes[3]!.detail, /no such script in package.json/);
  assert.match(outcomes[4]!.detail, /covered by/);
  assert.match(outcomes[5]!.detail, /does not exist/);
});

test("commands are read as the shell reads them: continuations, quotes, comments, &&, substitutions", () => {
  assert.deepEqual(shellCommands(`npm install && npm run bench:k6 -- --slo 'p99<50ms' # comment`), [
    ["npm", "install"],
    ["npm", "run", "bench:k6", "--", "--slo", "p99<50ms"],
  ]);
  assert.deepEqual(shellCommands(`X=1 npm run k6 -- --server-pid "$(pgrep -f 'a b')"`), [
    ["X=1", "npm", "run", "k6", "--", "--server-pid", "$(pgrep -f 'a b')"],
  ]);
  const cmds = npmCommands(codeBlocks("x.md", "```bash\nnpm run -s bench:k6 -- --url http://h:1 \\\n  --name n\n```"));
  assert.deepEqual(
    cmds.map((c) => [c.script, c.args, c.line]),
    [["bench:k6", ["--url", "http://h:1", "--name", "n"], 2]],
  );
});

test("the manifests of docs/adding-a-framework.md validate against ServerManifest, and the full one uses every field", () => {
  const blocks = codeBlocks("docs/adding-a-framework.md", read("docs/adding-a-framework.md")).filter((b) => b.marker === "manifest");
  assert.ok(blocks.length >= 2);
  const manifests = blocks.map((b) => parseYamlText(`docs/adding-a-framework.md:${b.line}`, b.text, ServerManifest));
  const full = blocks[0]!.text;
  for (const key of Object.keys(ServerManifest.shape)) assert.match(full, new RegExp(`^${key}:`, "m"), `the full example sets ${key}`);
  assert.equal(manifests[0]!.prepare.kind, "command");
});

test("the README's example summary is what renderSummary prints for the result files it names", () => {
  const block = codeBlocks("README.md", read("README.md")).find((b) => b.marker?.startsWith("summary of "));
  assert.ok(block, "README has a summary block marked <!-- docs-check: summary of <folder> -->");
  const dir = path.join(ROOT, block.marker!.slice("summary of ".length));
  const results = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(dir, f), "utf8"))));
  assert.equal(block.text, renderSummary(results[0]!.model_name, results));
});

test("README.md is a manual of 150 to 250 lines", () => {
  const lines = read("README.md").split("\n").length;
  assert.ok(lines >= 150 && lines <= 250, `${lines} lines`);
});

/** GitHub's anchor of a heading: lower case, inline code marks and punctuation dropped, spaces to '-'. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

test("every relative link of README.md, docs/ and docs/measurements/ points at a file (and heading) that exists", () => {
  const measurements = readdirSync(path.join(ROOT, "docs", "measurements"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join(ROOT, "docs", "measurements", f));
  const broken: string[] = [];
  for (const file of [...docFiles(), path.join(ROOT, "docs", "cli.md"), ...measurements]) {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      const [target, anchor] = link.split("#");
      const abs = target ? path.resolve(path.dirname(file), target) : file;
      if (!existsSync(abs)) {
        broken.push(`${path.relative(ROOT, file)}: ${link}`);
        continue;
      }
      if (anchor && abs.endsWith(".md")) {
        const headings = [...readFileSync(abs, "utf8").matchAll(/^#+ (.*)$/gm)].map((h) => slug(h[1]!));
        if (!headings.includes(anchor)) broken.push(`${path.relative(ROOT, file)}: ${link} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
