// A framework's system requirements (its manifest's `requires`): Debian packages and commands that
// must be on PATH before it can be built or started. Missing packages are installed when the suite
// runs as root with apt-get; otherwise the exact command is printed and the framework is skipped.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import path from "node:path";
import type { DiscoveredServer } from "../plan/config.ts";
import type { SystemRequirements } from "../plan/config-schema.ts";
import { log } from "../platform/log.ts";
import { runCommand } from "../platform/proc.ts";

/** The framework cannot run on this machine as it is; the run goes on without it. */
export class FrameworkSkipped extends Error {
  override name = "FrameworkSkipped";
}

type RequiredCommand = SystemRequirements["commands"][number];

export interface MissingRequirements {
  apt: string[];
  commands: RequiredCommand[];
}

/** Debian packages not installed, per `dpkg-query` (none can be checked without dpkg: all count as missing). */
export function missingDebianPackages(packages: readonly string[]): string[] {
  if (packages.length === 0) return [];
  let out = "";
  try {
    out = execFileSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status}\n", ...packages], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown, and still prints the known ones.
    out = String((err as { stdout?: string }).stdout ?? "");
  }
  const installed = new Set(
    out
      .split("\n")
      .map((l) => l.split(" "))
      .filter(([, status]) => status === "installed")
      .map(([name]) => name!.split(":")[0]!),
  );
  return packages.filter((p) => !installed.has(p));
}

export function onPath(name: string, searchPath = process.env["PATH"] ?? ""): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** Where the command is: the executable its variable names, else the one on PATH; null if neither. */
export function findCommand(c: RequiredCommand, env: NodeJS.ProcessEnv = process.env): string | null {
  const named = c.env !== undefined ? env[c.env] : undefined;
  if (named) return isExecutable(named) ? named : null;
  return onPath(c.name, env["PATH"] ?? "");
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function missingRequirements(req: SystemRequirements, env: NodeJS.ProcessEnv = process.env): MissingRequirements {
  return { apt: missingDebianPackages(req.apt), commands: req.commands.filter((c) => findCommand(c, env) === null) };
}

function describeMissing(c: RequiredCommand, env: NodeJS.ProcessEnv): string {
  const named = c.env !== undefined ? env[c.env] : undefined;
  if (named) return `'${c.name}' at ${c.env}=${named}, which is not an executable file (${c.install})`;
  return `'${c.name}' on PATH${c.env !== undefined ? ` or in ${c.env}` : ""} (${c.install})`;
}

export function aptInstallCommand(packages: readonly string[], asRoot: boolean): string {
  return `${asRoot ? "" : "sudo "}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

/** Installs `packages` with apt-get, streaming its progress; the package lists are refreshed once per process. */
let aptUpdated = false;
export async function aptInstall(packages: readonly string[], signal?: AbortSignal): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Another apt (unattended upgrades, a parallel run) may hold the lock: wait for it rather than fail.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  if (!aptUpdated) {
    log.step("apt-get update");
    await runCommand("apt-get", [...lock, "update", "-q"], { env, stream: "  [apt] ", signal });
    aptUpdated = true;
  }
  log.step(`apt-get install ${packages.join(" ")}`);
  await runCommand("apt-get", [...lock, "install", "-y", "-q", "--no-install-recommends", ...packages], { env, stream: "  [apt] ", signal });
}

export type RequirementsPlan = { install: string[] } | { skip: string } | { ok: true };

/** What to do about missing requirements, given whether this process may run apt-get. */
export function planRequirements(
  name: string,
  missing: MissingRequirements,
  can: { root: boolean; apt: boolean },
  env: NodeJS.ProcessEnv = process.env,
): RequirementsPlan {
  if (missing.apt.length > 0) {
    if (can.root && can.apt) return { install: missing.apt };
    return {
      skip:
        `${name} needs the Debian packages ${missing.apt.join(", ")}, which are not installed. ` +
        `Install them with: ${aptInstallCommand(missing.apt, can.root)}`,
    };
  }
  if (missing.commands.length > 0) return { skip: `${name} needs ${missing.commands.map((c) => describeMissing(c, env)).join("; ")}` };
  return { ok: true };
}

/**
 * Makes sure the framework's system requirements are met: installs missing Debian packages when it
 * can (root and apt-get), else throws FrameworkSkipped with the exact command to run.
 */
export async function ensureSystemRequirements(server: DiscoveredServer, signal?: AbortSignal): Promise<void> {
  const name = server.manifest.name;
  const can = { root: process.getuid?.() === 0, apt: onPath("apt-get") !== null };
  let plan = planRequirements(name, missingRequirements(server.manifest.requires), can);
  if ("install" in plan) {
    log.step(`${name}: installing missing Debian packages (${plan.install.join(", ")})`);
    await aptInstall(plan.install, signal);
    plan = planRequirements(name, missingRequirements(server.manifest.requires), { root: false, apt: false });
  }
  if ("skip" in plan) throw new FrameworkSkipped(plan.skip);
}
