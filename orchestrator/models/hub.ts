// Turning a failed Hugging Face hub download (orchestrator/models/pipeline/fetch_hub.py) into advice.
import type { ModelConfig } from "../plan/config-schema.ts";

/** fetch_hub.py's exit codes. */
export const HUB_EXIT = { offline: 3, unauthorised: 4, notFound: 5 } as const;

export function parseHubOutput(output: string): { path?: string; reason?: string } {
  const lines = output.split("\n").map((l) => l.trim());
  const path = lines.find((l) => l.startsWith("path="))?.slice(5);
  const reason = lines.find((l) => l.startsWith("reason="))?.slice(7);
  return { ...(path ? { path } : {}), ...(reason ? { reason } : {}) };
}

/** What went wrong and every way out, for a model that could not be had from the hub. */
export function hubFailureAdvice(key: string, spec: ModelConfig, exitCode: number, reason: string): string {
  const id = spec.huggingface_id;
  const what =
    exitCode === HUB_EXIT.offline
      ? `the Hugging Face hub cannot be reached from this machine (offline or blocked) and ${id} is not in the local hub cache`
      : exitCode === HUB_EXIT.unauthorised
        ? spec.gated
          ? `${id} is gated: the hub refused the download (${process.env["HF_TOKEN"] ? "HF_TOKEN was sent but is not authorised for it" : "no HF_TOKEN set"})`
          : `the hub refused ${id} (unauthorised, private or misspelt)`
        : exitCode === HUB_EXIT.notFound
          ? `${id} does not exist on the hub (config/models.yaml: models.${key}.huggingface_id)`
          : `downloading ${id} from the hub failed`;
  const ways = [
    ...(spec.gated ? [`accept the licence at https://huggingface.co/${id} and set HF_TOKEN to a token of that account (read access)`] : []),
    `on a machine with internet: huggingface-cli download ${id} --local-dir <dir>, copy <dir> here, then: npm run models -- prepare ${key} --from <dir>`,
    `or name that folder once in config/models.yaml: models.${key}.sources.local`,
    ...(spec.synthetic
      ? [
          `for performance only (never quality): npm run models -- prepare ${key} --synthetic (same architecture, seeded random weights; labelled SYNTHETIC everywhere)`,
        ]
      : []),
  ];
  return [`model '${key}' is not available: ${what}.`, `  hub said: ${reason}`, "What to do:", ...ways.map((w) => `  - ${w}`)].join("\n");
}
