// The report page's script: draws each chart of the inlined data with Chart.js. Every figure was
// computed in Node (../data.ts); this only maps series onto Chart.js datasets. Bundled with Chart.js
// into one IIFE by build/build.mjs and inlined into the HTML.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
  type PointStyle,
  type TooltipItem,
} from "chart.js";
import type { ChartSpec, ReportCharts, Series } from "../model.ts";

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip);

type Dataset = ChartDataset<"line" | "bar", (number | null)[]>;

const number = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
const show = (v: number | null | undefined) => (v === null || v === undefined ? "-" : number.format(v));

/** `#rrggbb` with an alpha, for the confidence bands. */
function translucent(hex: string, alpha: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A band is two datasets, the lower bound and the upper one filled down to it; neither is a series. */
function bandDatasets(s: Series): Dataset[] {
  if (!s.band) return [];
  const edge = { borderColor: "transparent", pointRadius: 0, pointHitRadius: 0, spanGaps: true };
  return [
    { ...edge, label: `${s.label} (95 % CI low)`, data: s.band.lo, fill: false },
    { ...edge, label: `${s.label} (95 % CI high)`, data: s.band.hi, fill: "-1", backgroundColor: translucent(s.style.color, 0.14) },
  ];
}

/** A flagged level is drawn as a larger hollow triangle, so it stands out of the line. */
function seriesDataset(s: Series, kind: "line" | "bar"): Dataset {
  if (kind === "bar") return { label: s.label, data: s.values, backgroundColor: s.style.color, borderColor: s.style.color };
  const flagged = s.flags.map((f) => f.length > 0);
  return {
    label: s.label,
    data: s.values,
    borderColor: s.style.color,
    backgroundColor: s.style.color,
    borderDash: s.style.dash,
    borderWidth: 2,
    spanGaps: true,
    pointStyle: flagged.map((f): PointStyle => (f ? "triangle" : "circle")),
    pointRadius: flagged.map((f) => (f ? 7 : 3)),
    pointBackgroundColor: flagged.map((f) => (f ? "#ffffff" : s.style.color)),
    pointBorderWidth: flagged.map((f) => (f ? 2 : 1)),
  };
}

/**
 * A scatter chart (the Pareto charts): each series' operating points at (x, y), flagged points as
 * hollow triangles; a series with `line` (the frontier) is a dashed line through its points.
 */
function renderScatter(spec: ChartSpec, figure: HTMLElement, canvas: HTMLCanvasElement): void {
  const datasets = spec.series.map((s) => {
    const points = s.points ?? [];
    const flagged = points.map((p) => p.flags.length > 0);
    return {
      label: s.label,
      data: points.map((p) => ({ x: p.x, y: p.y })),
      borderColor: s.style.color,
      backgroundColor: flagged.map((f) => (f ? "#ffffff" : s.style.color)),
      showLine: s.line === true,
      borderDash: s.style.dash,
      borderWidth: s.line ? 1.5 : 1,
      pointStyle: flagged.map((f): PointStyle => (f ? "triangle" : "circle")),
      pointRadius: s.line ? 0 : flagged.map((f) => (f ? 7 : 4)),
      pointHitRadius: s.line ? 0 : 6,
    };
  });
  const label = (item: TooltipItem<"scatter">) => {
    const p = spec.series[item.datasetIndex]?.points?.[item.dataIndex];
    return p ? `${p.label}: ${show(p.y)} ${spec.yTitle}, p95 ${show(p.x)} ms` : "";
  };
  const details = (item: TooltipItem<"scatter">) => {
    const flags = spec.series[item.datasetIndex]?.points?.[item.dataIndex]?.flags ?? [];
    return flags.length ? [`flags: ${flags.join(", ")}`] : [];
  };
  new Chart(canvas, {
    type: "scatter",
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: spec.xTitle } },
        y: { min: 0, title: { display: true, text: spec.yTitle } },
      },
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: { filter: (item) => spec.series[item.datasetIndex]?.line !== true, callbacks: { label, afterLabel: details } },
      },
    },
  });
  figure.dataset["renderedSeries"] = String(datasets.length);
  figure.dataset["renderedPoints"] = String(datasets.reduce((n, d) => n + d.data.length, 0));
  figure.dataset["flaggedPoints"] = String(spec.series.reduce((n, s) => n + (s.points ?? []).filter((p) => p.flags.length > 0).length, 0));
}

function render(spec: ChartSpec, figure: HTMLElement): void {
  const canvas = figure.querySelector("canvas");
  if (!canvas) throw new Error(`chart ${spec.id}: no canvas`);
  if (spec.kind === "scatter") {
    renderScatter(spec, figure, canvas);
    return;
  }
  const kind = spec.kind as "line" | "bar";
  // Which series each dataset draws; undefined for a band's edges.
  const origin: (Series | undefined)[] = [];
  const datasets: Dataset[] = [];
  for (const s of spec.series) {
    for (const band of bandDatasets(s)) {
      origin.push(undefined);
      datasets.push(band);
    }
    origin.push(s);
    datasets.push(seriesDataset(s, kind));
  }
  const isSeries = (index: number) => origin[index] !== undefined;
  const label = (item: TooltipItem<"line" | "bar">) => {
    const s = origin[item.datasetIndex]!;
    const lo = s.band?.lo[item.dataIndex];
    const hi = s.band?.hi[item.dataIndex];
    const ci = lo !== undefined && lo !== null && hi !== undefined && hi !== null ? ` ± ${show((hi - lo) / 2)}` : "";
    return `${s.label}: ${show(s.values[item.dataIndex])}${ci}`;
  };
  const details = (item: TooltipItem<"line" | "bar">) => {
    const s = origin[item.datasetIndex]!;
    const flags = s.flags[item.dataIndex] ?? [];
    return [...(flags.length ? [`flags: ${flags.join(", ")}`] : []), ...(s.notes[item.dataIndex] ?? [])];
  };
  new Chart<"line" | "bar", (number | null)[]>(canvas, {
    type: kind,
    data: { labels: spec.labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", intersect: false },
      scales: {
        // A lone label sits in the middle rather than on the y axis.
        x: { stacked: spec.stacked === true, offset: kind === "bar" || spec.labels.length === 1, title: { display: spec.xTitle !== "", text: spec.xTitle } },
        y: { stacked: spec.stacked === true, min: 0, title: { display: true, text: spec.yTitle } },
      },
      plugins: {
        legend: {
          labels: {
            filter: (item) => item.datasetIndex !== undefined && isSeries(item.datasetIndex),
            // A box of no height is a line sample, drawn with the series' dash; bars keep the filled box.
            ...(kind === "line" ? { boxWidth: 32, boxHeight: 0 } : {}),
          },
        },
        tooltip: { filter: (item) => isSeries(item.datasetIndex), callbacks: { label, afterLabel: details } },
      },
    },
  });
  figure.dataset["renderedSeries"] = String(origin.filter((o) => o !== undefined).length);
  figure.dataset["flaggedPoints"] = String(spec.series.reduce((n, s) => n + s.flags.filter((f) => f.length > 0).length, 0));
}

const data = JSON.parse(document.getElementById("report-data")?.textContent ?? "{}") as ReportCharts;
for (const spec of data.charts) {
  const figure = document.getElementById(`chart-${spec.id}`);
  if (!figure) throw new Error(`chart ${spec.id}: no figure in the page`);
  render(spec, figure);
}
