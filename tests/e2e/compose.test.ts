// docker-compose.yml through a real Compose implementation: Debian's docker-compose (1.29, listed in
// tests/apt-packages.txt) validates the file against the Compose schema and prints the resolved model
// (`config`), which needs no container engine. Missing binary = failure, not a skip.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);
const FRAMEWORKS = ["onnx-python", "pytorch", "pytorch-batching", "openvino", "onnx-rust", "candle", "onnx-cpp"];

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  profiles?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  deploy?: { resources?: { limits?: { cpus?: number; memory?: string } } };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

async function compose(args: string[], env: NodeJS.ProcessEnv = {}, file = path.join(ROOT, "docker-compose.yml")) {
  try {
    return await run("docker-compose", ["-f", file, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("docker-compose not found: install the Debian package docker-compose (apt-get install docker-compose; listed in tests/apt-packages.txt)");
    }
    throw err;
  }
}

async function resolved(env: NodeJS.ProcessEnv = {}): Promise<Record<string, Service>> {
  const { stdout } = await compose(["config"], env);
  return (parseYaml(stdout) as { services: Record<string, Service> }).services;
}

test("docker-compose.yml passes docker-compose config", { timeout: 120_000 }, async () => {
  const { stdout, stderr } = await compose(["config", "-q"]);
  assert.equal(stdout, "");
  assert.equal(stderr, "");
});

test("the validator is real: a broken copy of the file is rejected", { timeout: 120_000 }, async () => {
  const broken = path.join(tempDir("compose"), "docker-compose.yml");
  writeFileSync(
    broken,
    readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8").replace("    profiles: [onnx-python, python, servers]", "    profile: [onnx-python]"),
  );
  await assert.rejects(compose(["config", "-q"], {}, broken), /Unsupported config option for services\.onnx-python: 'profile'/);
});

test("a service per framework: limits, /health check, read-only model and config, profiles", { timeout: 120_000 }, async () => {
  const services = await resolved();
  assert.deepEqual(Object.keys(services).sort(), [...FRAMEWORKS, "grafana", "influxdb", "k6"].sort());
  const ports = new Set<string>();
  for (const name of FRAMEWORKS) {
    const s = services[name]!;
    assert.equal(s.build?.dockerfile, `servers/${name}/Dockerfile`, name);
    assert.equal(s.build?.context, ROOT, name);
    assert.deepEqual(s.deploy?.resources?.limits, { cpus: 16, memory: "32G" }, name);
    assert.ok(
      s.healthcheck?.test.some((t) => t === "http://127.0.0.1:8000/health" || t.includes("'http://127.0.0.1:8000/health'")),
      `${name}: ${JSON.stringify(s.healthcheck)}`,
    );
    assert.ok(s.volumes?.includes(`${path.join(ROOT, "models")}:/models:ro`), `${name}: ${JSON.stringify(s.volumes)}`);
    assert.ok(s.volumes?.includes(`${path.join(ROOT, "config")}:/config:ro`), name);
    assert.equal(s.environment?.["MODEL_DIR"], "/models/all-MiniLM-L6-v2");
    assert.equal(s.environment?.["PORT"], "8000");
    // Unset unless the shell sets them: each server sizes itself from its container's CPUs.
    assert.equal(s.environment?.["THREADS"], null, name);
    assert.equal(s.environment?.["WORKERS"], null, name);
    assert.ok(s.profiles?.includes(name) && s.profiles.includes("servers"), `${name}: ${JSON.stringify(s.profiles)}`);
    for (const p of s.ports ?? []) {
      assert.ok(!ports.has(p), `${name}: port ${p} used twice`);
      ports.add(p);
    }
  }
  // influxdb and grafana have no profile: they start with any subset.
  assert.equal(services["influxdb"]!.profiles, undefined);
  assert.equal(services["grafana"]!.profiles, undefined);
  assert.equal(services["grafana"]!.depends_on?.["influxdb"]?.condition, "service_healthy");
  assert.ok(services["grafana"]!.volumes?.includes(`${path.join(ROOT, "grafana", "provisioning")}:/etc/grafana/provisioning:ro`));
  assert.ok(services["grafana"]!.volumes?.includes(`${path.join(ROOT, "grafana", "dashboards")}:/var/lib/grafana/dashboards:ro`));
  assert.match(services["influxdb"]!.image!, /^influxdb:1\./, "k6's built-in output speaks the InfluxDB v1 API");
});

test("limits, model and target follow the environment", { timeout: 120_000 }, async () => {
  const services = await resolved({ SERVER_CPUS: "4", SERVER_MEMORY: "8G", MODEL: "bge-small-en", TARGET: "candle" });
  assert.deepEqual(services["candle"]!.deploy?.resources?.limits, { cpus: 4, memory: "8G" });
  assert.equal(services["candle"]!.environment?.["MODEL_DIR"], "/models/bge-small-en");
  assert.ok((services["k6"] as { command?: string[] }).command?.includes("BASE_URL=http://candle:8000"));
});

test("THREADS and WORKERS reach every server only when set; k6 writes its summary to a mounted folder", { timeout: 120_000 }, async () => {
  const services = await resolved({ THREADS: "1", WORKERS: "2", TARGET: "onnx-rust", CONCURRENCY: "8" });
  for (const name of FRAMEWORKS) {
    assert.equal(services[name]!.environment?.["THREADS"], "1", name);
    assert.equal(services[name]!.environment?.["WORKERS"], "2", name);
  }
  const k6 = services["k6"]!;
  assert.equal(k6.environment?.["SUMMARY_FILE"], "/results/onnx-rust-c8.summary.json");
  assert.ok(k6.volumes?.includes(`${path.join(ROOT, "results", "compose")}:/results:rw`), JSON.stringify(k6.volumes));
});

test("every framework with a container section has a compose service and a Dockerfile", () => {
  const config = loadSuiteConfig(ROOT);
  for (const s of config.servers.filter((sv) => sv.manifest.container)) {
    assert.ok(FRAMEWORKS.includes(s.manifest.name), `${s.manifest.name} has no service in docker-compose.yml`);
    assert.ok(existsSync(path.join(ROOT, "servers", s.manifest.name, "Dockerfile")), `servers/${s.manifest.name}/Dockerfile is missing`);
  }
});
