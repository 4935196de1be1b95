// The guardian against a real SIGKILL: a Node process guards a process group and a single process,
// is killed with SIGKILL, and both die with it; what it released survives.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { ROOT } from "./paths.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts a Node process that runs `body` with guard/release imported, and resolves with the JSON line it prints. */
function owner(body: string): Promise<{ child: ReturnType<typeof spawn>; info: Record<string, number> }> {
  const script = `import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { guard, release, guardianPid } from "./orchestrator/platform/reaper.ts";
${body}
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve({ child, info: JSON.parse(out.split("\n")[0]!) as Record<string, number> });
    });
    child.on("error", reject);
  });
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    if (!alive(pid) || isZombie(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

test("a guarded process group and a guarded process die when their owner is killed with SIGKILL; a released one does not", async () => {
  const { child, info } = await owner(`
const leader = spawn("/bin/sh", ["-c", "sleep 300 & sleep 301"], { detached: true, stdio: "ignore" });
const single = spawn("sleep", ["302"], { stdio: "ignore" });
const kept = spawn("sleep", ["303"], { stdio: "ignore", detached: true });
guard({ group: leader.pid });
guard({ pid: single.pid });
guard({ pid: kept.pid });
release({ pid: kept.pid });
setTimeout(() => console.log(JSON.stringify({ leader: leader.pid, single: single.pid, kept: kept.pid, guardian: guardianPid() })), 300);
`);
  const pids = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const inGroup = pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === info["leader"];
    } catch {
      return false;
    }
  });
  assert.ok(inGroup.length >= 2, `the group holds the shell and its sleeps: ${inGroup.join(", ")}`);
  try {
    child.kill("SIGKILL");
    for (const pid of [...inGroup, info["single"]!]) assert.ok(await gone(pid, 3000), `pid ${pid} is gone`);
    assert.ok(await gone(info["guardian"]!, 3000), "the guardian exits too");
    assert.equal(alive(info["kept"]!) && !isZombie(info["kept"]!), true, "a released process is left alone");
  } finally {
    process.kill(info["kept"]!, "SIGKILL");
  }
});
