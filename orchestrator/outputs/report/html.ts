// The report as one HTML file: styles, the page's script (Chart.js bundled) and the chart data all
// inline, so it opens from disk with no network. A Content-Security-Policy forbids every fetch, so a
// stray external reference fails loudly in the browser instead of leaking a request.
import type { ChartSpec, ReportCharts } from "./model.ts";
import type { Cell, Report, Table } from "./data.ts";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value made safe to place in HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON that can sit inside a <script> element: no `<` can close it or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** A bundle inside <script>: `</script` in a string literal would end the element early. */
export function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script");
}

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; }
body { margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 1.4rem; margin: 8px 0 4px; }
h2 { font-size: 1.1rem; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #59636e; font-size: 0.85rem; }
.synthetic { background: #fff1c2; border: 1px solid #d4a72c; padding: 6px 10px; }
.problems { background: #ffebe9; border: 1px solid #cf222e; padding: 6px 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; }
figure.chart figcaption { font-weight: 600; font-size: 0.95rem; }
.canvas-box { position: relative; height: 340px; }
.caption { color: #59636e; font-size: 0.8rem; margin: 4px 0 0; }
table { border-collapse: collapse; font-size: 0.82rem; margin: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.ok { color: #1a7f37; }
td.bad { color: #cf222e; font-weight: 600; }
td.warn { color: #9a6700; font-weight: 600; }
table.heatmap td.shaded { text-align: right; font-variant-numeric: tabular-nums; }
section.verdict { border: 2px solid #1f6feb; border-radius: 6px; padding: 0 12px 8px; margin-top: 12px; }
section.verdict h2 { border-bottom: none; }
.notes { color: #59636e; font-size: 0.8rem; margin: 2px 0; }
`;

/** A heatmap cell's background: white (0, the table's lowest) to a saturated blue (1, its highest); text stays readable. */
export function shadeColour(shade: number): string {
  const t = Math.min(1, Math.max(0, shade));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(247, 66)}, ${mix(251, 146)}, ${mix(255, 198)})`;
}

function cell(c: Cell, tag: "td" | "th"): string {
  const classes = [c.tone, c.shade !== undefined ? "shaded" : undefined].filter(Boolean).join(" ");
  const shade = c.shade !== undefined ? ` style="background: ${shadeColour(c.shade)}" data-shade="${c.shade}"` : "";
  return `<${tag}${classes ? ` class="${classes}"` : ""}${shade}>${escapeHtml(c.text)}</${tag}>`;
}

function table(t: Table): string {
  return [
    `<section id="table-${escapeHtml(t.id)}"${t.kind ? ` class="${t.kind}"` : ""}>`,
    `<h2>${escapeHtml(t.title)}</h2>`,
    `<table data-table="${escapeHtml(t.id)}"${t.kind ? ` class="${t.kind}"` : ""}>`,
    `<thead><tr>${t.header.map((h) => cell({ text: h }, "th")).join("")}</tr></thead>`,
    `<tbody>${t.rows.map((row) => `<tr>${row.map((c) => cell(c, "td")).join("")}</tr>`).join("\n")}</tbody>`,
    "</table>",
    ...t.notes.map((n) => `<p class="notes">${escapeHtml(n)}</p>`),
    "</section>",
  ].join("\n");
}

/** A figure per chart; the page fills its canvas and sets data-rendered-series once drawn. */
function figure(c: ChartSpec): string {
  return [
    `<figure class="chart" id="chart-${escapeHtml(c.id)}" data-chart-id="${escapeHtml(c.id)}" data-series="${c.series.length}">`,
    `<figcaption>${escapeHtml(c.title)}</figcaption>`,
    `<div class="canvas-box"><canvas role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`,
    `<p class="caption">${escapeHtml(c.caption)}</p>`,
    "</figure>",
  ].join("\n");
}

/** The whole page; `pageScript` is the bundled browser code (build/report-page.js). */
export function renderReportHtml(report: Report, pageScript: string): string {
  const data: ReportCharts = { charts: report.charts };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">Written ${escapeHtml(report.generatedAt)} by <code>npm run report</code>. Hover a point for its figures and flags.</p>
${report.synthetic ? '<p class="synthetic">SYNTHETIC weights in these runs: the figures are for performance only, never for quality.</p>' : ""}
${report.problems.length ? `<div class="problems"><strong>Result files that could not be read:</strong><ul>${report.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul></div>` : ""}
${report.tables
  .filter((t) => t.kind === "verdict")
  .map(table)
  .join("\n")}
${report.tables
  .filter((t) => t.id === "runs")
  .map(table)
  .join("\n")}
${report.tables
  .filter((t) => t.kind === "heatmap")
  .map(table)
  .join("\n")}
<h2>Charts</h2>
<p class="notes">A hollow triangle marks a level with a validity flag (hover for which; every flag is in the levels table below). A shaded band is a 95 % confidence interval over trials. In a sweep, a line per framework, batch size and text length, told apart by its dash.</p>
<div class="charts">
${report.charts.map(figure).join("\n")}
</div>
${report.tables
  .filter((t) => t.id !== "runs" && t.kind === undefined)
  .map(table)
  .join("\n")}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${inlineScript(pageScript)}</script>
</body>
</html>
`;
}
