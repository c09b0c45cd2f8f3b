import type { RunResult } from '../sim/result.js';
import { formatDuration, formatTimestamp, type Micros } from '../sim/time.js';
import { latencyChart, renderAll, timeSeriesChart, type ChartSpec } from './charts.js';
import type { Block, ReportDocument } from './document.js';
import { faultMarks, type FaultMark, FIELD_LABELS, inFlightSeries, latencyOverTime, systemLagSeries, formatField, OPTIONAL_FIELDS, SUMMARY_FIELDS, summaryRow, throughput } from './facts.js';
import { anomalyBlocks, clusterBlock, expectationBlock, faultTable, whatHappened } from './sections.js';
import { formatMicros } from './text.js';

/**
 * The single-run report (`mqsim run FILE --report run.html --md run.md`): summary, charts of
 * throughput, backlog and latency with the faults on the time axis, the fault schedule, the
 * anomalies explained, the cluster. The result should come from a run with keepHistory, which
 * the throughput chart needs; keeping the history does not change the run (same trace hash).
 */
export function runCharts(result: RunResult, steps: WorkloadStep[] = []): ChartSpec[] {
  const marks = [...faultMarks(result), ...workloadStepMarks(steps)];
  const charts: ChartSpec[] = [];
  const rate = throughput(result);
  if (rate) {
    charts.push(timeSeriesChart('throughput', 'Throughput per second of virtual time', 'messages / s',
      rate.map((p) => ({ seconds: p.second, value: p.count, series: p.kind })), marks, 'operation'));
  }
  charts.push(timeSeriesChart('backlog', 'Backlog over virtual time', 'messages not yet received',
    result.backlog.series.map((p) => ({ seconds: p.time / 1_000_000, value: p.backlog, series: 'backlog' })), marks, 'series'));
  const lag = systemLagSeries(result);
  if (lag) charts.push(timeSeriesChart('lag', 'Consumer lag / queue depth as the system reports it', 'messages', lag.map((p) => ({ ...p, series: 'system lag' })), marks, 'series'));
  const inflight = inFlightSeries(result);
  if (inflight) charts.push(timeSeriesChart('inflight', 'Sends in flight over virtual time', 'sends awaiting an answer', inflight.map((p) => ({ ...p, series: 'in flight' })), marks, 'series'));
  const overTime = latencyOverTime(result);
  if (overTime && overTime.length > 0) {
    const points = overTime.flatMap((b) => (['p50', 'p99', 'max'] as const).map((p) => ({ seconds: b.seconds, value: Math.max(b[p], 1) / 1000, series: p })));
    charts.push(timeSeriesChart('latency-time', 'End-to-end latency over virtual time (by time of first delivery)', 'latency (ms, log scale)', points, marks, 'percentile', { logY: true, points: true }));
  }
  if (result.latency.count > 0) {
    const l = result.latency;
    charts.push(latencyChart('latency', 'End-to-end latency percentiles (send to first delivery)',
      (['p50', 'p90', 'p99', 'p999', 'max'] as const).map((p) => ({ series: result.scenario, percentile: p, ms: l[p] / 1000 }))));
  }
  return charts;
}

/** A change of the workload at a time, drawn on the charts' time axis (consumers joining a group). */
export interface WorkloadStep {
  at: Micros;
  label: string;
}

/** The workload steps of a scenario's consumers: each consumer entry starting after 0 (`start:`). */
export function consumerJoins(consumers: readonly { group?: string; count?: number; start?: Micros }[] | undefined): WorkloadStep[] {
  return (consumers ?? []).filter((c) => (c.start ?? 0) > 0).map((c) => {
    const count = c.count ?? 1;
    return { at: c.start!, label: `+${count} consumer${count === 1 ? '' : 's'}${c.group ? ` (${c.group})` : ''}` };
  });
}

function workloadStepMarks(steps: WorkloadStep[]): FaultMark[] {
  return steps.map((s) => ({ seconds: s.at / 1_000_000, label: `${formatTimestamp(s.at)} ${s.label}`, drain: false, workload: true }));
}

export async function buildRunReport(result: RunResult, steps: WorkloadStep[] = []): Promise<ReportDocument> {
  const charts = await renderAll(runCharts(result, steps));
  const row = summaryRow(result);
  const fields = SUMMARY_FIELDS.filter((f) => !OPTIONAL_FIELDS.has(f) || row[f] !== null);
  const blocks: Block[] = [];
  if (result.description) blocks.push({ kind: 'paragraph', text: result.description.trim().replace(/\s*\n\s*/g, ' ') });
  blocks.push({ kind: 'heading', level: 2, text: 'Summary', id: 'summary' });
  blocks.push({
    kind: 'table', id: 'summary-table',
    headers: fields.map((f) => FIELD_LABELS[f]),
    rows: [fields.map((f) => formatField(f, row[f]))],
    caption: 'Latency from an HDR histogram of send-to-first-delivery times; drain time: from the end of the safety phase until the sampled backlog reached 0 and stayed there.',
  });
  blocks.push({ kind: 'paragraph', text: whatHappened(result) });
  const expectations = expectationBlock(result);
  if (expectations) blocks.push({ kind: 'heading', level: 2, text: `Expectations: ${result.passed ? 'all hold' : 'one or more FAIL'}` }, expectations);
  blocks.push({ kind: 'heading', level: 2, text: 'Charts' });
  if (!charts.some((c) => c.id === 'throughput')) blocks.push({ kind: 'paragraph', muted: true, text: 'No throughput chart: the run kept no client history.' });
  for (const chart of charts) blocks.push({ kind: 'chart', chart, caption: chartCaption(chart.id) + (steps.length > 0 && chart.id !== 'latency' ? ' Blue dashed: consumers joining.' : '') });
  blocks.push({ kind: 'heading', level: 2, text: 'Fault schedule' }, faultTable(result));
  blocks.push({ kind: 'heading', level: 2, text: 'Anomalies' }, ...anomalyBlocks(result));
  blocks.push({ kind: 'heading', level: 2, text: 'Counts' });
  const counts = Object.entries(result.counts as Record<string, number>);
  blocks.push({ kind: 'table', headers: ['count', 'value'], rows: counts.map(([k, v]) => [k, String(v)]) });
  const l = result.latency;
  blocks.push({ kind: 'heading', level: 2, text: 'Latency' });
  blocks.push(l.count === 0
    ? { kind: 'paragraph', text: 'No deliveries, so no latency.' }
    : { kind: 'table', headers: ['deliveries', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'], rows: [[String(l.count), formatMicros(l.mean), formatMicros(l.p50), formatMicros(l.p90), formatMicros(l.p99), formatMicros(l.p999), formatMicros(l.max)]] });
  blocks.push({ kind: 'heading', level: 2, text: 'Cluster' }, clusterBlock(result));
  blocks.push({ kind: 'paragraph', muted: true, text: `trace ${result.traceHash}, ${result.events} events, ${formatTimestamp(result.virtualTime)} of virtual time (${formatDuration(result.duration)} + ${formatDuration(result.drain)} drain). Replay: mqsim run <file> --seed ${result.seed}.` });
  return { title: result.scenario, subtitle: `${result.system}, seed ${result.seed}`, blocks };
}

function chartCaption(id: string): string {
  if (id === 'throughput') return 'Sends invoked, sends acknowledged and deliveries (redeliveries included) per one-second bucket, from the client history. Red rules: faults; grey dashed: the drain begins.';
  if (id === 'backlog') return 'Messages written (or maybe written) and not yet received by any consumer, sampled every second.';
  if (id === 'lag') return 'The system\'s own gauges summed over its queues: Kafka consumer lag (high watermark minus committed offset), RabbitMQ queue depth (ready + unacknowledged).';
  if (id === 'latency-time') return 'Send-to-first-delivery latency of the messages first delivered in each time bucket (an HDR histogram per bucket), from the client history; log scale.';
  if (id === 'inflight') return 'Sends invoked whose answer (ack, failure or timeout) has not arrived yet, and not yet received by a consumer, sampled every second.';
  return 'Percentiles from the HDR histogram of the whole run.';
}
