import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FaultMark } from './facts.js';

/**
 * Charts as vega-lite specs, compiled with vega-lite and rendered to SVG by vega in Node (no
 * browser, no canvas): the specs are real chart specs a reader can reuse, and the SVG embeds in
 * an HTML page or sits beside a Markdown file with nothing to fetch. Every spec draws the run's
 * faults on its time axis, labelled with what happened: a fault that lasts (a kill for 3s, a
 * partition until the heal) as a shaded band, one that does not as a rule (red, a colour no
 * series uses), the start of the drain (grey, dashed) and steps of the workload such as consumers
 * joining (blue, dashed). The HTML report also carries the compiled specs and vega's runtime, so
 * in a browser the same charts answer the pointer (the `hover` selection) and can widen their
 * time axis (the `fullRange` parameter).
 */

export interface ChartSpec {
  /** A file-name-safe id: backlog, throughput, latency... */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

/** Wide enough for the page's full width; the HTML scales the SVG to its column. */
const WIDTH = 1000;
const HEIGHT = 220;
/**
 * Series colours: Tableau 10 without its red, pink and grey, which are kept for the faults and the
 * drain, so no series is ever the fault's colour. Fixed, so every report colours alike; a chart
 * given the full list of series (`domain`) colours each one the same as every other chart does.
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#17becf'];
/** The faults' colour: used by no series. */
export const FAULT_COLOUR = '#d62728';
const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eee' },
  // A fixed width for the y axis, so the charts stacked on the page share one time axis to the pixel.
  axisY: { minExtent: 56, maxExtent: 56 },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 400, columns: 3 },
  title: { fontSize: 13, anchor: 'start' as const },
};

export interface SeriesPoint {
  seconds: number;
  value: number;
  series: string;
}

/**
 * The faults on a time axis: a fault that lasts (`until`) as a shaded band with its label at the
 * top, staggered so neighbours do not overlap; a moment (a fault with no end, the drain, a
 * workload step) as a rule with its label along it. Red for faults, grey dashed for the start
 * of the drain, blue dashed for workload steps.
 */
function faultLayers(faults: FaultMark[]): NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> {
  if (faults.length === 0) return [];
  const short = (label: string) => (label.length > 60 ? `${label.slice(0, 57)}...` : label);
  const bands = faults.filter((f) => f.until !== undefined).map((f, i) => ({ seconds: f.seconds, until: f.until!, label: short(f.label), row: i % 3 }));
  const values = faults.filter((f) => f.until === undefined).map((f) => ({ seconds: f.seconds, label: short(f.label), drain: f.drain, workload: f.workload === true }));
  const x = { field: 'seconds', type: 'quantitative' as const };
  const color = { condition: [{ test: 'datum.drain', value: '#888' }, { test: 'datum.workload', value: '#1f5fa8' }], value: FAULT_COLOUR };
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [];
  if (bands.length > 0) {
    layers.push(
      { data: { values: bands }, mark: { type: 'rect', color: FAULT_COLOUR, opacity: 0.13, clip: true }, encoding: { x, x2: { field: 'until' } } },
      // One text layer per row of labels (a constant y each), so neighbouring bands' labels do not overlap.
      ...[0, 1, 2].filter((row) => bands.some((b) => b.row === row)).map((row) => ({
        data: { values: bands.filter((b) => b.row === row) },
        mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 3, fontSize: 10, fontWeight: 'bold' as const, color: '#a31515', clip: true },
        encoding: { x, y: { value: 3 + 13 * row }, text: { field: 'label' } },
      })),
    );
  }
  if (values.length > 0) {
    layers.push(
      { data: { values }, mark: { type: 'rule', strokeWidth: 1.5, clip: true }, encoding: { x, color, strokeDash: { condition: { test: 'datum.drain || datum.workload', value: [4, 3] }, value: [1, 0] } } },
      {
        data: { values },
        mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 9, clip: true },
        encoding: { x, y: { value: 0 }, text: { field: 'label' }, color },
      },
    );
  }
  return layers;
}

export interface TimeSeriesOptions {
  logY?: boolean;
  points?: boolean;
  /** Every series name, in colour order: charts given the same list colour a series alike. */
  domain?: string[];
  /** The time axis: `clip` seconds shown at first, `full` when the reader asks for the whole run. */
  x?: { clip: number; full: number };
  /** A hover readout: the pointer picks the nearest time; each series' value there is shown. */
  hover?: boolean;
}

/**
 * Lines over virtual time (one per series), with the faults on the time axis; `points` draws one
 * dot per sample instead (for values that exist only where something happened, such as the
 * latency of the messages delivered in a bucket, where a line would bridge the empty buckets).
 */
export function timeSeriesChart(id: string, title: string, yTitle: string, points: SeriesPoint[], faults: FaultMark[], seriesTitle: string, options: TimeSeriesOptions = {}): ChartSpec {
  const series = options.domain ?? [...new Set(points.map((p) => p.series))];
  const xScale = options.x ? { domain: [0, { expr: `fullRange ? ${options.x.full} : ${options.x.clip}` }], nice: false } : {};
  const x = { field: 'seconds', type: 'quantitative' as const, title: 'virtual time (s)', scale: xScale };
  const colour = { field: 'series', type: 'nominal' as const, title: seriesTitle, scale: { domain: series, range: PALETTE } };
  const hovered = { filter: { param: 'hover', empty: false } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    ...(options.x ? { params: [{ name: 'fullRange', value: false }] } : {}),
    layer: [
      {
        data: { values: points },
        mark: options.points
          ? { type: 'point', size: 18, filled: true, clip: true }
          : { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: yTitle, ...(options.logY ? { scale: { type: 'log' as const } } : {}) },
          color: colour,
        },
      },
      ...faultLayers(faults),
      ...(options.hover ? [
        // The pointer picks the nearest sample (vega-lite's nearest works on points, not lines): invisible points carry the selection.
        {
          data: { values: points },
          params: [{ name: 'hover', select: { type: 'point' as const, fields: ['seconds'], nearest: true, on: 'pointermove', clear: 'pointerout' } }],
          mark: { type: 'point' as const, opacity: 0, size: 60, clip: true },
          encoding: { x, y: { field: 'value', type: 'quantitative' as const } },
        },
        { data: { values: points }, transform: [hovered], mark: { type: 'rule' as const, color: '#333', strokeWidth: 1, clip: true }, encoding: { x } },
        { data: { values: points }, transform: [hovered], mark: { type: 'point' as const, filled: true, size: 50, clip: true }, encoding: { x, y: { field: 'value', type: 'quantitative' as const }, color: colour } },
        {
          data: { values: points }, transform: [hovered],
          mark: { type: 'text' as const, align: 'left' as const, dx: 6, dy: -6, fontSize: 11, fontWeight: 'bold' as const, clip: true },
          encoding: { x, y: { field: 'value', type: 'quantitative' as const }, color: colour, text: { field: 'value', type: 'quantitative' as const, format: ',.4~r' } },
        },
      ] : []),
    ],
  };
  return { id, title, spec };
}

export interface LatencyBar {
  series: string;
  percentile: string;
  /** Milliseconds. */
  ms: number;
}

/**
 * End-to-end latency percentiles (from the run's HDR histogram): one line of points per run on a
 * log scale, since p50 and p999 often differ by orders of magnitude (bars cannot start at 0 on a log scale).
 */
export function latencyChart(id: string, title: string, bars: LatencyBar[], domain?: string[]): ChartSpec {
  const series = domain ?? [...new Set(bars.map((b) => b.series))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: bars.map((b) => ({ ...b, ms: Math.max(b.ms, 0.001) })) },
    mark: { type: 'line', point: { size: 50, filled: true }, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: ['p50', 'p90', 'p99', 'p999', 'max'], title: 'percentile', axis: { labelAngle: 0 } },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
      color: { field: 'series', type: 'nominal', title: 'run', scale: { domain: series, range: PALETTE } },
      tooltip: [{ field: 'series' }, { field: 'percentile' }, { field: 'ms', format: '.3f' }],
    },
  };
  return { id, title, spec };
}

/** Compiles a vega-lite spec and renders it to a standalone SVG string, headless. */
export async function renderSvg(chart: ChartSpec): Promise<string> {
  const compiled = compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    // vega numbers clip paths from a counter shared by every view in the process; renumber them
    // per chart so the same chart always renders the same SVG, and two charts in a page never clash.
    const ids = new Map<string, string>();
    return (await view.toSVG()).replace(/\bclip\d+\b/g, (id) => {
      if (!ids.has(id)) ids.set(id, `${chart.id}-clip${ids.size + 1}`);
      return ids.get(id)!;
    });
  } finally {
    view.finalize();
  }
}

export interface RenderedChart extends ChartSpec {
  svg: string;
  /** The compiled vega spec, which the HTML can hand to vega's runtime for a live view. */
  vega: unknown;
}

export async function renderAll(charts: ChartSpec[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  // One at a time: vega views are cheap, and sequential rendering keeps the output order fixed.
  for (const chart of charts) out.push({ ...chart, svg: await renderSvg(chart), vega: compile(chart.spec).spec });
  return out;
}
