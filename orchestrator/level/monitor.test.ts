import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { ResourceMonitor } from "./monitor.ts";
import { parseMachineStat, parseProcStat, treeOf } from "../platform/procfs.ts";

test("parses /proc/<pid>/stat even when the command name has spaces and parentheses", () => {
  const line = "4242 (weird (name) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 3 0 100 1000000 2560 18446744073709551615";
  const s = parseProcStat(4242, line);
  assert.equal(s.ppid, 1);
  assert.equal(s.cpuTicks, 200);
  assert.equal(s.rssBytes, 2560 * 4096);
});

test("treeOf collects all descendants and nothing else", () => {
  const mk = (pid: number, ppid: number) => ({ pid, ppid, cpuTicks: pid, rssBytes: 1 });
  const stats = [mk(1, 0), mk(10, 1), mk(11, 10), mk(12, 10), mk(13, 11), mk(20, 1)];
  assert.deepEqual(
    treeOf(10, stats)
      .map((s) => s.pid)
      .sort((a, b) => a - b),
    [10, 11, 12, 13],
  );
  assert.deepEqual(treeOf(99, stats), []);
});

test("a busy child process shows up as CPU and RSS of its parent's tree", async () => {
  // A shell whose grandchild spins for ~1.2 s against an idle process. The thresholds are loose on
  // purpose: on a loaded 2-core machine the spinner gets only a share of a core.
  const child = spawn("sh", ["-c", "timeout 1.2 sh -c 'while :; do :; done'; sleep 0.2"], { stdio: "ignore" });
  const sleeper = spawn("sleep", ["2"], { stdio: "ignore" });
  const mon = new ResourceMonitor(100);
  mon.watch("busy", child.pid!);
  mon.watch("idle", sleeper.pid!);
  mon.start();
  await new Promise((r) => setTimeout(r, 1000));
  const out = mon.stop();
  child.kill();
  sleeper.kill();
  const busy = out["busy"]!.cpu_percent;
  const idle = out["idle"]!.cpu_percent;
  assert.ok(busy > 5 && busy > idle + 5, `busy tree CPU ${busy} vs idle ${idle}`);
  assert.ok(busy <= 100 * 1.1, `one spinning process cannot use more than one core: ${busy}`);
  assert.ok(idle < 5, `idle tree CPU ${idle}`);
  assert.ok(out["busy"]!.memory_mb > 0);
  assert.ok(out["busy"]!.samples.length >= 5);
});

test("a tree whose root is gone from the start is absent from the summary: not measured, not 0", () => {
  const mon = new ResourceMonitor(100);
  mon.watch("self", process.pid);
  // A pid far above any this machine hands out: no such process.
  mon.watch("gone", 2 ** 30);
  mon.start();
  assert.deepEqual(Object.keys(mon.stop()), ["self"]);
});

test("parseMachineStat reads the whole machine and each CPU from /proc/stat", () => {
  const stat = "cpu  100 5 50 800 20 3 2 1 0 0\ncpu0 60 5 30 390 10 2 1 1 0 0\ncpu1 40 0 20 410 10 1 1 0 0 0\nintr 12345\n";
  const m = parseMachineStat(stat);
  assert.deepEqual(m.get("all"), { busy: 100 + 5 + 50 + 3 + 2 + 1, total: 161 + 800 + 20 });
  assert.deepEqual(m.get(0), { busy: 60 + 5 + 30 + 2 + 1 + 1, total: 99 + 390 + 10 });
  assert.equal(m.get(1)?.busy, 62);
  assert.equal(m.size, 3);
});

test("a probe's readings (a container's engine stats) give CPU over their own timestamps, each reading once", () => {
  const readings = [
    { at: 1_000, cpuS: 10, rss: 100 * 1048576 },
    { at: 1_000, cpuS: 10, rss: 100 * 1048576 },
    { at: 2_000, cpuS: 10.5, rss: 120 * 1048576 },
    { at: 4_000, cpuS: 12.5, rss: 110 * 1048576 },
  ];
  let i = 0;
  const mon = new ResourceMonitor(60_000);
  mon.watch("server", { latest: () => readings[Math.min(i++, readings.length - 1)]! });
  mon.start();
  for (let k = 0; k < 3; k++) (mon as unknown as { tick(): void }).tick();
  const out = mon.stop()["server"]!;
  // (12.5 - 10) CPU seconds over 3 s; the repeated reading is not a sample.
  assert.equal(out.cpu_percent, (2.5 / 3) * 100);
  assert.deepEqual(
    out.samples.map((s) => [s.t_ms, s.cpu_percent, s.rss_mb]),
    [
      [2_000, 50, 120],
      [4_000, 100, 110],
    ],
  );
  assert.equal(out.memory_mb, 115);
  assert.equal(out.memory_peak_mb, 120);
});
