// The docs check (`npm run docs:check`; tests/docs.tools.test.ts runs it): every `npm run …` command in the
// bash code blocks of README.md and docs/*.md is run the way that checks it without running a
// benchmark, so an example that a real run would refuse fails here:
//   bench:k6   with --dry-run: flags and their rules, config, model/framework/profile names, --name,
//              URL forms, CPU sets, dataset file, output folders, the engine choice (exit 0 or it fails);
//   compare, report, models, load, bench:overhead, bench:repeatability, bench:closed-vs-open
//              with --help appended: their parsers check every flag and value before printing help;
//   a script the check cannot run (npm run k6 needs your k6) must sit in a block marked as covered
//              by a test, and that test file must exist.
// Markers, on the line just before a code fence:
//   <!-- docs-check: flags-only: <why> -->   bench:k6 commands there get --help instead of --dry-run
//                                            (e.g. a --dataset file an earlier line creates);
//   <!-- docs-check: covered by <test file> … -->   the block's commands are not run;
//   <!-- docs-check: manifest -->            a server manifest (validated by tests/docs.tools.test.ts).
// docs/cli.md (generated, tests of its own) and docs/measurements/ (records of past commands) are not read.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cliArgs } from "../orchestrator/platform/bundle.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  marker: string | null;
  text: string;
}

export interface DocCommand {
  file: string;
  line: number;
  /** the command as written (continuations joined) */
  source: string;
  script: string;
  args: string[];
  marker: string | null;
}

export interface CheckOutcome {
  command: DocCommand;
  how: string;
  ok: boolean;
  detail: string;
}

/** The documentation files the check reads. */
export function docFiles(root = ROOT): string[] {
  const docs = path.join(root, "docs");
  const pages = readdirSync(docs)
    .filter((f) => f.endsWith(".md") && f !== "cli.md")
    .map((f) => path.join(docs, f));
  return [path.join(root, "README.md"), ...pages.sort()];
}

const MARKER = /^<!--\s*docs-check:\s*(.*?)\s*-->$/;

export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
    const marker = i > 0 ? (MARKER.exec(lines[i - 1]!.trim())?.[1] ?? null) : null;
    blocks.push({ file, line: i + 1, lang: open[1] ?? "", marker, text: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

/**
 * Splits a shell line into commands (at unquoted `&&`, `||`, `;`, `|`) of words, dropping a comment.
 * Quotes are removed; `$(…)` stays one word, as written.
 */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | null = null;
  const push = () => {
    if (word !== null) commands.at(-1)!.push(word);
    word = null;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unclosed quote in: ${line}`);
      // A double-quoted $(…) is a substitution: keep it whole.
      word = (word ?? "") + line.slice(i + 1, close);
      i = close;
    } else if (c === "$" && line[i + 1] === "(") {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === "(") depth++;
        else if (line[j] === ")" && --depth === 0) break;
      }
      word = (word ?? "") + line.slice(i, j + 1);
      i = j;
    } else if (/\s/.test(c)) {
      push();
    } else if (c === "#" && word === null) {
      break;
    } else if ((c === "&" && line[i + 1] === "&") || (c === "|" && line[i + 1] === "|")) {
      push();
      commands.push([]);
      i++;
    } else if (c === ";" || c === "|" || c === "&") {
      push();
      commands.push([]);
    } else {
      word = (word ?? "") + c;
    }
  }
  push();
  return commands.filter((c) => c.length > 0);
}

/** Every `npm run <script> [-- args]` of the bash blocks (continuation lines joined). */
export function npmCommands(blocks: readonly CodeBlock[]): DocCommand[] {
  const out: DocCommand[] = [];
  for (const b of blocks) {
    if (!["bash", "sh", "shell"].includes(b.lang)) continue;
    const lines = b.text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const start = i;
      let source = lines[i]!;
      while (source.trimEnd().endsWith("\\") && i + 1 < lines.length) source = `${source.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
      for (const words of shellCommands(source)) {
        // Leading VAR=value assignments belong to the shell, not to npm.
        const cmd = words.slice(words.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)));
        if (cmd[0] !== "npm" || cmd[1] !== "run") continue;
        const rest = cmd.slice(2).filter((w) => w !== "-s");
        const script = rest[0];
        if (script === undefined) continue;
        const dashes = rest.indexOf("--");
        out.push({ file: b.file, line: b.line + 1 + start, source: source.trim(), script, args: dashes < 0 ? [] : rest.slice(dashes + 1), marker: b.marker });
      }
    }
  }
  return out;
}

/** How each script is checked: the flag appended, or null for scripts that must be marked as covered. */
type How = "--dry-run" | "--help" | "exists" | null;
const HOW: Readonly<Record<string, How>> = {
  "bench:k6": "--dry-run",
  "bench:overhead": "--help",
  "bench:repeatability": "--help",
  "bench:closed-vs-open": "--help",
  "bench:engine": "--help",
  compare: "--help",
  report: "--help",
  models: "--help",
  load: "--help",
  // Checks and builds of the repository itself: running them is CI's job; the check only requires the script to exist.
  build: "exists",
  typecheck: "exists",
  lint: "exists",
  "test:unit": "exists",
  "test:tools": "exists",
  "test:e2e": "exists",
  format: "exists",
  "docs:cli": "exists",
  "docs:check": "exists",
  // Runs the k6 you installed: only in a block marked as covered by a test.
  k6: null,
};

/** The TypeScript entry point an npm script ends in (`… && tsx orchestrator/main/bench.ts` → orchestrator/main/bench.ts). */
function entryOf(script: string, root: string): string | null {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const line = pkg.scripts[script];
  if (line === undefined) return null;
  return /tsx\s+(\S+\.ts)\s*$/.exec(line)?.[1] ?? "";
}

/** A k6 that answers `k6 version`, standing in for the one a user installs, so `--engine k6` examples check the same everywhere. */
function standInK6(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-docs-k6-"));
  const file = path.join(dir, "k6");
  writeFileSync(file, '#!/bin/sh\necho "k6 v1.8.1 (docs-check stand-in; runs nothing)"\n', { mode: 0o755 });
  return file;
}

function run(entry: string, args: readonly string[], env: NodeJS.ProcessEnv, root: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cliArgs(root, entry), ...args], { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

export async function checkCommand(c: DocCommand, env: NodeJS.ProcessEnv, root = ROOT): Promise<CheckOutcome> {
  const covered = c.marker?.startsWith("covered by ") ? c.marker : null;
  if (covered) {
    const test = /covered by (\S+)/.exec(covered)![1]!;
    const ok = existsSync(path.join(root, test));
    return { command: c, how: covered, ok, detail: ok ? "" : `the test ${test} does not exist` };
  }
  if (!Object.hasOwn(HOW, c.script) || entryOf(c.script, root) === null) {
    const exists = entryOf(c.script, root) !== null;
    return {
      command: c,
      how: "",
      ok: false,
      detail: exists
        ? `the docs check does not know how to check npm run ${c.script}: add it to HOW in scripts/docs-check.ts`
        : `npm run ${c.script}: no such script in package.json`,
    };
  }
  const how = HOW[c.script] as How;
  if (how === null)
    return {
      command: c,
      how: "",
      ok: false,
      detail: `npm run ${c.script} cannot be run by the docs check: mark its block <!-- docs-check: covered by <test> -->`,
    };
  if (how === "exists") return { command: c, how: "script exists", ok: true, detail: "" };
  const flag = how === "--dry-run" && c.marker?.startsWith("flags-only") ? "--help" : how;
  // A command substitution (e.g. --server-pid "$(pgrep …)") stands for a live process: this one.
  const args = c.args.map((a) => (a.includes("$(") ? String(process.pid) : a));
  const { code, out } = await run(entryOf(c.script, root)!, args.includes(flag) ? args : [...args, flag], env, root);
  return { command: c, how: flag, ok: code === 0, detail: code === 0 ? "" : `exit ${code}: ${out.split("\n").slice(-3).join(" | ")}` };
}

/** Runs every command of `files`, a few at a time; returns each outcome. */
export async function checkDocs(files = docFiles(), root = ROOT): Promise<CheckOutcome[]> {
  const commands = files.flatMap((f) => npmCommands(codeBlocks(path.relative(root, f), readFileSync(f, "utf8"))));
  const env: NodeJS.ProcessEnv = { ...process.env, K6_BIN: standInK6() };
  delete env["EMBEDDING_BENCH_INFLUX"];
  const outcomes: CheckOutcome[] = new Array(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      outcomes[i] = await checkCommand(commands[i]!, env, root);
    }
  };
  try {
    await Promise.all([worker(), worker(), worker()]);
  } finally {
    rmSync(path.dirname(env["K6_BIN"]!), { recursive: true, force: true });
  }
  return outcomes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outcomes = await checkDocs();
  for (const o of outcomes)
    console.log(`${o.ok ? "ok  " : "FAIL"} ${o.command.file}:${o.command.line} ${o.how.padEnd(10)} ${o.command.source}${o.ok ? "" : `\n     ${o.detail}`}`);
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`\n${outcomes.length} commands, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}
