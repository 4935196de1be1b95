// The Debian packages the suite needs: every framework manifest's `requires.apt`, plus the lists
// named on the command line (e.g. tests/apt-packages.txt, what only the tests need). Installs the
// missing ones with the suite's own installer, or with --print only lists them. Used by .ci/run.
import { readFileSync } from "node:fs";
import { loadSuiteConfig } from "../orchestrator/plan/config.ts";
import { runMain, UserError } from "../orchestrator/platform/errors.ts";
import { aptInstall, aptInstallCommand, missingDebianPackages, onPath } from "../orchestrator/launch/system.ts";
import { log } from "../orchestrator/platform/log.ts";
import { ROOT } from "../orchestrator/platform/paths.ts";

function listFile(file: string): string[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean);
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}`);
  }
}

runMain(async (argv, { signal }) => {
  const print = argv.includes("--print");
  const lists = argv.filter((a) => a !== "--print");
  const wanted = [...new Set([...loadSuiteConfig(ROOT).servers.flatMap((s) => s.manifest.requires.apt), ...lists.flatMap(listFile)])].sort();
  const missing = missingDebianPackages(wanted);
  if (print) {
    console.log(missing.join("\n"));
    return 0;
  }
  if (missing.length === 0) {
    log.step(`Debian packages: all ${wanted.length} present`);
    return 0;
  }
  if (process.getuid?.() !== 0 || !onPath("apt-get")) {
    throw new UserError(`missing Debian packages: ${missing.join(" ")}\nInstall them with: ${aptInstallCommand(missing, false)}`);
  }
  await aptInstall(missing, signal);
  return 0;
});
