import { stringify } from 'yaml';
import { formatDuration, formatTimestamp, parseDuration } from '../sim/time.js';
import { latencyChart, renderAll, timeSeriesChart, type ChartSpec, type SeriesPoint } from './charts.js';
import { describeLogicalFault, mapFaultStep, type Comparison, type VariantOutcome } from './compare.js';
import type { Block, Cell, ReportDocument } from './document.js';
import { FIELD_BETTER, FIELD_LABELS, faultMarks, formatField, inFlightSeries, latencyOverTime, median, OPTIONAL_FIELDS, SIGNED_FIELDS, SUMMARY_FIELDS, systemLagSeries, throughput, type FaultMark, type SummaryField } from './facts.js';
import { consumerJoins } from './run-report.js';
import { anomalyBlocks, clusterBlock, expectationBlock, whatHappened } from './sections.js';

/**
 * The comparison report (`mqsim compare FILE --out report.html --md report.md`): one summary
 * row per variant with the best value of each column marked, charts with one line per variant
 * and the faults on the time axis, the fault schedule in role terms and as each system met it,
 * the mapping of the logical workload onto each system, then each variant's story and anomalies.
 */

/** The logical fault schedule as marks (the same times for every variant), plus the drain. */
function logicalMarks(comparison: Comparison): FaultMark[] {
  const steps = (comparison.compare.raw.faults as Record<string, unknown>[] | undefined) ?? [];
  const first = comparison.variants[0]!.results[0]!;
  const drain = faultMarks(first).filter((m) => m.drain);
  const faults = first.faults.filter((f) => f.kind !== 'liveness');
  // Times come from the run (parsed durations), descriptions from the file (role names).
  const marks = steps.map((step, i) => {
    const at = faults[i]?.at;
    return { seconds: at !== undefined ? at / 1_000_000 : NaN, label: `${at !== undefined ? formatTimestamp(at) : ''} ${describeLogicalFault(step)}`.trim(), drain: false };
  }).filter((m) => Number.isFinite(m.seconds));
  return [...marks, ...workloadMarks(comparison), ...drain];
}

/** Consumers that join after the start (`start:` in the logical workload): a step of the workload on the time axis. */
function workloadMarks(comparison: Comparison): FaultMark[] {
  const consumers = (comparison.compare.raw.workload as { consumers?: Record<string, unknown>[] }).consumers ?? [];
  const parsed = consumers.map((c) => ({
    ...(typeof c.group === 'string' ? { group: c.group } : {}),
    ...(typeof c.count === 'number' ? { count: c.count } : {}),
    ...(c.start !== undefined ? { start: parseDuration(String(c.start)) } : {}),
  }));
  return consumerJoins(parsed).map((s) => ({ seconds: s.at / 1_000_000, label: `${formatTimestamp(s.at)} ${s.label}`, drain: false, workload: true }));
}

export function compareCharts(comparison: Comparison): ChartSpec[] {
  const marks = logicalMarks(comparison);
  const backlog: SeriesPoint[] = [];
  const deliveries: SeriesPoint[] = [];
  const acks: SeriesPoint[] = [];
  const inflight: SeriesPoint[] = [];
  const lag: SeriesPoint[] = [];
  const p99: SeriesPoint[] = [];
  for (const v of comparison.variants) {
    const result = v.results[0]!;
    for (const p of result.backlog.series) backlog.push({ seconds: p.time / 1_000_000, value: p.backlog, series: v.variant.name });
    for (const p of inFlightSeries(result) ?? []) inflight.push({ ...p, series: v.variant.name });
    for (const p of systemLagSeries(result) ?? []) lag.push({ ...p, series: v.variant.name });
    for (const b of latencyOverTime(result) ?? []) p99.push({ seconds: b.seconds, value: Math.max(b.p99, 1) / 1000, series: v.variant.name });
    for (const p of throughput(result) ?? []) {
      if (p.kind === 'deliveries') deliveries.push({ seconds: p.second, value: p.count, series: v.variant.name });
      if (p.kind === 'acks') acks.push({ seconds: p.second, value: p.count, series: v.variant.name });
    }
  }
  const charts = [
    timeSeriesChart('backlog', 'Backlog over virtual time', 'messages not yet received', backlog, marks, 'variant'),
    ...(lag.length > 0 ? [timeSeriesChart('lag', 'Consumer lag / queue depth as each system reports it', 'messages', lag, marks, 'variant')] : []),
    timeSeriesChart('inflight', 'Sends in flight over virtual time', 'sends awaiting an answer', inflight, marks, 'variant'),
    timeSeriesChart('deliveries', 'Deliveries per second of virtual time', 'deliveries / s', deliveries, marks, 'variant'),
    timeSeriesChart('acks', 'Acknowledged sends per second of virtual time', 'acks / s', acks, marks, 'variant'),
  ];
  const bars = comparison.variants.flatMap((v) => {
    const withLatency = v.results.filter((r) => r.latency.count > 0);
    if (withLatency.length === 0) return [];
    return (['p50', 'p90', 'p99', 'p999', 'max'] as const).map((p) => ({ series: v.variant.name, percentile: p, ms: median(withLatency.map((r) => r.latency[p])) / 1000 }));
  });
  if (p99.length > 0) charts.push(timeSeriesChart('latency-time', 'End-to-end latency p99 over virtual time (by time of first delivery)', 'latency p99 (ms, log scale)', p99, marks, 'variant', { logY: true, points: true }));
  if (bars.length > 0) charts.push(latencyChart('latency', 'End-to-end latency percentiles per variant', bars));
  return charts;
}

function compareChartCaption(id: string, joins: boolean): string {
  const rules = `Red rules: the faults (in role names); ${joins ? 'blue dashed: consumers joining; ' : ''}grey dashed: the drain begins.`;
  if (id === 'latency') return 'HDR-histogram percentiles, log scale.';
  if (id === 'backlog') return `Messages acknowledged (or of unknown outcome) and not yet received by any consumer, from the client history, sampled every second. ${rules}`;
  if (id === 'lag') return `The systems' own gauges summed over their queues: Kafka consumer lag (high watermark minus committed offset), RabbitMQ queue depth (ready + unacknowledged); a variant whose system reports neither has no line. ${rules}`;
  if (id === 'latency-time') return `The 99th percentile of send-to-first-delivery latency of the messages first delivered in each time bucket (an HDR histogram per bucket); log scale. ${rules}`;
  if (id === 'inflight') return `Sends invoked whose answer (ack, failure or timeout) has not arrived yet, and not yet received by a consumer. ${rules}`;
  return rules;
}

/** Marks the best value of a column (not when every variant has the same value: nothing to choose). */
function bestOf(comparison: Comparison, field: SummaryField): number | null {
  const better = FIELD_BETTER[field];
  if (better === 'none') return null;
  const values = comparison.variants.map((v) => v.median[field]);
  const known = values.filter((x): x is number => x !== null);
  if (known.length === 0) return null;
  if (known.length === values.length && known.every((x) => x === known[0])) return null;
  if (SIGNED_FIELDS.has(field)) return known.reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
  return better === 'higher' ? Math.max(...known) : Math.min(...known);
}

/** The summary columns this comparison shows: the delay columns only when some variant delivered delayed messages. */
export function shownFields(rows: { [F in SummaryField]: number | null }[]): SummaryField[] {
  return SUMMARY_FIELDS.filter((f) => !OPTIONAL_FIELDS.has(f) || rows.some((r) => r[f] !== null));
}

function summaryTable(comparison: Comparison): Block {
  const best = Object.fromEntries(SUMMARY_FIELDS.map((f) => [f, bestOf(comparison, f)])) as Record<SummaryField, number | null>;
  const several = comparison.seeds.length > 1;
  const fields = shownFields(comparison.variants.map((v) => v.median));
  const rows: Cell[][] = comparison.variants.map((v) => [
    v.variant.name,
    v.variant.system,
    ...fields.map((field): Cell => {
      const value = v.median[field];
      const spread = v.spread[field];
      let text = formatField(field, value);
      if (several && spread && spread[0] !== spread[1]) text += ` (${formatField(field, spread[0])}–${formatField(field, spread[1])})`;
      const isBest = value !== null && best[field] !== null && value === best[field];
      const bad = value !== null && value > 0 && ['lostAcked', 'duplicates', 'reorders', 'deliveredEarly'].includes(field);
      return { text, best: isBest, bad };
    }),
  ]);
  const caption = (several ? `Median over seeds ${comparison.seeds[0]}–${comparison.seeds.at(-1)} (min–max in brackets where they differ). ` : `Seed ${comparison.seeds[0]}. `)
    + 'The best value of each column is marked ★ (higher acked and delivered, lower everything else; no mark when all variants agree). '
    + 'Latency: HDR histogram of send-to-first-delivery; drain time: from the end of the safety phase until the sampled backlog reached 0 and stayed there.'
    + (fields.includes('delayErrorP50') ? ' Delay error: (actual - requested delay) / requested, for messages sent with a delay (+10% = a tenth late; best = closest to 0).' : '');
  return { kind: 'table', id: 'summary-table', headers: ['variant', 'system', ...fields.map((f) => FIELD_LABELS[f])], rows, caption };
}

function faultScheduleTable(comparison: Comparison): Block {
  const steps = (comparison.compare.raw.faults as Record<string, unknown>[] | undefined) ?? [];
  if (steps.length === 0) return { kind: 'paragraph', text: 'No faults: every variant ran the workload undisturbed.' };
  const headers = ['at', 'fault (roles)', ...comparison.variants.map((v) => `${v.variant.name} (${v.variant.system})`)];
  const rows: Cell[][] = steps.map((step, i) => {
    const at = String(step.at);
    return [at, describeLogicalFault(step), ...comparison.variants.map((v) => {
      const fired = v.results[0]!.faults.filter((f) => f.kind !== 'liveness')[i];
      return fired ? `${fired.description}${fired.targets.length > 0 && !fired.description.includes(fired.targets.join(', ')) ? ` -> ${fired.targets.join(', ')}` : ''}` : `${describeLogicalFault(mapFaultStep(step, v.variant))} (did not fire)`;
    })];
  });
  return { kind: 'table', id: 'faults', headers, rows, caption: 'Each variant meets the same schedule; its roles are resolved to its own nodes when the fault fires.' };
}

/** What each variant changes: its system sections, the fields it merges into the logical workload, its roles. */
function mappingBlocks(comparison: Comparison): Block[] {
  const flow = (value: unknown) => stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
  const blocks: Block[] = [];
  const workload = comparison.compare.raw.workload as { producers: Record<string, unknown>[]; consumers?: Record<string, unknown>[] };
  blocks.push({ kind: 'table', headers: ['logical workload', 'as written'], rows: [
    ...workload.producers.map((p) => [`producer ${String(p.id)}`, flow(p)]),
    ...(workload.consumers ?? []).map((c, i) => [`consumer group ${String(c.group ?? i + 1)}`, flow(c)]),
  ] });
  const rows: Cell[][] = [];
  for (const v of comparison.variants) {
    const name = v.variant.name;
    for (const [key, value] of Object.entries(v.variant.sections)) if (key !== 'expect') rows.push([name, key, flow(value)]);
    if (Object.keys(v.variant.producer).length > 0) rows.push([name, 'every producer +', flow(v.variant.producer)]);
    for (const [id, fields] of Object.entries(v.variant.producers)) rows.push([name, `producer ${id} +`, flow(fields)]);
    if (Object.keys(v.variant.consumer).length > 0) rows.push([name, 'every consumer +', flow(v.variant.consumer)]);
    for (const extra of v.variant.extraConsumers) rows.push([name, 'extra consumer', flow(extra)]);
    for (const role of comparison.compare.roles) rows.push([name, `role ${role}`, flow(v.variant.roles[role])]);
  }
  blocks.push({ kind: 'table', id: 'mapping', headers: ['variant', 'maps', 'to'], rows, caption: 'Producer and consumer fields are merged into every logical producer and consumer (a field the workload also sets is overridden); "producer <id> +" fields into that producer only; an extra consumer is one only this variant runs.' });
  return blocks;
}

function variantBlocks(v: VariantOutcome, several: boolean): Block[] {
  const result = v.results[0]!;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: `${v.variant.name} (${v.variant.system})`, id: `variant-${v.variant.name}` }];
  if (v.variant.description) blocks.push({ kind: 'paragraph', text: v.variant.description.trim().replace(/\s*\n\s*/g, ' ') });
  blocks.push({ kind: 'heading', level: 3, text: `What happened${several ? ` (seed ${result.seed})` : ''}` });
  blocks.push({ kind: 'paragraph', text: whatHappened(result) });
  const expectations = expectationBlock(result);
  if (expectations) blocks.push({ kind: 'heading', level: 3, text: `Expectations: ${v.passed ? 'all hold' : 'one or more FAIL'}${several ? ' (every seed)' : ''}` }, expectations);
  blocks.push({ kind: 'heading', level: 3, text: 'Anomalies' }, ...anomalyBlocks(result).map((b) => (b.kind === 'heading' ? { ...b, level: 3 as const } : b)));
  blocks.push({ kind: 'heading', level: 3, text: 'Cluster' }, clusterBlock(result));
  blocks.push({ kind: 'paragraph', muted: true, text: `scenario ${result.scenario}; trace ${v.results.map((r) => `${r.traceHash} (seed ${r.seed})`).join(', ')}; ${formatTimestamp(result.virtualTime)} of virtual time (${formatDuration(result.duration)} + ${formatDuration(result.drain)} drain).` });
  return blocks;
}

export async function buildCompareReport(comparison: Comparison): Promise<ReportDocument> {
  const { compare } = comparison;
  const several = comparison.seeds.length > 1;
  const charts = await renderAll(compareCharts(comparison));
  const blocks: Block[] = [];
  if (compare.description) blocks.push({ kind: 'paragraph', text: compare.description.trim().replace(/\s*\n\s*/g, ' ') });
  blocks.push({ kind: 'heading', level: 2, text: 'Summary', id: 'summary' }, summaryTable(comparison));
  blocks.push({ kind: 'heading', level: 2, text: 'Charts' });
  if (several) blocks.push({ kind: 'paragraph', muted: true, text: `Time series show seed ${comparison.seeds[0]}; latency bars are medians over the seeds.` });
  for (const chart of charts) blocks.push({ kind: 'chart', chart, caption: compareChartCaption(chart.id, workloadMarks(comparison).length > 0) });
  blocks.push({ kind: 'heading', level: 2, text: 'Fault schedule' }, faultScheduleTable(comparison));
  blocks.push({ kind: 'heading', level: 2, text: 'Mapping of the workload and roles onto each system' }, ...mappingBlocks(comparison));
  for (const v of comparison.variants) blocks.push(...variantBlocks(v, several));
  const seeds = several ? `seeds ${comparison.seeds[0]}–${comparison.seeds.at(-1)}` : `seed ${comparison.seeds[0]}`;
  return { title: compare.name, subtitle: `comparison of ${comparison.variants.length} variants (${[...new Set(comparison.variants.map((v) => v.variant.system))].join(', ')}), ${seeds}`, blocks };
}
