// A null endpoint: Debian's nginx answering every POST /embed with one fixed batch-1 answer, so that
// whatever limits the rate is the client. Used by `npm run bench:engine` (the load engines'
// ceilings) and by the client-bound test. The answer is the contract's shape with the first vector
// of tests/fixtures/apis/embed.response.json (384 floats, 4,797 bytes), served as a static file:
// nginx answers POST to a static file with 405, which `error_page 405 =200` turns into the file
// (`return 200 '<json>'` cannot hold it: nginx limits a parameter to 4,096 characters).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { freePort } from "../../orchestrator/platform/http.ts";
import { formatCpuList, withAffinity } from "../../orchestrator/platform/affinity.ts";
import { startProcess, type ServerProcess } from "../../orchestrator/launch/process.ts";
import { onPath } from "../../orchestrator/launch/system.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";

/** The Debian packages of the null endpoint and of the reference client. */
export const NULL_SERVER_PACKAGES = ["nginx-light", "wrk"] as const;

/** The header every answer carries, as a framework's would (the engine records it). */
export const NULL_INFERENCE_MS = 0.5;

/** The answer nginx sends: the contract's shape, one vector of 384 floats. */
export function nullAnswer(): string {
  const fixture = JSON.parse(readFileSync(path.join(ROOT, "tests", "fixtures", "apis", "embed.response.json"), "utf8")) as { embeddings: number[][] };
  const vector = fixture.embeddings[0]!;
  return JSON.stringify({ embeddings: [vector], inference_time_ms: 1.0, model: "null", dim: vector.length, num_embeddings: 1 });
}

/** nginx's configuration: one worker in the foreground, no access log, keep-alive for the whole level. */
export function nginxConfig(dir: string, port: number): string {
  const tmp = path.join(dir, "tmp");
  return `# bench:engine's null endpoint (scripts/engine-bench/nullserver.ts)
worker_processes 1;
daemon off;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  default_type application/json;
  server {
    listen 127.0.0.1:${port};
    root ${dir};
    location = /embed {
      error_page 405 =200 /body.json;
      try_files /body.json =404;
      add_header X-Inference-Time ${NULL_INFERENCE_MS} always;
    }
    location = /body.json {
      internal;
      add_header X-Inference-Time ${NULL_INFERENCE_MS} always;
    }
    location = /health { return 200 '{"status":"ok"}'; }
  }
}
`;
}

/** Debian puts nginx in /usr/sbin, which a non-root PATH often lacks. */
export function nginxPath(): string | null {
  return onPath("nginx") ?? onPath("nginx", "/usr/sbin:/sbin");
}

export function nginxVersion(bin: string): string {
  try {
    // nginx -v prints to stderr and exits 0
    const out = execFileSync(bin, ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return out.trim();
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? "").trim();
  }
}

export interface NullServer {
  url: string;
  proc: ServerProcess;
  dir: string;
  answerBytes: number;
  stop(): Promise<void>;
}

/** Starts nginx on `cpus` in a fresh folder (its config, answer, logs) and waits until it answers. */
export async function startNullServer(cpus: readonly number[] | null, dir = mkdtempSync(path.join(os.tmpdir(), "eb-nginx-"))): Promise<NullServer> {
  const bin = nginxPath();
  if (bin === null)
    throw new Error(
      "nginx not found: install the Debian package nginx-light (apt-get install nginx-light; it is listed in tests/apt-packages.txt, and npm run bench:engine installs it when run as root)",
    );
  // Workers run as nobody when the master is root: they must read the folder.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, "tmp"), { recursive: true });
  const answer = nullAnswer();
  writeFileSync(path.join(dir, "body.json"), answer, { mode: 0o644 });
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(conf, nginxConfig(dir, port));
  const [command, args] = withAffinity(bin, ["-p", dir, "-c", conf, "-e", path.join(dir, "error.log")], cpus);
  const proc = startProcess({ command, args, cwd: dir, env: process.env, logFile: path.join(dir, "nginx.out") });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.hasExited())
      throw new Error(`nginx exited at start${cpus ? ` (CPU ${formatCpuList(cpus)})` : ""}:\n${proc.logTail()}\n${readTail(path.join(dir, "error.log"))}`);
    const ok = await fetch(`${url}/embed`, { method: "POST", body: '{"texts":["a"],"normalize":true}', headers: { "content-type": "application/json" } })
      .then(async (r) => r.status === 200 && (await r.text()) === answer)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await proc.stop(5);
      throw new Error(`nginx did not answer POST /embed with the fixed answer within 10 s\n${readTail(path.join(dir, "error.log"))}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, proc, dir, answerBytes: Buffer.byteLength(answer), stop: () => proc.stop(5) };
}

function readTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-10).join("\n");
  } catch {
    return "";
  }
}
