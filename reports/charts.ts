import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FaultMark } from './facts.js';

/**
 * Charts as vega-lite specs, compiled with vega-lite and rendered to SVG by vega in Node (no
 * browser, no canvas): the specs are real chart specs a reader can reuse, and the SVG embeds in
 * an HTML page or sits beside a Markdown file with nothing to fetch. Every spec draws the run's
 * faults as rules on its time axis, labelled with what happened (red), the start of the drain
 * (grey, dashed) and steps of the workload such as consumers joining (blue, dashed).
 */

export interface ChartSpec {
  /** A file-name-safe id: backlog, throughput, latency... */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 720;
const HEIGHT = 240;
/** Colour-blind-safe categorical palette (Tableau 10), fixed so every report colours alike. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 400, columns: 3 },
  title: { fontSize: 13, anchor: 'start' as const },
};

export interface SeriesPoint {
  seconds: number;
  value: number;
  series: string;
}

/** Rules and labels for the faults: red for a fault, grey dashed for the start of the drain. */
function faultLayers(faults: FaultMark[]): NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> {
  if (faults.length === 0) return [];
  const values = faults.map((f) => ({ seconds: f.seconds, label: f.label.length > 60 ? `${f.label.slice(0, 57)}...` : f.label, drain: f.drain, workload: f.workload === true }));
  const x = { field: 'seconds', type: 'quantitative' as const };
  const color = { condition: [{ test: 'datum.drain', value: '#888' }, { test: 'datum.workload', value: '#1f5fa8' }], value: '#d62728' };
  return [
    { data: { values }, mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, color, strokeDash: { condition: { test: 'datum.drain || datum.workload', value: [4, 3] }, value: [1, 0] } } },
    {
      data: { values },
      mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 9 },
      encoding: { x, y: { value: 0 }, text: { field: 'label' }, color },
    },
  ];
}

/**
 * Lines over virtual time (one per series), with the faults on the time axis; `points` draws one
 * dot per sample instead (for values that exist only where something happened, such as the
 * latency of the messages delivered in a bucket, where a line would bridge the empty buckets).
 */
export function timeSeriesChart(id: string, title: string, yTitle: string, points: SeriesPoint[], faults: FaultMark[], seriesTitle: string, options: { logY?: boolean; points?: boolean } = {}): ChartSpec {
  const series = [...new Set(points.map((p) => p.series))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      {
        data: { values: points },
        mark: options.points
          ? { type: 'point', size: 18, filled: true }
          : { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'virtual time (s)' },
          y: { field: 'value', type: 'quantitative', title: yTitle, ...(options.logY ? { scale: { type: 'log' as const } } : {}) },
          color: { field: 'series', type: 'nominal', title: seriesTitle, scale: { domain: series, range: PALETTE } },
        },
      },
      ...faultLayers(faults),
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
export function latencyChart(id: string, title: string, bars: LatencyBar[]): ChartSpec {
  const series = [...new Set(bars.map((b) => b.series))];
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
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedChart extends ChartSpec {
  svg: string;
}

export async function renderAll(charts: ChartSpec[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  // One at a time: vega views are cheap, and sequential rendering keeps the output order fixed.
  for (const chart of charts) out.push({ ...chart, svg: await renderSvg(chart) });
  return out;
}
