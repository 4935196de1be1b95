// Makes a framework runnable before it starts: its system requirements, then one preparer per
// manifest `prepare.kind` (venv, native build); the registry's type makes a missing kind a compile error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DiscoveredServer } from "../plan/config.ts";
import type { PrepareKind, PrepareSpec } from "../plan/config-schema.ts";
import { hashPaths } from "../platform/hash.ts";
import { log } from "../platform/log.ts";
import { cacheDir, ROOT } from "../platform/paths.ts";
import { CommandError, runCommand } from "../platform/proc.ts";
import { ensureModelFormat } from "../models/reduced-precision.ts";
import { ensureOnnxRuntimeLibrary } from "../toolchain/onnxruntime.ts";
import { ensureVenv } from "../toolchain/python.ts";
import { ensureSystemRequirements } from "./system.ts";

/** Values substituted for {name} in manifest commands and env. */
export type Vars = Record<string, string>;

export function substitute(text: string, vars: Vars): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined)
      throw new Error(
        `unknown placeholder ${whole} (known: ${Object.keys(vars)
          .map((k) => `{${k}}`)
          .join(", ")})`,
      );
    return value;
  });
}

type Preparer<K extends PrepareKind> = (server: DiscoveredServer, spec: Extract<PrepareSpec, { kind: K }>, vars: Vars, signal?: AbortSignal) => Promise<Vars>;

/** The lines of a failed build's output that name what is missing (pkg-config, CMake, compiler, shell). */
export function missingPieces(output: string): string[] {
  const patterns = [
    /No package '[^']+' found/,
    /Package '[^']+'.*not found/,
    /Could not find a package configuration file provided by "[^"]+"/,
    /Could NOT find \w+/,
    /fatal error: [^:]+: No such file or directory/,
    /[\w./-]+: command not found/,
    /error: linker `[^`]+` not found/,
  ];
  const found = output.split("\n").flatMap((line) => patterns.map((p) => p.exec(line)?.[0]).filter((m): m is string => m !== undefined));
  return [...new Set(found)];
}

async function runBuild(server: DiscoveredServer, command: string[], signal?: AbortSignal): Promise<void> {
  const [cmd, ...args] = command;
  try {
    await runCommand(cmd!, args, { cwd: server.dir, stream: `  [${server.manifest.name} build] `, signal });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const pieces = missingPieces(err.output);
    const what = pieces.length ? `missing: ${pieces.join("; ")}` : (err.message.split("\n")[0] ?? "");
    throw new Error(`build step \`${command.join(" ")}\` of ${server.manifest.name} failed; ${what}\n${err.message.split("\n").slice(1).join("\n")}`);
  }
}

const preparers = {
  "python-venv": async (server, spec) => {
    const venv = await ensureVenv(server.manifest.name, path.join(server.dir, spec.requirements));
    return { python: venv.python, venv: venv.dir };
  },
  command: async (server, spec, vars, signal) => {
    const command = spec.command.map((c) => substitute(c, vars));
    // The substituted command is part of the key: a new ONNX Runtime version is a new {onnxruntime_lib}.
    const key = hashPaths(
      server.dir,
      spec.inputs.map((p) => substitute(p, vars)),
      JSON.stringify(command),
    );
    const stampFile = path.join(cacheDir(), "builds", `${server.manifest.name}.json`);
    const outputs = spec.outputs.map((p) => path.resolve(server.dir, substitute(p, vars)));
    const stamp = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, "utf8")) as { key?: string }).key : undefined;
    if (stamp === key && outputs.every((o) => existsSync(o))) return {};
    log.step(`building ${server.manifest.name} (sources changed or first build)`);
    await runBuild(server, command, signal);
    const missing = outputs.filter((o) => !existsSync(o));
    if (missing.length) throw new Error(`build of ${server.manifest.name} finished but did not produce ${missing.join(", ")}`);
    mkdirSync(path.dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, `${JSON.stringify({ key, built_at: new Date().toISOString() })}\n`);
    return {};
  },
  none: async () => ({}),
} satisfies { [K in PrepareKind]: Preparer<K> };

/** Placeholders that cost an install to resolve, so they are resolved only for manifests that use them. */
const lazyVars: Record<string, () => Promise<string>> = {
  onnxruntime_lib: ensureOnnxRuntimeLibrary,
};

/**
 * System requirements, then the manifest's prepare step (cached); returns every placeholder value
 * the manifest's start, env and ceiling entries may use.
 */
export async function prepareServer(server: DiscoveredServer, modelDir: string, signal?: AbortSignal): Promise<Vars> {
  await ensureSystemRequirements(server, signal);
  signal?.throwIfAborted();
  const vars: Vars = { server_dir: server.dir, model_dir: modelDir, cache_dir: cacheDir(), root: ROOT };
  const text = JSON.stringify(server.manifest);
  for (const [name, resolve] of Object.entries(lazyVars)) if (text.includes(`{${name}}`)) vars[name] = await resolve();
  const spec = server.manifest.prepare;
  const run = preparers[spec.kind] as Preparer<typeof spec.kind>;
  const prepared = { ...vars, ...(await run(server, spec as never, vars, signal)) };
  // A reduced-precision format is built from the model's fp32 files the first time it is needed.
  await ensureModelFormat(modelDir, server.manifest.model_format, signal);
  return prepared;
}
