// --launcher docker end to end: the real CLI, the embedded load engine and the real onnx-rust server in a real
// container through a Docker API engine (podman's service, started by tests/e2e/engine.ts unless DOCKER_HOST is set). The image is built
// from the host's onnx-rust build on a debootstrapped Debian base (tests/e2e/engine.ts) and tagged
// as the launcher would tag the image of servers/onnx-rust/Dockerfile, so the launcher finds it.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import type Docker from "dockerode";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ServerManifest } from "../../orchestrator/plan/config-schema.ts";
import { ensureImage, imageSource } from "../../orchestrator/launch/docker.ts";
import { prepareServer } from "../../orchestrator/launch/build-server.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { cacheDir, ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { BASE_IMAGE, buildImage, engine, ensureDebianBase, ensurePythonBase, suiteContainers } from "./container-engine.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";
const config = loadSuiteConfig(ROOT);
const server = config.servers.find((s) => s.manifest.name === "onnx-rust")!;
const MEMORY_MB = 1024;
const common = ["--launcher", "docker", "--frameworks", "onnx-rust", "--concurrency-levels", "1", "--warmup-requests", "5", "--cpus", "server=0", "client=1"];

let docker: Docker;
let stopEngine = async () => {};
let imageId: string;

before(async () => {
  ({ docker, stop: stopEngine } = await engine());
  const base = await ensureDebianBase(docker);
  const model = await ensureModel(MODEL, getModel(config, MODEL));
  await prepareServer(server, model.dir);
  const native = path.join(cacheDir(), "native", "onnx-rust");
  const dockerfile = [
    `FROM ${base}`,
    "COPY onnx-rust-server /usr/local/bin/onnx-rust-server",
    "COPY libonnxruntime.so /opt/onnxruntime/libonnxruntime.so",
    "ENV ORT_DYLIB_PATH=/opt/onnxruntime/libonnxruntime.so",
    "USER nobody",
    'CMD ["onnx-rust-server"]',
    "",
  ].join("\n");
  imageId = await buildImage(docker, imageSource(server).ref, dockerfile, {
    "onnx-rust-server": path.join(native, "onnx-rust-server"),
    "libonnxruntime.so": realpathSync(path.join(native, "libonnxruntime.so")),
  });
});

const resultOf = (dir: string, framework = "onnx-rust") =>
  FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${framework}.json`), "utf8")));

after(() => stopEngine());

test("bench:k6 --launcher docker runs onnx-rust in a container with its CPU set and memory limit, and removes it", { timeout: 600_000 }, async () => {
  const dir = tempDir("docker");
  let owner = 0;
  let inspected: Promise<Docker.ContainerInspectInfo> | undefined;
  const run = await runCli([...common, "--duration-s", "3", "--container-memory-mb", String(MEMORY_MB), "--results-dir", dir], {
    onStderr: (text, child) => {
      owner = child.pid!;
      if (inspected || !text.includes("started on")) return;
      inspected = suiteContainers(docker, owner).then((list) => {
        assert.equal(list.length, 1, JSON.stringify(list));
        return docker.getContainer(list[0]!.Id).inspect();
      });
    },
  });
  assert.equal(run.code, 0, run.stderr.slice(-4000));

  // What the engine was asked for, through its inspect API while the server ran.
  assert.ok(inspected, "the server started");
  const info = await inspected;
  assert.equal(info.HostConfig.CpusetCpus, "0");
  assert.equal(info.HostConfig.Memory, MEMORY_MB * 1048576);
  assert.deepEqual(
    Object.values(info.HostConfig.PortBindings as Record<string, { HostIp: string }[]>)
      .flat()
      .map((b) => b.HostIp),
    ["127.0.0.1"],
  );
  assert.deepEqual(
    info.Mounts.map((m) => [m.Destination, m.RW]),
    [["/model", false]],
  );
  assert.equal(info.Image, imageId);

  const result = resultOf(dir);
  assert.equal(result.status, "completed", result.failure ?? "");
  assert.equal(result.verification?.passed, true);
  assert.deepEqual(result.launch, {
    launcher: "docker",
    image: imageSource(server).ref,
    image_id: imageId.replace(/^(?!sha256:)/, "sha256:"),
    cpuset: "0",
    memory_limit_mb: MEMORY_MB,
  });
  // The server saw only its CPU set, and so sized itself for one CPU.
  assert.equal(result.server_info?.["cpu_count"], 1);
  assert.equal(result.layout?.workers, 1);
  const level = result.scenarios[pointKey(closedPoint(1))]!;
  assert.ok(level.num_requests > 0 && level.errors === 0, JSON.stringify(level).slice(0, 400));
  const [cpu, memory, peak] = [level.server_cpu_percent, level.server_memory_mb, level.server_memory_peak_mb];
  assert.ok(cpu !== null && cpu > 0, `server CPU ${cpu}`);
  assert.ok(memory !== null && peak !== null && memory > 0 && peak >= memory, `server memory ${memory}`);
  // One CPU: the container cannot use more than one core (loose: sampling edges).
  assert.ok(cpu < 150, `server CPU ${cpu}`);
  assert.match(readFileSync(path.join(latestRun(dir), MODEL, "logs", "onnx-rust.log"), "utf8"), /\[onnx-rust\] listening on/);
  assert.deepEqual(await suiteContainers(docker, owner), [], "no container is left");
});

test("Ctrl-C during a level stops and removes the container", { timeout: 600_000 }, async () => {
  const dir = tempDir("docker-sigint");
  let owner = 0;
  let sent = false;
  const run = await runCli([...common, "--duration-s", "30", "--results-dir", dir], {
    onStderr: (text, child) => {
      owner = child.pid!;
      if (sent || !text.includes("level 1/1")) return;
      sent = true;
      setTimeout(() => child.kill("SIGINT"), 1500);
    },
  });
  assert.ok(sent, run.stderr.slice(-3000));
  assert.equal(run.code, 130, run.stderr.slice(-3000));
  assert.equal(resultOf(dir).status, "interrupted");
  assert.deepEqual(await suiteContainers(docker, owner), [], "no container is left");
});

// The done-when run, in one run to keep CI short (the test above covers a complete onnx-rust
// run): both frameworks in containers, onnx-rust's killed during its level 2, onnx-python's image
// built by the launcher from servers/onnx-python/Dockerfile (FROM python:3.12-slim, pip install,
// USER nobody) when the engine lacks it. Without a registry, python:3.12-slim is the engine's own
// or the stand-in of tests/e2e/engine.ts (Debian 12's Python 3.11 standing in for it).
test("bench:k6 --launcher docker --frameworks onnx-rust onnx-python: a container killed mid-level fails like a crashed server, and onnx-python, built from its Dockerfile, completes as nobody", {
  timeout: 900_000,
}, async (t) => {
  const python = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const pythonRef = imageSource(python).ref;
  t.diagnostic(`python:3.12-slim: ${(await ensurePythonBase(docker)).standIn ? "the stand-in (Debian 12's Python 3.11)" : "the engine's own"}`);
  const builtBefore = await docker
    .getImage(pythonRef)
    .inspect()
    .then(() => true)
    .catch(() => false);
  const dir = tempDir("docker-two");
  let owner = 0;
  const inspected = new Map<string, Promise<Docker.ContainerInspectInfo>>();
  let killed: Promise<void> | undefined;
  const containerOf = async (name: string) => {
    const list = (await suiteContainers(docker, owner)).filter((c) => c.Labels["embedding-bench.framework"] === name);
    assert.equal(list.length, 1, JSON.stringify(list));
    return docker.getContainer(list[0]!.Id);
  };
  const args = [
    "--launcher",
    "docker",
    "--frameworks",
    "onnx-rust",
    "onnx-python",
    "--concurrency-levels",
    "1",
    "2",
    "--duration-s",
    "5",
    "--warmup-requests",
    "5",
  ];
  const run = await runCli([...args, "--cpus", "server=0", "client=1", "--container-memory-mb", String(MEMORY_MB), "--results-dir", dir], {
    onStderr: (text, child) => {
      owner = child.pid!;
      for (const name of ["onnx-rust", "onnx-python"]) {
        if (!inspected.has(name) && text.includes(`${name}: started on`))
          inspected.set(
            name,
            containerOf(name).then((c) => c.inspect()),
          );
      }
      if (killed || !text.includes("onnx-rust: level 2/2")) return;
      killed = new Promise((r) => setTimeout(r, 1500)).then(() => containerOf("onnx-rust").then((c) => c.kill()));
    },
  });
  assert.ok(killed, run.stderr.slice(-3000));
  await killed;
  // One framework failed: exit 1, after the run went on to the next.
  assert.equal(run.code, 1, run.stderr.slice(-4000));
  if (!builtBefore) assert.match(run.stderr, new RegExp(`onnx-python: building image ${pythonRef} from .*servers/onnx-python/Dockerfile`));

  // Both in containers with the CPU set and the limit asked for, through the engine's inspect API.
  for (const name of ["onnx-rust", "onnx-python"]) {
    assert.ok(inspected.has(name), `${name} started`);
    const info = await inspected.get(name)!;
    assert.equal(info.HostConfig.CpusetCpus, "0", name);
    assert.equal(info.HostConfig.Memory, MEMORY_MB * 1048576, name);
  }
  // onnx-python's image is its Dockerfile's: its command, and the server runs as nobody.
  const pythonInfo = await inspected.get("onnx-python")!;
  const image = await docker.getImage(pythonRef).inspect();
  assert.equal(pythonInfo.Image, image.Id);
  assert.equal(pythonInfo.Config.User, "nobody");
  assert.deepEqual(image.Config.Cmd, ["python", "servers/onnx-python/server.py"]);

  // The killed one is reported like a crashed process.
  const rust = resultOf(dir);
  assert.equal(rust.status, "failed");
  assert.match(rust.failure ?? "", /server died during concurrency 2|server stopped answering/);
  assert.ok(rust.scenarios[pointKey(closedPoint(1))]!.num_requests > 0, "level 1 is kept");

  // The run went on: onnx-python complete, with CPU and memory from the engine's stats.
  const py = resultOf(dir, "onnx-python");
  assert.equal(py.status, "completed", py.failure ?? "");
  assert.equal(py.verification?.passed, true);
  assert.deepEqual(py.launch, {
    launcher: "docker",
    image: pythonRef,
    image_id: image.Id.replace(/^(?!sha256:)/, "sha256:"),
    cpuset: "0",
    memory_limit_mb: MEMORY_MB,
  });
  assert.equal(py.server_info?.["cpu_count"], 1);
  for (const key of [pointKey(closedPoint(1)), pointKey(closedPoint(2))]) {
    const level = py.scenarios[key]!;
    assert.ok(level.num_requests > 0 && level.errors === 0, `${key}: ${JSON.stringify(level).slice(0, 400)}`);
    const [cpu, memory, peak] = [level.server_cpu_percent, level.server_memory_mb, level.server_memory_peak_mb];
    assert.ok(cpu !== null && cpu > 0 && cpu < 150, `${key}: server CPU ${cpu}`);
    assert.ok(memory !== null && peak !== null && memory > 0 && peak >= memory && peak < MEMORY_MB, `${key}: server memory ${memory}, peak ${peak}`);
  }
  assert.match(readFileSync(path.join(latestRun(dir), MODEL, "logs", "onnx-python.log"), "utf8"), /\[onnx-python\] model loaded/);
  assert.deepEqual(await suiteContainers(docker, owner), [], "no container is left");
});

test("an image the engine lacks is built from the manifest's Dockerfile, with only the include paths as context", { timeout: 300_000 }, async () => {
  const root = tempDir("image-build");
  const dir = path.join(root, "servers", "tiny");
  mkdirSync(path.join(root, "shared"), { recursive: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(root, "shared", "a.txt"), "shared\n");
  writeFileSync(path.join(root, "left-out.txt"), "not sent\n");
  writeFileSync(
    path.join(dir, "Dockerfile"),
    `FROM ${BASE_IMAGE.repo}:${BASE_IMAGE.tag}\nCOPY shared /srv/shared\nCOPY servers/tiny /srv/tiny\nRUN test -f /srv/shared/a.txt && test -f /srv/tiny/Dockerfile\n`,
  );
  const manifest = ServerManifest.parse({
    ...server.manifest,
    name: "tiny",
    container: { image: "embedding-bench/tiny-test", dockerfile: "Dockerfile", include: ["shared", "servers/tiny"] },
  });
  const tiny = { manifest, dir, manifestPath: path.join(dir, "manifest.yaml") };
  const built = await ensureImage(docker, tiny);
  assert.equal(built.ref, imageSource(tiny).ref);
  assert.match(built.id, /^(sha256:)?[0-9a-f]{64}$/);
  // Found the second time, not rebuilt.
  assert.deepEqual(await ensureImage(docker, tiny), built);
  // A Dockerfile copying what is not included fails with the engine's reason.
  writeFileSync(path.join(dir, "Dockerfile"), `FROM ${BASE_IMAGE.repo}:${BASE_IMAGE.tag}\nCOPY left-out.txt /srv/\n`);
  await assert.rejects(ensureImage(docker, tiny), /image build of tiny failed: .*left-out\.txt/s);
  await docker.getImage(built.ref).remove();
});

test("without an engine the docker launcher fails at once with one clear line", { timeout: 120_000 }, async () => {
  const socket = path.join(tempDir("no-engine"), "docker.sock");
  assert.equal(existsSync(socket), false);
  const run = await runCli(["--launcher", "docker", "--frameworks", "onnx-rust"], { env: { DOCKER_HOST: `unix://${socket}` } });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`--launcher docker: no Docker API engine answers at unix://${socket}`));
});
