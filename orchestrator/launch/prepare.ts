// Makes a framework runnable (venv, native build) before it starts. One preparer per manifest
// `prepare.kind`; the registry's type makes a missing kind a compile error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DiscoveredServer } from "../config/load.ts";
import type { PrepareKind, PrepareSpec } from "../config/schema.ts";
import { hashPaths } from "../hash.ts";
import { log } from "../log.ts";
import { cacheDir } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { ensureOnnxRuntimeLibrary } from "../toolchain/onnxruntime.ts";
import { ensureVenv } from "../toolchain/python.ts";

/** Values substituted for {name} in manifest commands and env. */
export type Vars = Record<string, string>;

export function substitute(text: string, vars: Vars): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`unknown placeholder ${whole} (known: ${Object.keys(vars).map((k) => `{${k}}`).join(", ")})`);
    return value;
  });
}

type Preparer<K extends PrepareKind> = (server: DiscoveredServer, spec: Extract<PrepareSpec, { kind: K }>, vars: Vars) => Promise<Vars>;

const preparers = {
  "python-venv": async (server, spec) => {
    const venv = await ensureVenv(server.manifest.name, path.join(server.dir, spec.requirements));
    return { python: venv.python, venv: venv.dir };
  },
  command: async (server, spec, vars) => {
    // The substituted command is part of the key: a new ONNX Runtime version is a new {onnxruntime_lib}.
    const key = hashPaths(server.dir, spec.inputs.map((p) => substitute(p, vars)), JSON.stringify(spec.command.map((c) => substitute(c, vars))));
    const stampFile = path.join(cacheDir(), "builds", `${server.manifest.name}.json`);
    const outputs = spec.outputs.map((p) => path.resolve(server.dir, substitute(p, vars)));
    const stamp = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, "utf8")) as { key?: string }).key : undefined;
    if (stamp === key && outputs.every((o) => existsSync(o))) return {};
    log.step(`building ${server.manifest.name} (sources changed or first build)`);
    const [cmd, ...args] = spec.command.map((c) => substitute(c, vars));
    await runCommand(cmd!, args, { cwd: server.dir, stream: `  [${server.manifest.name} build] ` });
    const missing = outputs.filter((o) => !existsSync(o));
    if (missing.length) throw new Error(`build of ${server.manifest.name} finished but did not produce ${missing.join(", ")}`);
    mkdirSync(path.dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, JSON.stringify({ key, built_at: new Date().toISOString() }) + "\n");
    return {};
  },
  none: async () => ({}),
} satisfies { [K in PrepareKind]: Preparer<K> };

/** Placeholders that cost an install to resolve, so they are resolved only for manifests that use them. */
const lazyVars: Record<string, () => Promise<string>> = {
  onnxruntime_lib: ensureOnnxRuntimeLibrary,
};

export async function prepareServer(server: DiscoveredServer, vars: Vars): Promise<Vars> {
  const text = JSON.stringify(server.manifest);
  const baseVars = { ...vars };
  for (const [name, resolve] of Object.entries(lazyVars)) if (text.includes(`{${name}}`)) baseVars[name] = await resolve();
  const spec = server.manifest.prepare;
  const run = preparers[spec.kind] as Preparer<typeof spec.kind>;
  return { ...baseVars, ...(await run(server, spec as never, baseVars)) };
}
