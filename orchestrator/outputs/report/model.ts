// What the report's page receives: chart specifications ready to draw, so that the browser code only
// maps them onto Chart.js. Types only: shared by the Node side (data.ts) and the page (browser/page.ts).

export interface SeriesStyle {
  /** CSS colour of the line, its points and its band */
  color: string;
  /** canvas line dash, e.g. [6, 4]; empty for a solid line */
  dash: number[];
}

/** One operating point on a scatter chart (the Pareto charts): x and y in the chart's units. */
export interface ScatterPoint {
  x: number;
  y: number;
  /** what the point is, for its tooltip: framework and operating point */
  label: string;
  /** validity flags; a flagged point is marked */
  flags: string[];
}

export interface Series {
  label: string;
  framework: string;
  run: string;
  style: SeriesStyle;
  /** one value per label of the chart; null where this series has no point */
  values: (number | null)[];
  /** 95 % confidence interval per point, when the level was measured with trials */
  band?: { lo: (number | null)[]; hi: (number | null)[] };
  /** validity flags per point ("client-bound", "too few samples", …); a flagged point is marked on the chart */
  flags: string[][];
  /** extra tooltip lines per point (e.g. peak memory) */
  notes: string[][];
  /** scatter charts: the points (values, flags and notes stay empty) */
  points?: ScatterPoint[];
  /** scatter charts: join the points with a line (the Pareto frontier) */
  line?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: "line" | "bar" | "scatter";
  xTitle: string;
  yTitle: string;
  labels: string[];
  series: Series[];
  /** one sentence under the chart: what the figure is */
  caption: string;
  /** bar charts: the series are parts of one whole, stacked on each label */
  stacked?: boolean;
}

export interface ReportCharts {
  charts: ChartSpec[];
}
