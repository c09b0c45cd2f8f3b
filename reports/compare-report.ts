import { stringify } from 'yaml';
import type { Example } from '../sim/checkers/types.js';
import type { HistoryOp } from '../sim/history.js';
import type { RunResult } from '../sim/result.js';
import { formatDuration, formatTimestamp, parseDuration } from '../sim/time.js';
import { latencyChart, renderAll, timeSeriesChart, type ChartSpec, type SeriesPoint } from './charts.js';
import { causeIndex, causePhrase, describeLogicalFault, formatMeasure, propertyLabel, type ComparisonFacts, type VariantFacts } from './comparison.js';
import type { Block, Cell, ReportDocument } from './document.js';
import {
  deliverableBacklog, faultMarks, FIELD_LABELS, formatField, inFlightSeries, latencyOverTime, median, OPTIONAL_FIELDS,
  systemLagSeries, throughput, type FaultMark, type SummaryField,
} from './facts.js';
import { consumerJoins } from './run-report.js';
import { anomalyBlocks, clusterBlock, expectationBlock } from './sections.js';
import { explainExample } from './text.js';

/**
 * The comparison report (`mqsim compare FILE --out report.html --md report.md`), written for an
 * engineer deciding: the file's question and a verdict per variant first (safest first by the
 * property the file names), then what became of every send, the measures with the best of each
 * column marked among the safe variants, what happened and why, the charts (one colour per
 * variant throughout, faults as bands), and last the details: the fault schedule, the mapping of
 * the workload onto each system, each variant's anomalies with their evidence.
 */

type RawRecord = Record<string, unknown>;

/* ---------- charts ---------- */

/** The logical fault schedule as marks (the same times for every variant), faults that last as bands, plus the drain. */
function logicalMarks(facts: ComparisonFacts): FaultMark[] {
  const steps = (facts.input.compare.raw.faults as RawRecord[] | undefined) ?? [];
  const first = facts.input.variants[0]!.results[0]!;
  const duration = first.duration / 1_000_000;
  const drain = faultMarks(first).filter((m) => m.drain);
  const faults = first.faults.filter((f) => f.kind !== 'liveness');
  // Times come from the run (parsed durations), descriptions from the file (role names).
  const marks: FaultMark[] = [];
  steps.forEach((step, i) => {
    const fault = faults[i];
    if (fault === undefined || 'heal' in step || 'restart' in step || 'resume' in step) return;
    const mark: FaultMark = { seconds: fault.at / 1_000_000, label: `${formatDuration(fault.at)} ${describeLogicalFault(step)}`, drain: false };
    mark.until = fault.until !== undefined ? fault.until / 1_000_000 : endOf(step, steps, faults, i, duration);
    marks.push(mark);
  });
  return [...marks, ...workloadMarks(facts), ...drain];
}

/** Where a fault without `for:` ends: the next heal (a partition), restart or resume of the same role, or the drain (which heals everything). */
function endOf(step: RawRecord, steps: RawRecord[], faults: { at: number }[], index: number, duration: number): number {
  const undo = 'partition' in step ? 'heal' : 'pause' in step ? 'resume' : 'crash' in step ? 'restart' : null;
  if (undo === null) return duration;
  const who = JSON.stringify(step[Object.keys(step).find((k) => k !== 'at' && k !== 'for')!]);
  for (let j = index + 1; j < steps.length; j++) {
    if (undo in steps[j]! && (undo === 'heal' || JSON.stringify(steps[j]![undo]) === who) && faults[j]) return faults[j]!.at / 1_000_000;
  }
  return duration;
}

/** Consumers that join after the start (`start:` in the logical workload): a step of the workload on the time axis. */
function workloadMarks(facts: ComparisonFacts): FaultMark[] {
  const consumers = (facts.input.compare.raw.workload as { consumers?: RawRecord[] }).consumers ?? [];
  const parsed = consumers.map((c) => ({
    ...(typeof c.group === 'string' ? { group: c.group } : {}),
    ...(typeof c.count === 'number' ? { count: c.count } : {}),
    ...(c.start !== undefined ? { start: parseDuration(String(c.start)) } : {}),
  }));
  return consumerJoins(parsed).map((s) => ({ seconds: s.at / 1_000_000, label: `${formatTimestamp(s.at)} ${s.label}`, drain: false, workload: true }));
}

/**
 * The shared time axis: the workload (the safety phase) plus the part of the drain where the
 * state still changes — the last time a backlog, lag or in-flight line was more than 5% of its
 * own range away from where it ended — with a little margin; `full` is the whole run, one click
 * away in the HTML. Rates (deliveries, acks per second) are left out: a long tail of a few
 * retried messages would stretch the axis until the faults are a sliver.
 */
export function timeAxis(series: SeriesPoint[][], facts: ComparisonFacts): { clip: number; full: number } {
  const results = facts.input.variants.map((v) => v.results[0]!);
  const full = Math.max(...results.map((r) => r.virtualTime)) / 1_000_000;
  const duration = Math.max(...results.map((r) => r.duration)) / 1_000_000;
  let lastChange = duration;
  for (const points of series) {
    const bySeries = new Map<string, SeriesPoint[]>();
    for (const p of points) {
      let line = bySeries.get(p.series);
      if (!line) bySeries.set(p.series, (line = []));
      line.push(p);
    }
    for (const line of bySeries.values()) {
      const values = line.map((p) => p.value);
      const final = values.at(-1)!;
      const tolerance = Math.max(1, 0.05 * (Math.max(...values) - Math.min(...values)));
      for (let i = line.length - 1; i > 0; i--) {
        if (Math.abs(line[i - 1]!.value - final) > tolerance) { lastChange = Math.max(lastChange, line[i]!.seconds); break; }
      }
    }
  }
  const clip = Math.min(full, Math.ceil(lastChange + Math.max(2, 0.1 * lastChange)));
  return { clip, full };
}

/** The comparison's charts, and the time axis they share. */
export function compareCharts(facts: ComparisonFacts): { charts: ChartSpec[]; x: { clip: number; full: number } } {
  const marks = logicalMarks(facts);
  const domain = facts.variants.map((v) => v.name);
  const backlog: SeriesPoint[] = [];
  const deliveries: SeriesPoint[] = [];
  const acks: SeriesPoint[] = [];
  const inflight: SeriesPoint[] = [];
  const lag: SeriesPoint[] = [];
  const p99: SeriesPoint[] = [];
  for (const v of facts.variants) {
    const result = v.input.results[0]!;
    for (const p of deliverableBacklog(result)) backlog.push({ seconds: p.time / 1_000_000, value: p.backlog, series: v.name });
    for (const p of inFlightSeries(result) ?? []) inflight.push({ ...p, series: v.name });
    for (const p of systemLagSeries(result) ?? []) lag.push({ ...p, series: v.name });
    for (const b of latencyOverTime(result) ?? []) p99.push({ seconds: b.seconds, value: Math.max(b.p99, 1) / 1000, series: v.name });
    for (const p of throughput(result) ?? []) {
      if (p.kind === 'deliveries') deliveries.push({ seconds: p.second, value: p.count, series: v.name });
      if (p.kind === 'acks') acks.push({ seconds: p.second, value: p.count, series: v.name });
    }
  }
  const x = timeAxis([backlog, lag, inflight], facts);
  const options = { domain, x, hover: true };
  const charts = [
    timeSeriesChart('backlog', 'Backlog: messages still to deliver', 'messages not yet received', backlog, marks, 'variant', options),
    ...(lag.length > 0 ? [timeSeriesChart('lag', 'Consumer lag / queue depth as each system reports it', 'messages', lag, marks, 'variant', options)] : []),
    timeSeriesChart('inflight', 'Sends in flight (awaiting an answer)', 'sends awaiting an answer', inflight, marks, 'variant', options),
    timeSeriesChart('deliveries', 'Deliveries per second', 'deliveries / s', deliveries, marks, 'variant', options),
    timeSeriesChart('acks', 'Acknowledged sends per second', 'acks / s', acks, marks, 'variant', options),
  ];
  const bars = facts.variants.flatMap((v) => {
    const withLatency = v.input.results.filter((r) => r.latency.count > 0);
    if (withLatency.length === 0) return [];
    return (['p50', 'p90', 'p99', 'p999', 'max'] as const).map((p) => ({ series: v.name, percentile: p, ms: median(withLatency.map((r) => r.latency[p])) / 1000 }));
  });
  if (p99.length > 0) charts.push(timeSeriesChart('latency-time', 'End-to-end latency p99 (by time of first delivery)', 'latency p99 (ms, log scale)', p99, marks, 'variant', { ...options, logY: true, points: true }));
  if (bars.length > 0) charts.push(latencyChart('latency', 'End-to-end latency percentiles per variant', bars, domain));
  return { charts, x };
}

function compareChartCaption(id: string, joins: boolean, x: { clip: number; full: number }): string {
  const clipped = x.clip < x.full ? ` Time axis: 0–${x.clip}s, the workload and the part of the drain where something still changes (the run lasts ${x.full}s; in the HTML report, "Show the whole run" widens it).` : '';
  const rules = `Red bands: the faults while they last (in role names); ${joins ? 'blue dashed: consumers joining; ' : ''}grey dashed: the drain begins (faults healed, producers stop).${clipped}`;
  if (id === 'latency') return 'HDR-histogram percentiles, log scale; medians over the seeds.';
  if (id === 'backlog') return `Messages acknowledged (or of unknown outcome) and not yet received by a consumer, from the client history. Lost messages are not backlog: a message that never arrived and was not stored at the end is left out from the start, so a lossy variant drains to 0 too. ${rules}`;
  if (id === 'lag') return `The systems' own gauges summed over their queues: Kafka consumer lag (high watermark minus committed offset), RabbitMQ queue depth (ready + unacknowledged); a variant whose system reports neither has no line. ${rules}`;
  if (id === 'latency-time') return `The 99th percentile of send-to-first-delivery latency of the messages first delivered in each time bucket; log scale. ${rules}`;
  if (id === 'inflight') return `Sends invoked whose answer (ack, failure or timeout) has not arrived yet. ${rules}`;
  return rules;
}

/* ---------- tables ---------- */

const num = (n: number) => n.toLocaleString('en-US');

function verdictTable(facts: ComparisonFacts): Block {
  const property = facts.input.compare.property.map(propertyLabel).join('; ');
  const measures = facts.input.compare.measures;
  const manySeeds = facts.input.seeds.length > 1;
  const rows: Cell[][] = facts.ranked.map((v, i) => [
    String(i + 1),
    `${v.name} (${v.input.variant.system})`,
    v.unsafe ? { text: 'no', bad: true } : 'yes',
    ...v.measures.map((m): Cell => {
      const range = manySeeds && m.spread[0] !== m.spread[1] ? ` (${formatMeasure(m.measure, m.spread[0])}–${formatMeasure(m.measure, m.spread[1])})` : '';
      return `${formatMeasure(m.measure, m.median)}${range}`;
    }),
    v.unsafe ? { text: v.verdict, bad: true } : v.verdict,
  ]);
  const several = facts.input.seeds.length > 1 ? ` Over seeds ${facts.input.seeds[0]}–${facts.input.seeds.at(-1)}: a variant is safe only if it is safe in every seed; counts are the first seed's, ranges in brackets.` : '';
  return {
    kind: 'table', id: 'verdict', role: 'verdict',
    headers: ['rank', 'variant', `safe: ${property}`, ...measures.map((m) => `${m.label} (${m.better} is better)`), 'verdict, from the run'], rows,
    caption: `Safest first by the property this file names (${property}); losing an acknowledged message is never safe.`
      + (measures.length > 0 ? ` Among equally safe variants, ranked by ${measures.map((m) => m.label).join(', then ')}${manySeeds ? ' (median over the seeds, range in brackets)' : ''}.` : '')
      + several,
  };
}

function modelCheckTable(facts: ComparisonFacts): Block {
  return {
    kind: 'table', id: 'model-check', headers: ['variant', "matches this file's expectation (model check)"],
    rows: facts.variants.map((v) => [v.name, v.matchesExpectation ? 'yes' : { text: 'NO', bad: true }]),
    caption: "Whether each variant did what this compare file's expect: says the model should do: a check of the simulator, not a verdict on the configuration (a variant expected to lose messages matches when it loses them).",
  };
}

/** Best marks: never on an unsafe variant, and only in columns where lower or higher is unambiguously better. */
const BETTER: Partial<Record<SummaryField | 'acked' | 'unknown' | 'neverSent', 'lower' | 'higher' | 'zero'>> = {
  acked: 'higher', unknown: 'lower', neverSent: 'lower', lostAcked: 'lower', duplicates: 'lower', reorders: 'lower',
  latencyP50: 'lower', latencyP99: 'lower', latencyP999: 'lower', maxBacklog: 'lower', drainTime: 'lower',
  delayErrorP50: 'zero', delayErrorP99: 'zero', delayErrorMax: 'zero', deliveredEarly: 'lower',
};

function bestValue(values: (number | null)[], eligible: boolean[], better: 'lower' | 'higher' | 'zero' | undefined): number | null {
  if (better === undefined) return null;
  const known = values.filter((x, i): x is number => x !== null && eligible[i]!);
  // Nothing to choose when every variant has the same value (or only one safe variant has a value).
  const all = values.filter((x): x is number => x !== null);
  if (known.length === 0 || all.every((x) => x === all[0])) return null;
  if (better === 'zero') return known.reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
  return better === 'higher' ? Math.max(...known) : Math.min(...known);
}

function markedColumn(facts: ComparisonFacts, values: (number | null)[], better: 'lower' | 'higher' | 'zero' | undefined, format: (v: number | null, variant: number) => string, bad = false): Cell[] {
  const best = bestValue(values, facts.variants.map((v) => !v.unsafe), better);
  return values.map((value, i) => ({ text: format(value, i), best: best !== null && value === best && !facts.variants[i]!.unsafe, bad: bad && value !== null && value > 0 }));
}

/** Rows of columns (one column per field) transposed into one row per variant, in the ranked order. */
function table(facts: ComparisonFacts, id: string, headers: string[], columns: Cell[][], caption: string): Block {
  const order = facts.ranked.map((v) => facts.variants.indexOf(v));
  const rows = order.map((i) => [facts.variants[i]!.name, ...columns.map((c) => c[i]!)]);
  return { kind: 'table', id, headers: ['variant', ...headers], rows, caption };
}

function outcomesTable(facts: ComparisonFacts): Block {
  const o = facts.variants.map((v) => v.outcomes[0]!);
  const n = (v: number | null) => (v === null ? '—' : num(v));
  const queued = facts.variants.map((v) => (v.input.results[0]!.counts as Record<string, number>).stillQueued ?? 0);
  const columns: Cell[][] = [
    o.map((x) => n(x.planned)),
    markedColumn(facts, o.map((x) => x.acked), BETTER.acked, n),
    o.map((x) => n(x.rejected)),
    markedColumn(facts, o.map((x) => x.unknown), BETTER.unknown, n),
    markedColumn(facts, o.map((x) => x.neverSent), BETTER.neverSent, n),
    facts.variants.map((v) => n(v.rows[0]!.delivered)),
    markedColumn(facts, facts.variants.map((v) => v.rows[0]!.lostAcked), BETTER.lostAcked, n, true),
    queued.map((q) => ({ text: num(q), bad: q > 0 })),
    facts.variants.map((v) => (v.drained ? 'yes' : { text: 'no', bad: true })),
  ];
  return table(facts, 'outcomes', ['planned', 'acknowledged', 'rejected / nacked', 'timed out or unknown', 'never sent', 'delivered', 'lost acknowledged', 'still queued at the end', 'drained'], columns,
    'Each planned message counted once, by what its producer finally learnt (a resend of the same message is the same message): acknowledged, rejected (nacked or refused: not written), timed out or no answer by the end, never sent (the client never got to it). Delivered: distinct messages a consumer received. Lost acknowledged: acknowledged, never delivered, and not stored at the end; they are not backlog. Drained: every acknowledged message was delivered or is counted as lost.'
    + (facts.input.seeds.length > 1 ? ` First seed (${facts.input.seeds[0]}).` : ''));
}

/** The summary columns this comparison shows: the delay columns only when some variant delivered delayed messages. */
export function shownFields(rows: { [F in SummaryField]: number | null }[]): SummaryField[] {
  return MEASURES.filter((f) => !OPTIONAL_FIELDS.has(f) || rows.some((r) => r[f] !== null));
}

const MEASURES: SummaryField[] = ['duplicates', 'reorders', 'deadLettered', 'expired', 'latencyP50', 'latencyP99', 'latencyP999', 'maxBacklog', 'drainTime', 'delayErrorP50', 'delayErrorP99', 'delayErrorMax', 'deliveredEarly'];

function measuresTables(facts: ComparisonFacts): Block[] {
  const several = facts.input.seeds.length > 1;
  const fields = shownFields(facts.variants.map((v) => v.median));
  const columnOf = (field: SummaryField): Cell[] => markedColumn(facts, facts.variants.map((v) => v.median[field]), BETTER[field], (value, i) => {
    const spread = facts.variants[i]!.spread[field];
    let text = formatField(field, value);
    if (several && spread && spread[0] !== spread[1]) text += ` (${formatField(field, spread[0])}–${formatField(field, spread[1])})`;
    return text;
  }, ['duplicates', 'reorders', 'deliveredEarly'].includes(field));
  const seeds = several ? `Median over seeds ${facts.input.seeds[0]}–${facts.input.seeds.at(-1)} (min–max in brackets where they differ). ` : '';
  const marks = '★ marks the best value of a column among the safe variants, only where lower (or higher) is plainly better: none for dead-lettered or expired (a design choice), none when all agree, none on a variant that is not safe. ';
  const split = (list: SummaryField[]) => list.filter((f) => fields.includes(f));
  const main = split(['duplicates', 'reorders', 'deadLettered', 'expired', 'latencyP50', 'latencyP99', 'latencyP999', 'maxBacklog', 'drainTime']);
  const blocks: Block[] = [table(facts, 'summary-table', main.map((f) => FIELD_LABELS[f]), main.map(columnOf),
    `${seeds}${marks}Latency: HDR histogram of send-to-first-delivery. Max backlog: the most messages written and not yet received at once. Drain time: from the end of the workload until every acknowledged message was delivered or counted as lost.`)];
  const delay = split(['delayErrorP50', 'delayErrorP99', 'delayErrorMax', 'deliveredEarly']);
  if (delay.length > 0) {
    blocks.push(table(facts, 'delay-table', delay.map((f) => FIELD_LABELS[f]), delay.map(columnOf),
      'Delay error: (actual - requested delay) / requested, for messages sent with a delay (+10% = a tenth late; best = closest to 0). Delivered early: before the requested delay had passed.'));
  }
  return blocks;
}

/* ---------- what happened, and why ---------- */

/** What the run says about one message: how often it was sent, at how many positions it was delivered, whether a delivery was a redelivery. */
function messageStory(result: RunResult, msg: string | undefined): { sends: number; positions: number; redelivered: boolean } {
  const story = { sends: 0, positions: 0, redelivered: false };
  if (!result.history || msg === undefined) return story;
  const positions = new Set<string>();
  for (const raw of result.history) {
    const op = raw as HistoryOp;
    if (op.msg !== msg) continue;
    if (op.f === 'send' && op.type === 'invoke') story.sends++;
    if (op.f === 'receive' && op.type === 'ok') {
      if (op.offset !== undefined) positions.add(`${op.queue}@${op.offset}`);
      if (op.redelivered) story.redelivered = true;
    }
  }
  story.positions = positions.size;
  // Ids are `<producer>-<seq>`: a note of the producer itself naming the message (an outbox
  // resend, a retry) means it went out again, which the history may record as one send.
  const producer = msg.replace(/-\d+$/, '');
  if (result.notes.some((n) => n.node === producer && n.detail !== undefined && Object.values(n.detail).includes(msg))) story.sends = Math.max(story.sends, 2);
  return story;
}

/** Whether a duplicated message was stored twice (sent twice, or delivered from two positions) rather than redelivered from one copy. */
function storedTwice(result: RunResult, msg: string | undefined): boolean {
  const story = messageStory(result, msg);
  return story.sends > 1 || story.positions > 1;
}

function firstExample(result: RunResult, anomaly: string): Example | undefined {
  const examples = (result.anomalies as Record<string, { examples: Example[] }>)[anomaly]?.examples ?? [];
  return [...examples].sort((a, b) => a.time - b.time)[0];
}

/** Each anomaly of a variant's run, tied to its mechanism and to the fault it followed, with what the model recorded. */
export function causes(facts: ComparisonFacts, v: VariantFacts): string[] {
  const result = v.input.results[0]!;
  const row = v.rows[0]!;
  const input = facts.input;
  const kind = (i: number | null) => (i === null ? undefined : result.faults.filter((f) => f.kind !== 'liveness')[i]?.kind);
  const evidence = (example: Example | undefined) => {
    const lines = example ? explainExample(example, result) : [];
    return lines.length > 0 ? ` The model recorded: ${lines.join('; ')}.` : '';
  };
  const out: string[] = [];
  if (row.lostAcked > 0) {
    const ex = firstExample(result, 'lost-write');
    const i = ex ? causeIndex(result, ex.time, true) : null;
    const k = kind(i);
    const by = ex?.node ? ` by ${ex.node}` : '';
    const they = row.lostAcked === 1 ? 'it was' : 'they were';
    const mechanism = k === 'partition'
      ? `${they} acknowledged on one side of the partition, and the side whose log survived never had ${row.lostAcked === 1 ? 'it' : 'them'}`
      : k === 'crash' || k === 'kill'
        ? `${they} acknowledged${by} before any copy that survives a crash existed (in memory or the page cache only, or on a leader whose followers had not fetched ${row.lostAcked === 1 ? 'it' : 'them'}), so nothing was left to deliver`
        : `${they} acknowledged, no consumer ever got ${row.lostAcked === 1 ? 'it' : 'them'}, and nothing stored ${row.lostAcked === 1 ? 'it' : 'them'} at the end`;
    out.push(`${num(row.lostAcked)} acknowledged ${row.lostAcked === 1 ? 'message was' : 'messages were'} lost${causePhrase(input, result, i, 'when')}: ${mechanism} (first: ${ex?.description ?? 'no example kept'}).${evidence(ex)}`);
  }
  if (row.duplicates > 0) {
    const ex = firstExample(result, 'duplicate');
    const twice = storedTwice(result, ex?.msg);
    const i = ex ? causeIndex(result, ex.time, false) : null;
    const mechanism = twice
      ? 'the producer sent them again after their acknowledgement went missing, and the broker stored both copies'
      : i === null
        ? 'the same stored copy was delivered again: its consumption failed or was not acknowledged, so the system handed it out once more'
        : 'the same stored copy was delivered again: it had been handed to a consumer and was not acknowledged or committed (the consumer went down, failed it, or lost its connection), so it came back';
    out.push(`${num(row.duplicates)} duplicate ${row.duplicates === 1 ? 'delivery' : 'deliveries'}${causePhrase(input, result, i, 'after')}: ${mechanism} (first: ${ex?.description ?? 'no example kept'}).${evidence(ex)}`);
  }
  if (row.reorders > 0) {
    const ex = firstExample(result, 'reorder');
    const i = ex ? causeIndex(result, ex.time, false) : null;
    const story = messageStory(result, ex?.msg);
    const mechanism = story.sends > 1
      ? 'the producer sent a message again after its acknowledgement went missing, so it was stored after later messages of the same key'
      : story.redelivered
        ? 'a message was delivered again (its consumer went down, or it failed and was requeued) after later messages of the same key had been delivered'
        : 'messages of one key were consumed in parallel, or one was retried, so a later one overtook an earlier one';
    out.push(`${num(row.reorders)} ${row.reorders === 1 ? 'message' : 'messages'} out of key order${causePhrase(input, result, i, 'after')}: ${mechanism} (first: ${ex?.description ?? 'no example kept'}).${evidence(ex)}`);
  }
  const o = v.outcomes[0]!;
  if (o.unknown > 0 || o.rejected > 0) {
    const during = result.faults.some((f) => f.kind !== 'liveness') ? ' while the faults lasted' : '';
    const parts = [
      ...(o.unknown > 0 ? [`${num(o.unknown)} ${o.unknown === 1 ? 'send' : 'sends'} timed out or went unanswered${during}: the producer does not know whether ${o.unknown === 1 ? 'it was' : 'they were'} written, and one a consumer never got is not counted as lost`] : []),
      ...(o.rejected > 0 ? [`${num(o.rejected)} ${o.rejected === 1 ? 'send was' : 'sends were'} rejected (nacked or refused)${during}: the producer knows ${o.rejected === 1 ? 'it was' : 'they were'} not written and may send again`] : []),
    ];
    out.push(`${parts.join('; ')}.`);
  }
  if (row.deadLettered) out.push(`${num(row.deadLettered)} dead-lettered: the system moved messages that failed (or expired, or overflowed) aside, as configured; they are not lost, nobody consumed them.`);
  if (!v.drained) {
    const queued = (result.counts as Record<string, number>).stillQueued ?? 0;
    out.push(`Not drained: ${num(queued)} ${queued === 1 ? 'message was' : 'messages were'} still stored and undelivered when the run ended (backlog, not loss).`);
  }
  if (out.length === 0) {
    const faults = result.faults.filter((f) => f.kind !== 'liveness');
    out.push(faults.length > 0 ? `Nothing lost, duplicated or reordered: the faults (${faults.map((f) => `${formatTimestamp(f.at)} ${f.description}`).join('; ')}) cost time only.` : 'Nothing lost, duplicated or reordered.');
  }
  return out;
}

/* ---------- details ---------- */

function faultScheduleTable(facts: ComparisonFacts): Block {
  const steps = (facts.input.compare.raw.faults as RawRecord[] | undefined) ?? [];
  if (steps.length === 0) return { kind: 'paragraph', text: 'No faults: every variant ran the workload undisturbed.' };
  const rows: Cell[][] = [];
  steps.forEach((step, i) => {
    for (const v of facts.variants) {
      const fired = v.input.results[0]!.faults.filter((f) => f.kind !== 'liveness')[i];
      const mapped = ((v.input.scenario.faults as RawRecord[] | undefined) ?? [])[i];
      const text = fired
        ? `${fired.description}${fired.targets.length > 0 && !fired.description.includes(fired.targets.join(', ')) ? ` -> ${fired.targets.join(', ')}` : ''}`
        : `${mapped ? describeLogicalFault(mapped) : describeLogicalFault(step)} (did not fire)`;
      rows.push([String(step.at), describeLogicalFault(step), v.name, text]);
    }
  });
  return { kind: 'table', id: 'faults', headers: ['at', 'fault (roles)', 'variant', 'as it hit this variant'], rows, caption: 'Each variant meets the same schedule; its roles are resolved to its own nodes when the fault fires.' };
}

/** What each variant changes: its system sections, the fields it merges into the logical workload, its roles. */
function mappingBlocks(facts: ComparisonFacts): Block[] {
  const flow = (value: unknown) => stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
  const workload = facts.input.compare.raw.workload as { producers: RawRecord[]; consumers?: RawRecord[] };
  const blocks: Block[] = [{ kind: 'table', headers: ['logical workload', 'as written'], rows: [
    ...workload.producers.map((p) => [`producer ${String(p.id)}`, flow(p)]),
    ...(workload.consumers ?? []).map((c, i) => [`consumer group ${String(c.group ?? i + 1)}`, flow(c)]),
  ] }];
  const rows: Cell[][] = [];
  for (const v of facts.variants) {
    const { variant } = v.input;
    for (const [key, value] of Object.entries(variant.sections)) if (key !== 'expect') rows.push([v.name, key, flow(value)]);
    if (Object.keys(variant.producer).length > 0) rows.push([v.name, 'every producer +', flow(variant.producer)]);
    for (const [id, fields] of Object.entries(variant.producers)) rows.push([v.name, `producer ${id} +`, flow(fields)]);
    if (Object.keys(variant.consumer).length > 0) rows.push([v.name, 'every consumer +', flow(variant.consumer)]);
    for (const extra of variant.extraConsumers) rows.push([v.name, 'extra consumer', flow(extra)]);
    for (const role of facts.input.compare.roles) rows.push([v.name, `role ${role}`, flow(variant.roles[role])]);
  }
  blocks.push({ kind: 'table', id: 'mapping', headers: ['variant', 'maps', 'to'], rows, caption: 'Producer and consumer fields are merged into every logical producer and consumer (a field the workload also sets is overridden); "producer <id> +" fields into that producer only; an extra consumer is one only this variant runs.' });
  return blocks;
}

function variantBlocks(v: VariantFacts, several: boolean): Block[] {
  const result = v.input.results[0]!;
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: `${v.name} (${v.input.variant.system})`, id: `variant-${v.name}` }];
  if (v.input.variant.description) blocks.push({ kind: 'paragraph', text: v.input.variant.description.trim().replace(/\s*\n\s*/g, ' ') });
  const expectations = expectationBlock(result);
  if (expectations) blocks.push({ kind: 'paragraph', muted: true, text: `This file's expectation of the model: ${v.matchesExpectation ? 'matched' : 'NOT matched'}${several ? ' (every seed)' : ''}.` }, expectations);
  blocks.push(...anomalyBlocks(result).map((b) => (b.kind === 'heading' ? { ...b, level: 3 as const } : b)));
  blocks.push(clusterBlock(result));
  blocks.push({ kind: 'paragraph', muted: true, text: `scenario ${result.scenario}; trace ${v.input.results.map((r) => `${r.traceHash} (seed ${r.seed})`).join(', ')}; ${formatTimestamp(result.virtualTime)} of virtual time (${formatDuration(result.duration)} + ${formatDuration(result.drain)} drain).` });
  return blocks;
}

export async function buildCompareReport(facts: ComparisonFacts): Promise<ReportDocument> {
  const { compare } = facts.input;
  const several = facts.input.seeds.length > 1;
  const { charts: specs, x } = compareCharts(facts);
  const charts = await renderAll(specs);
  const blocks: Block[] = [{ kind: 'paragraph', lead: true, text: facts.question }];
  blocks.push(verdictTable(facts));
  blocks.push(modelCheckTable(facts));
  if (compare.description) blocks.push({ kind: 'paragraph', text: compare.description.trim().replace(/\s*\n\s*/g, ' ') });
  blocks.push({ kind: 'heading', level: 2, text: 'What became of every send', id: 'outcomes-heading' }, outcomesTable(facts));
  blocks.push({ kind: 'heading', level: 2, text: 'Measures', id: 'summary' }, ...measuresTables(facts));
  blocks.push({ kind: 'heading', level: 2, text: 'What happened, and why', id: 'what-happened' });
  for (const v of facts.ranked) blocks.push({ kind: 'heading', level: 3, text: `${v.name} (${v.input.variant.system})` }, { kind: 'list', items: causes(facts, v) });
  blocks.push({ kind: 'heading', level: 2, text: 'Charts', id: 'charts' });
  if (several) blocks.push({ kind: 'paragraph', muted: true, text: `Time series show seed ${facts.input.seeds[0]}; latency percentiles are medians over the seeds.` });
  const joins = workloadMarks(facts).length > 0;
  if (x.clip < x.full) blocks.push({ kind: 'range-toggle', clip: x.clip, full: x.full });
  for (const chart of charts) blocks.push({ kind: 'chart', chart, caption: compareChartCaption(chart.id, joins, x) });
  blocks.push({ kind: 'heading', level: 2, text: 'Fault schedule' }, faultScheduleTable(facts));
  blocks.push({ kind: 'heading', level: 2, text: 'Mapping of the workload and roles onto each system' }, ...mappingBlocks(facts));
  blocks.push({ kind: 'heading', level: 2, text: 'Each variant in detail' });
  for (const v of facts.ranked) blocks.push(...variantBlocks(v, several));
  const seeds = several ? `seeds ${facts.input.seeds[0]}–${facts.input.seeds.at(-1)}` : `seed ${facts.input.seeds[0]}`;
  return {
    title: compare.name,
    subtitle: `comparison of ${facts.variants.length} variants (${[...new Set(facts.variants.map((v) => v.input.variant.system))].join(', ')}), ${seeds}`,
    blocks,
    interactive: true,
  };
}
