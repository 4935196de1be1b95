import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ensureK6, findGo, k6Version, missingGoMessage } from "./k6.ts";
import { UserError } from "../errors.ts";

function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test("K6_BIN that is not k6 is a clear error", async () => {
  await withEnv({ K6_BIN: "/bin/false" }, async () => {
    await assert.rejects(ensureK6(), (e: Error) => e instanceof UserError && /K6_BIN=\/bin\/false is not a working k6 binary/.test(e.message));
  });
});

test("a placeholder 'k6' on PATH (like npm's dummy package) is skipped for the real one", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-fakek6-"));
  const fake = path.join(dir, "k6");
  writeFileSync(fake, "#!/bin/sh\necho 'this is not k6'\n");
  chmodSync(fake, 0o755);
  assert.equal(k6Version(fake), null);
  await withEnv({ K6_BIN: undefined, PATH: `${dir}${path.delimiter}${process.env["PATH"]}` }, async () => {
    const k6 = await ensureK6();
    assert.notEqual(k6.path, fake);
    assert.match(k6.version, /^v\d+\.\d+\.\d+/);
  });
});

test("without Go the suite cannot build k6 and says what to install", () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), "eb-nogo-"));
  assert.equal(findGo(empty, []), null);
  assert.equal(findGo(empty, ["/bin/sh"]), "/bin/sh", "falls back to the usual install location");
  assert.match(missingGoMessage("/cache/k6"), /checked K6_BIN, PATH and \/cache\/k6\) and Go is not installed.*\nInstall Go >= 1\.24.*K6_BIN=/s);
});
