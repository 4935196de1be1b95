import { randomBytes } from "node:crypto";

/** `<prefix>YYYYMMDD-HHMMSS-<4 hex>`: sortable by start time, unique across parallel runs. */
export function newRunId(prefix = ""): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${prefix}${t}-${randomBytes(2).toString("hex")}`;
}
