// Progress goes to stderr so stdout stays clean for the summary table.
const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;

export const log = {
  step: (msg: string) => process.stderr.write(`[${stamp()}] ${msg}\n`),
  warn: (msg: string) => process.stderr.write(`[${stamp()}] WARNING: ${msg}\n`),
  error: (msg: string) => process.stderr.write(`[${stamp()}] ERROR: ${msg}\n`),
};
