import assert from "node:assert/strict";
import { test } from "node:test";
import { atFinish, cpuFlagsSummary, describeEnvironment } from "./environment.ts";

test("cpuFlagsSummary keeps the extensions inference kernels use, in a fixed order", () => {
  const cpuinfo = "processor\t: 0\nflags\t\t: fpu vme sse4_2 avx2 fma avx512f avx512_vnni amx_tile xsave\nbugs\t\t: none\n";
  assert.deepEqual(cpuFlagsSummary(cpuinfo), ["sse4_2", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile"]);
  assert.deepEqual(cpuFlagsSummary(""), []);
});

test("the stamp names the commit, the arguments, a config hash that follows the config, and the CPU sets", () => {
  const cpuSets = { mode: "split" as const, server: [0, 1, 2], client: [3] };
  const one = describeEnvironment({
    engine: { name: "embedded", version: "0.1.0" },
    cpuSets,
    argv: ["--concurrency-levels", "1"],
    config: { profile: "quick" },
  });
  assert.match(one.git_commit ?? "", /^[0-9a-f]{40}$/, "this checkout is a git repository");
  assert.equal(typeof one.git_dirty, "boolean");
  assert.deepEqual(one.argv, ["--concurrency-levels", "1"]);
  assert.deepEqual(one.cpu_sets, { mode: "split", server: "0-2", client: "3" });
  assert.equal(one.load_average_start?.length, 3);
  assert.equal(one.kernel, one.os.split(" ")[1]);
  const same = describeEnvironment({ engine: { name: "embedded", version: "0.1.0" }, cpuSets, argv: [], config: { profile: "quick" } });
  const other = describeEnvironment({ engine: { name: "embedded", version: "0.1.0" }, cpuSets, argv: [], config: { profile: "standard" } });
  assert.equal(one.config_hash, same.config_hash);
  assert.notEqual(one.config_hash, other.config_hash);
  assert.equal(atFinish(one).load_average_end?.length, 3);
});
