import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { missingPieces } from "./build-server.ts";
import { aptInstallCommand, findCommand, missingDebianPackages, missingRequirements, onPath, planRequirements } from "./system.ts";

test("missingDebianPackages asks dpkg: installed packages are not missing, unknown ones are", () => {
  assert.deepEqual(missingDebianPackages(["dpkg", "coreutils"]), []);
  assert.deepEqual(missingDebianPackages(["dpkg", "no-such-package-eb"]), ["no-such-package-eb"]);
  assert.deepEqual(missingDebianPackages([]), []);
});

test("missingRequirements lists commands that are not on PATH, with how to get them", () => {
  const m = missingRequirements({
    apt: [],
    commands: [
      { name: "node", install: "-" },
      { name: "no-such-tool-eb", install: "build it" },
    ],
  });
  assert.deepEqual(m.commands, [{ name: "no-such-tool-eb", install: "build it" }]);
  assert.ok(onPath("node"));
  assert.equal(onPath("node", ""), null);
});

test("the printed apt-get command is exact, with sudo only when not root", () => {
  assert.equal(
    aptInstallCommand(["libcpp-httplib-dev", "nlohmann-json3-dev"], false),
    "sudo apt-get install -y --no-install-recommends libcpp-httplib-dev nlohmann-json3-dev",
  );
  assert.equal(aptInstallCommand(["cmake"], true), "apt-get install -y --no-install-recommends cmake");
});

test("missingPieces names what a failed build lacked (pkg-config, CMake, headers, commands)", () => {
  const cmake = [
    "-- Checking for module 'cpp-httplib'",
    "--   No package 'cpp-httplib' found",
    "CMake Error at /usr/share/cmake-3.25/Modules/FindPkgConfig.cmake:607 (message):",
    "  A required package was not found",
  ].join("\n");
  assert.deepEqual(missingPieces(cmake), ["No package 'cpp-httplib' found"]);
  const nlohmann =
    'CMake Error at CMakeLists.txt:21 (find_package):\n  Could not find a package configuration file provided by "nlohmann_json"\n  (requested version 3.10) with any of the following names:';
  assert.deepEqual(missingPieces(nlohmann), ['Could not find a package configuration file provided by "nlohmann_json"']);
  assert.deepEqual(missingPieces("src/main.cpp:3:10: fatal error: httplib.h: No such file or directory\nbuild.sh: line 9: cargo: command not found"), [
    "fatal error: httplib.h: No such file or directory",
    "cargo: command not found",
  ]);
  assert.deepEqual(missingPieces("error[E0308]: mismatched types"), []);
});

test("planRequirements: install as root with apt, else skip with the exact command; missing commands always skip", () => {
  const apt = { apt: ["cmake", "libutf8proc-dev"], commands: [] };
  assert.deepEqual(planRequirements("onnx-cpp", apt, { root: true, apt: true }), { install: ["cmake", "libutf8proc-dev"] });
  const asUser = planRequirements("onnx-cpp", apt, { root: false, apt: true });
  assert.ok("skip" in asUser);
  assert.equal(
    asUser.skip,
    "onnx-cpp needs the Debian packages cmake, libutf8proc-dev, which are not installed. Install them with: sudo apt-get install -y --no-install-recommends cmake libutf8proc-dev",
  );
  assert.ok("skip" in planRequirements("onnx-cpp", apt, { root: true, apt: false }), "no apt-get: skip");
  const tool = { apt: [], commands: [{ name: "cargo", install: "rustup" }] };
  assert.deepEqual(planRequirements("candle", tool, { root: true, apt: true }), { skip: "candle needs 'cargo' on PATH (rustup)" });
  assert.deepEqual(planRequirements("candle", { apt: [], commands: [] }, { root: false, apt: false }), { ok: true });
});

test("a command its variable names is found there, and only if it is an executable file", () => {
  const tei = { name: "text-embeddings-router", env: "TEI_BIN", install: "build TEI" };
  const env = (vars: Record<string, string>) => ({ PATH: "", ...vars });
  assert.equal(findCommand(tei, env({})), null);
  assert.equal(findCommand(tei, env({ TEI_BIN: process.execPath })), process.execPath);
  const plain = path.join(mkdtempSync(path.join(tmpdir(), "eb-cmd-")), "router");
  writeFileSync(plain, "#!/bin/sh\n", { mode: 0o644 });
  assert.equal(findCommand(tei, env({ TEI_BIN: plain })), null, "not executable");
  chmodSync(plain, 0o755);
  assert.equal(findCommand(tei, env({ TEI_BIN: plain })), plain);
  assert.equal(findCommand(tei, env({ TEI_BIN: "/usr/bin" })), null, "a folder");
  // Named but wrong: PATH is not searched, so the user's choice is never silently replaced.
  assert.equal(findCommand({ ...tei, name: "node" }, { PATH: process.env["PATH"]!, TEI_BIN: "/nonexistent/router" }), null);
  assert.equal(findCommand({ ...tei, name: "node" }, { PATH: process.env["PATH"]! }), onPath("node"));
  assert.deepEqual(planRequirements("tei", { apt: [], commands: [tei] }, { root: true, apt: true }, env({})), {
    skip: "tei needs 'text-embeddings-router' on PATH or in TEI_BIN (build TEI)",
  });
  assert.deepEqual(planRequirements("tei", { apt: [], commands: [tei] }, { root: true, apt: true }, env({ TEI_BIN: "/nope" })), {
    skip: "tei needs 'text-embeddings-router' at TEI_BIN=/nope, which is not an executable file (build TEI)",
  });
});
