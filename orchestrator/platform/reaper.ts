// No orphan, whatever ends this process, SIGKILL included. Each server runs in a process group of its
// own (every process it starts, uvicorn's workers and Triton's stubs included, stays in it), and a
// load engine is one process. A signal handler cannot run on SIGKILL, and PR_SET_PDEATHSIG reaches
// only a direct child, so a guardian does it: one small shell process per suite process (dash, about
// 1 MB, asleep in read(2)), started in a group of its own so that Ctrl-C does not reach it, reading
// a pipe whose only writer is this process. This process tells it each group or process to guard
// and each one it stopped itself; when the pipe closes (this process ended, however) the guardian
// sends SIGKILL to every group and process still listed, then exits.
import { type ChildProcess, spawn } from "node:child_process";

/** The guardian: `+T` guards T, `-T` forgets it (T a pid, or -pgid for a whole group); at EOF, kill -9 what is guarded. */
const GUARDIAN = `
trap '' INT TERM HUP QUIT PIPE
guarded=""
while IFS= read -r line; do
  case "$line" in
    +*) guarded="$guarded \${line#+}" ;;
    -*) drop=\${line#-}; kept=""; for t in $guarded; do [ "$t" = "$drop" ] || kept="$kept $t"; done; guarded=$kept ;;
  esac
done
for t in $guarded; do kill -9 "$t" 2>/dev/null; done
exit 0
`;

let guardian: ChildProcess | null = null;

function line(text: string): void {
  if (guardian === null) {
    guardian = spawn("/bin/sh", ["-c", GUARDIAN], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    guardian.on("error", () => {
      guardian = null;
    });
    // Neither the guardian nor its pipe keeps this process alive.
    guardian.unref();
    (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    guardian.stdin?.on("error", () => {});
  }
  guardian.stdin?.write(`${text}\n`);
}

const target = (t: { group: number } | { pid: number }) => ("group" in t ? `-${t.group}` : String(t.pid));

/** Kills `t` (a process group, or one process) with SIGKILL when this process ends without `release`. */
export function guard(t: { group: number } | { pid: number }): void {
  line(`+${target(t)}`);
}

/** `t` is stopped (or gone): the guardian forgets it, so that a reused id is never killed. */
export function release(t: { group: number } | { pid: number }): void {
  if (guardian !== null) line(`-${target(t)}`);
}

/** The guardian's pid (tests), or null before anything was guarded. */
export function guardianPid(): number | null {
  return guardian?.pid ?? null;
}
