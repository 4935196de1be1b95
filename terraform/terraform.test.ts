// No terraform binary can be installed where the suite is developed: check what can be checked
// offline. Every file parses as HCL2 (python-hcl2), every var.* used is declared, and the
// templatefile() arguments match the placeholders of user_data.sh.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../orchestrator/platform/paths.ts";
import { ensureVenv } from "../orchestrator/toolchain/python.ts";

const dir = path.join(ROOT, "terraform");
const tfFiles = readdirSync(dir).filter((f) => f.endsWith(".tf"));

async function parseAll(): Promise<Record<string, { variable?: Record<string, unknown>[]; output?: Record<string, unknown>[] }>> {
  const venv = await ensureVenv("dev-tools", path.join(ROOT, "scripts", "dev-requirements.txt"));
  const script = "import hcl2, json, sys\nout = {}\nfor f in sys.argv[1:]:\n    with open(f) as fh:\n        out[f] = hcl2.load(fh)\nprint(json.dumps(out))";
  return JSON.parse(execFileSync(venv.python, ["-c", script, ...tfFiles.map((f) => path.join(dir, f))], { encoding: "utf8" }));
}

test("every .tf file parses and every var.* reference is declared with a type and description", async () => {
  const parsed = await parseAll();
  assert.ok(tfFiles.length >= 4);
  const declared = new Map<string, Record<string, unknown>>();
  // python-hcl2 keeps the quotes of block labels ('"region"').
  const label = (name: string) => name.replace(/^"|"$/g, "");
  for (const doc of Object.values(parsed))
    for (const v of doc.variable ?? []) for (const [name, body] of Object.entries(v)) declared.set(label(name), body as Record<string, unknown>);
  const used = new Set<string>();
  for (const f of tfFiles) for (const m of readFileSync(path.join(dir, f), "utf8").matchAll(/\bvar\.([a-z_][a-z0-9_]*)/g)) used.add(m[1]!);
  for (const name of used) assert.ok(declared.has(name), `var.${name} is used but not declared`);
  for (const [name, body] of declared) {
    assert.ok(body["type"], `variable ${name} has a type`);
    assert.ok(body["description"], `variable ${name} has a description`);
    assert.ok(used.has(name), `variable ${name} is declared but never used`);
  }
  const outputs = Object.values(parsed).flatMap((d) => d.output ?? []);
  assert.ok(outputs.some((o) => Object.keys(o).map(label).includes("instance_public_ip")));
});

test("templatefile() passes exactly the placeholders user_data.sh uses", () => {
  const main = readFileSync(path.join(dir, "main.tf"), "utf8");
  const call = /templatefile\("\$\{path\.module\}\/user_data\.sh", \{([^}]*)\}\)/s.exec(main);
  assert.ok(call, "main.tf renders user_data.sh with templatefile");
  const passed = new Set([...call[1]!.matchAll(/^\s*([a-z_]+)\s*=/gm)].map((m) => m[1]!));
  const script = readFileSync(path.join(dir, "user_data.sh"), "utf8");
  // ${name} is a template placeholder; $${name} would be a literal shell expansion.
  const placeholders = new Set([...script.matchAll(/(?<!\$)\$\{([a-z_]+)\}/g)].map((m) => m[1]!));
  assert.deepEqual([...placeholders].sort(), [...passed].sort());
});
