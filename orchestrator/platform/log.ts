// Progress goes to stderr so stdout stays clean for the summary table.
//
// In a terminal, stderr may also carry one status line that is redrawn in place (the run's
// progress, orchestrator/outputs/progress.ts). stderr is one terminal, so every line written to it goes
// through here: the status line is cleared, the line written, the status line drawn again.
const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
const CLEAR_LINE = "\r\x1b[K";

let statusLine = "";

function write(text: string): void {
  process.stderr.write(statusLine ? `${CLEAR_LINE}${text}${statusLine}` : text);
}

/** The status line cut to the terminal's width: a wrapped line could not be cleared with \r. */
const fitted = (text: string) => text.slice(0, Math.max(20, (process.stderr.columns || 120) - 1));

export const log = {
  step: (msg: string) => write(`[${stamp()}] ${msg}\n`),
  warn: (msg: string) => write(`[${stamp()}] WARNING: ${msg}\n`),
  error: (msg: string) => write(`[${stamp()}] ERROR: ${msg}\n`),
  /** A line as it is (a child's output), without the time stamp. */
  plain: (line: string) => write(`${line}\n`),
  /** Replaces the status line (a terminal only); "" removes it. */
  status: (text: string) => {
    statusLine = text ? fitted(text) : "";
    process.stderr.write(`${CLEAR_LINE}${statusLine}`);
  },
};
