import type { Histogram } from 'hdr-histogram-js';
import { createHistogram } from '../sim/checkers/histogram.js';
import type { HistoryOp } from '../sim/history.js';
import type { RunResult } from '../sim/result.js';
import { formatDuration, formatTimestamp, type Micros } from '../sim/time.js';

/**
 * Facts derived from a run result for the reports: the summary row, throughput per second,
 * drain time. Pure functions of the result, so a report never changes a run and the same
 * result always gives the same report.
 */

/** The numbers a summary table (and `mqsim compare --json`) shows for one run. */
export interface SummaryRow {
  sent: number;
  acked: number;
  delivered: number;
  lostAcked: number;
  duplicates: number;
  reorders: number;
  /** null when the system has no dead letters (the model does not report the count). */
  deadLettered: number | null;
  expired: number | null;
  /** End-to-end latency percentiles in microseconds (HDR histogram); null without deliveries. */
  latencyP50: number | null;
  latencyP99: number | null;
  latencyP999: number | null;
  maxBacklog: number;
  /** Microseconds after the safety phase until the sampled backlog reached 0 for good; null if it was not 0 at the end. */
  drainTime: number | null;
  /**
   * Delay accuracy of the messages sent with a requested delay (null when none was delivered):
   * relative error (actual - requested) / requested at p50, p99 and its worst (largest
   * magnitude, either side); 0 = on time, 0.1 = 10% late, -0.5 = at half the delay.
   */
  delayErrorP50: number | null;
  delayErrorP99: number | null;
  delayErrorMax: number | null;
  /** Delayed messages delivered before their delay had passed (null when none was delivered). */
  deliveredEarly: number | null;
}

export const SUMMARY_FIELDS = [
  'sent', 'acked', 'delivered', 'lostAcked', 'duplicates', 'reorders', 'deadLettered', 'expired',
  'latencyP50', 'latencyP99', 'latencyP999', 'maxBacklog', 'drainTime',
  'delayErrorP50', 'delayErrorP99', 'delayErrorMax', 'deliveredEarly',
] as const satisfies readonly (keyof SummaryRow)[];

export type SummaryField = (typeof SUMMARY_FIELDS)[number];

export const FIELD_LABELS: Record<SummaryField, string> = {
  sent: 'sent', acked: 'acked', delivered: 'delivered', lostAcked: 'lost acked', duplicates: 'duplicates',
  reorders: 'reorders', deadLettered: 'dead-lettered', expired: 'expired', latencyP50: 'latency p50',
  latencyP99: 'latency p99', latencyP999: 'latency p999', maxBacklog: 'max backlog', drainTime: 'drain time',
  delayErrorP50: 'delay error p50', delayErrorP99: 'delay error p99', delayErrorMax: 'delay error worst', deliveredEarly: 'delivered early',
};

/** Columns a table shows only when some run has a value (the delay columns, for runs with delayed messages). */
export const OPTIONAL_FIELDS: ReadonlySet<SummaryField> = new Set(['delayErrorP50', 'delayErrorP99', 'delayErrorMax', 'deliveredEarly']);

/** Columns whose best value is the one closest to 0 (an error either side). */
export const SIGNED_FIELDS: ReadonlySet<SummaryField> = new Set(['delayErrorP50', 'delayErrorP99', 'delayErrorMax']);

/** Which way is better, for marking the best value of a column; 'none' for the workload's own size. */
export const FIELD_BETTER: Record<SummaryField, 'higher' | 'lower' | 'none'> = {
  sent: 'none', acked: 'higher', delivered: 'higher', lostAcked: 'lower', duplicates: 'lower', reorders: 'lower',
  deadLettered: 'lower', expired: 'lower', latencyP50: 'lower', latencyP99: 'lower', latencyP999: 'lower',
  maxBacklog: 'lower', drainTime: 'lower',
  delayErrorP50: 'lower', delayErrorP99: 'lower', delayErrorMax: 'lower', deliveredEarly: 'lower',
};

const TIME_FIELDS = new Set<SummaryField>(['latencyP50', 'latencyP99', 'latencyP999', 'drainTime']);

export function summaryRow(result: RunResult): SummaryRow {
  const counts = result.counts as Record<string, number>;
  const latency = result.latency.count > 0;
  return {
    sent: counts.sent ?? 0,
    acked: counts.acked ?? 0,
    delivered: counts.delivered ?? 0,
    lostAcked: counts.lostAcked ?? 0,
    duplicates: counts.duplicateDeliveries ?? 0,
    reorders: counts.reorders ?? 0,
    deadLettered: counts.deadLettered ?? null,
    expired: counts.expired ?? null,
    latencyP50: latency ? result.latency.p50 : null,
    latencyP99: latency ? result.latency.p99 : null,
    latencyP999: latency ? result.latency.p999 : null,
    maxBacklog: result.backlog.max,
    drainTime: drainTime(result),
    ...delayFields(result),
  };
}

function delayFields(result: RunResult): Pick<SummaryRow, 'delayErrorP50' | 'delayErrorP99' | 'delayErrorMax' | 'deliveredEarly'> {
  const d = result.delay;
  if (d.count === 0) return { delayErrorP50: null, delayErrorP99: null, delayErrorMax: null, deliveredEarly: null };
  return { delayErrorP50: d.p50, delayErrorP99: d.p99, delayErrorMax: Math.abs(d.min) > Math.abs(d.max) ? d.min : d.max, deliveredEarly: d.early };
}

/**
 * The time after the safety phase at which every acknowledged message had been delivered or was
 * lost for good: the sampled backlog of acked, undelivered messages fell to the number of lost
 * acknowledged messages and stayed there to the end of the run. 0 when that held from the start
 * of the drain on; null when acked messages were still stored undelivered at the end (a backlog
 * not drained). Lost messages never arrive, so they are accounted for as lost, not as backlog: a
 * variant that loses messages can still have drained. "For good", since acks can arrive late
 * (retries, an outbox) and refill a backlog that was momentarily empty. Acked only when the run
 * sampled it (`backlog.acked`): a send of unknown outcome that was never written is not a
 * backlog to drain.
 */
export function drainTime(result: RunResult): Micros | null {
  const acked = result.metrics?.series?.['backlog.acked'];
  const series = acked ? acked.map((p) => ({ time: p.time, backlog: p.value })) : result.backlog.series;
  const lost = (result.counts as Record<string, number>).lostAcked ?? 0;
  if (series.length === 0 || series[series.length - 1]!.backlog > lost) return null;
  let emptySince = series[series.length - 1]!.time;
  for (let i = series.length - 1; i >= 0 && series[i]!.backlog <= lost; i--) emptySince = series[i]!.time;
  return Math.max(0, emptySince - result.duration);
}

/**
 * The backlog over time that consumers could still drain: messages written (send ok) or maybe
 * written (info) and not yet received, at each of the run's backlog samples, without the
 * messages that never arrived and are not stored at the end (lost acknowledged messages, sends
 * of unknown outcome that were never written). Replays the client history with the backlog
 * checker's rules; the final read says how many undelivered messages are still stored
 * (`stillQueued`), and those — the last to enter the backlog — stay in it. Without a history,
 * the kernel's own series, in which a lost message stays backlog to the end. (The drain time,
 * `drainTime`, needs no history: it reads the acked backlog down to the lost count.)
 */
export function deliverableBacklog(result: RunResult): { time: Micros; backlog: number }[] {
  const samples = result.backlog.series;
  if (!result.history) return samples;
  type State = { status: 'pending' | 'ok' | 'info' };
  const open = new Map<string, State>();
  const delivered = new Set<string>();
  /** Per message that entered the backlog: when it entered and when it left (Infinity: never). */
  const spans: { msg: string; from: Micros; to: Micros }[] = [];
  const spanOf = new Map<string, number>();
  for (const raw of result.history) {
    const op = raw as HistoryOp;
    const msg = op.msg;
    if (msg === undefined) continue;
    if (op.f === 'receive' && op.type === 'ok') {
      if (delivered.has(msg)) continue;
      delivered.add(msg);
      const state = open.get(msg);
      open.delete(msg);
      if (state && state.status !== 'pending') spans[spanOf.get(msg)!]!.to = op.time;
      continue;
    }
    if (op.f !== 'send' || delivered.has(msg)) continue;
    let state = open.get(msg);
    if (op.type === 'invoke') {
      if (!state) open.set(msg, { status: 'pending' });
    } else if (op.type === 'ok' || op.type === 'info') {
      if (!state) open.set(msg, (state = { status: 'pending' }));
      if (state.status === 'pending') {
        spanOf.set(msg, spans.length);
        spans.push({ msg, from: op.time, to: Number.POSITIVE_INFINITY });
      }
      if (op.type === 'ok' || state.status === 'pending') state.status = op.type;
    } else if (op.type === 'fail' && state) {
      open.delete(msg);
      if (state.status !== 'pending') spans[spanOf.get(msg)!]!.to = op.time;
    }
  }
  // Still stored at the end: the latest of the never-received to enter the backlog.
  const neverLeft = spans.filter((s) => s.to === Number.POSITIVE_INFINITY);
  const stored = new Set(neverLeft.slice(Math.max(0, neverLeft.length - ((result.counts as Record<string, number>).stillQueued ?? 0))).map((s) => s.msg));
  const deltas: { time: Micros; by: number }[] = [];
  for (const span of spans) {
    if (span.to === Number.POSITIVE_INFINITY && !stored.has(span.msg)) continue;
    deltas.push({ time: span.from, by: 1 });
    if (span.to !== Number.POSITIVE_INFINITY) deltas.push({ time: span.to, by: -1 });
  }
  deltas.sort((a, b) => a.time - b.time || a.by - b.by);
  const out: { time: Micros; backlog: number }[] = [];
  let level = 0;
  let next = 0;
  for (const sample of samples) {
    while (next < deltas.length && deltas[next]!.time <= sample.time) level += deltas[next++]!.by;
    out.push({ time: sample.time, backlog: level });
  }
  return out;
}

/**
 * What became of each message the workload planned, counted once per message (a resend of the
 * same id is the same message): acknowledged (a send ok, at any attempt), rejected (only fails:
 * nacked, refused, definitely not written), unknown (timed out or no answer by the end, never
 * acknowledged), never sent (planned by the workload but the client never sent it). From the
 * client history; without one, from the op counts (resends then count twice).
 */
export interface SendOutcomes {
  planned: number | null;
  /** Distinct messages sent at least once. */
  sent: number;
  acked: number;
  rejected: number;
  unknown: number;
  /** planned - sent; null when the planned count is not known. */
  neverSent: number | null;
}

export function sendOutcomes(result: RunResult, planned?: number): SendOutcomes {
  const counts = result.counts as Record<string, number>;
  let sent: number;
  let acked: number;
  let rejected: number;
  let unknown: number;
  if (result.history) {
    const status = new Map<string, 'pending' | 'fail' | 'info' | 'ok'>();
    for (const raw of result.history) {
      const op = raw as HistoryOp;
      if (op.f !== 'send' || op.msg === undefined) continue;
      const now = status.get(op.msg);
      if (op.type === 'invoke') { if (now === undefined) status.set(op.msg, 'pending'); }
      else if (op.type === 'ok') status.set(op.msg, 'ok');
      else if (now !== 'ok' && now !== 'info') status.set(op.msg, op.type);
    }
    sent = status.size;
    acked = rejected = unknown = 0;
    for (const s of status.values()) {
      if (s === 'ok') acked++;
      else if (s === 'fail') rejected++;
      else unknown++;
    }
  } else {
    sent = counts.sent ?? 0;
    acked = counts.acked ?? 0;
    rejected = counts.failed ?? 0;
    unknown = Math.max(0, sent - acked - rejected);
  }
  return { planned: planned ?? null, sent, acked, rejected, unknown, neverSent: planned === undefined ? null : Math.max(0, planned - sent) };
}

/** A summary value as text: durations for the time columns, '—' for a value the run does not have. */
export function formatField(field: SummaryField, value: number | null): string {
  if (value === null) return field === 'drainTime' ? 'not drained' : '—';
  if (field === 'drainTime') return formatDuration(Math.round(value));
  if (SIGNED_FIELDS.has(field)) return formatRelative(value);
  if (TIME_FIELDS.has(field)) return formatLatency(value);
  return String(value);
}

/** A relative error as a signed percentage to three significant digits: +0.12%, -50%, +900%. */
export function formatRelative(ratio: number): string {
  if (ratio === 0) return '0%';
  const percent = Number((ratio * 100).toPrecision(3));
  return `${percent > 0 ? '+' : ''}${percent}%`;
}

/** A latency to three significant digits (HDR percentiles carry no more): 870us, 14.4ms, 1.22s. */
export function formatLatency(micros: number): string {
  if (micros < 1000) return `${Math.round(micros)}us`;
  if (micros < 1_000_000) return `${Number((micros / 1000).toPrecision(3))}ms`;
  return `${Number((micros / 1_000_000).toPrecision(3))}s`;
}

export interface ThroughputPoint {
  /** Start of the one-second bucket, in seconds of virtual time. */
  second: number;
  kind: 'sends' | 'acks' | 'deliveries';
  count: number;
}

/**
 * Sends (invoked), acks (send ok) and deliveries (receive ok, redeliveries included) per second
 * of virtual time: from the running totals the kernel samples (`total.*` series), else from the
 * client history; null when the run has neither.
 */
export function throughput(result: RunResult): ThroughputPoint[] | null {
  const series = result.metrics?.series;
  if (series?.['total.sent'] && series['total.acked'] && series['total.deliveries']) {
    const points: ThroughputPoint[] = [];
    const kinds = [['sends', 'total.sent'], ['acks', 'total.acked'], ['deliveries', 'total.deliveries']] as const;
    for (const [kind, name] of kinds) {
      const samples = series[name]!;
      for (let i = 1; i < samples.length; i++) {
        const span = samples[i]!.time - samples[i - 1]!.time;
        if (span <= 0) continue;
        const count = ((samples[i]!.value - samples[i - 1]!.value) * 1_000_000) / span;
        points.push({ second: samples[i - 1]!.time / 1_000_000, kind, count: Math.round(count * 100) / 100 });
      }
    }
    return points;
  }
  if (!result.history) return null;
  const seconds = Math.max(1, Math.ceil(result.virtualTime / 1_000_000));
  const buckets = { sends: new Array<number>(seconds).fill(0), acks: new Array<number>(seconds).fill(0), deliveries: new Array<number>(seconds).fill(0) };
  for (const raw of result.history) {
    const op = raw as HistoryOp;
    const kind = op.f === 'send' ? (op.type === 'invoke' ? 'sends' : op.type === 'ok' ? 'acks' : null) : op.f === 'receive' && op.type === 'ok' ? 'deliveries' : null;
    if (kind === null) continue;
    const bucket = Math.min(seconds - 1, Math.floor(op.time / 1_000_000));
    buckets[kind][bucket]!++;
  }
  const points: ThroughputPoint[] = [];
  for (const kind of ['sends', 'acks', 'deliveries'] as const) {
    buckets[kind].forEach((count, second) => points.push({ second, kind, count }));
  }
  return points;
}

export interface LatencyBucket {
  /** Start of the bucket, in seconds of virtual time. */
  seconds: number;
  /** Percentiles of the end-to-end latencies of the first deliveries made in the bucket, in microseconds. */
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** At most this many buckets (each a whole number of seconds), so a long run costs a bounded number of histograms. */
const MAX_LATENCY_BUCKETS = 120;

/**
 * End-to-end latency (send invoke to first delivery, as the latency checker measures it) over
 * virtual time: an HDR histogram per time bucket of first deliveries, read at p50, p99 and max.
 * From the client history; null when the run kept none.
 */
export function latencyOverTime(result: RunResult): LatencyBucket[] | null {
  if (!result.history) return null;
  const width = Math.max(1, Math.ceil(result.virtualTime / 1_000_000 / MAX_LATENCY_BUCKETS));
  const invoked = new Map<string, number>();
  const delivered = new Set<string>();
  const buckets = new Map<number, Histogram>();
  for (const raw of result.history) {
    const op = raw as HistoryOp;
    if (op.msg === undefined || op.type === 'fail' || op.type === 'info') continue;
    if (op.f === 'send' && op.type === 'invoke') {
      if (!invoked.has(op.msg) && !delivered.has(op.msg)) invoked.set(op.msg, op.time);
    } else if (op.f === 'receive' && op.type === 'ok' && !delivered.has(op.msg)) {
      delivered.add(op.msg);
      const sent = invoked.get(op.msg);
      if (sent === undefined) continue;
      invoked.delete(op.msg);
      const bucket = Math.floor(op.time / 1_000_000 / width);
      let histogram = buckets.get(bucket);
      if (!histogram) buckets.set(bucket, (histogram = createHistogram()));
      histogram.recordValue(Math.max(0, Math.round(op.time - sent)));
    }
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([bucket, h]) => ({
    seconds: bucket * width,
    // A percentile reads its bucket's upper bound, which may lie just above the exact max.
    p50: Math.min(h.getValueAtPercentile(50), h.maxValue),
    p99: Math.min(h.getValueAtPercentile(99), h.maxValue),
    max: h.maxValue,
    count: h.totalCount,
  }));
}

/** Sends in flight (invoked, no answer yet, not yet received) over virtual time, from the `inflight` gauge; null if not sampled. */
export function inFlightSeries(result: RunResult): { seconds: number; value: number }[] | null {
  const samples = result.metrics?.series?.['inflight'];
  return samples ? samples.map((p) => ({ seconds: p.time / 1_000_000, value: p.value })) : null;
}

/**
 * The backlog as the system itself reports it, summed over its queues: Kafka's consumer lag
 * (`lag.<group>.<partition>`: high watermark minus committed offset) and RabbitMQ's queue depth
 * (`depth.<queue>` ready + `unacked.<queue>` delivered and not yet acked). Null when the model
 * samples neither (demo, RocketMQ).
 */
export function systemLagSeries(result: RunResult): { seconds: number; value: number }[] | null {
  const series = result.metrics?.series ?? {};
  const names = Object.keys(series).filter((n) => n.startsWith('lag.') || n.startsWith('depth.') || n.startsWith('unacked.'));
  if (names.length === 0) return null;
  const byTime = new Map<number, number>();
  for (const name of names) {
    // The world samples once more at the very end, possibly at the time of the last tick: keep one value per time.
    const last = new Map<number, number>();
    for (const p of series[name]!) last.set(p.time, p.value);
    for (const [time, value] of last) byTime.set(time, (byTime.get(time) ?? 0) + value);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ seconds: time / 1_000_000, value }));
}

/** The faults worth drawing on a time axis: every fault, and the start of the drain. */
export interface FaultMark {
  seconds: number;
  label: string;
  drain: boolean;
  /** A step of the workload rather than a fault (consumers joining at a time): drawn in blue. */
  workload?: boolean;
  /** When a lasting fault ends (a kill's restart, a partition's heal), in seconds: drawn as a band. */
  until?: number;
}

export function faultMarks(result: RunResult): FaultMark[] {
  return result.faults.map((f) => ({
    seconds: f.at / 1_000_000,
    label: f.kind === 'liveness' ? 'drain begins (faults healed, producers stop)' : `${formatTimestamp(f.at)} ${f.description}`,
    drain: f.kind === 'liveness',
  }));
}

/** Median of numbers (the lower middle for an even count, so it is always a value some run had). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Notes counted by what they say, in first-seen order: the model's own account of the run. */
export function noteCounts(result: RunResult): { node: string; what: string; count: number; first: Micros }[] {
  const byKey = new Map<string, { node: string; what: string; count: number; first: Micros }>();
  for (const note of result.notes) {
    const key = `${note.node}\u0000${note.what}`;
    const entry = byKey.get(key);
    if (entry) entry.count++;
    else byKey.set(key, { node: note.node, what: note.what, count: 1, first: note.at });
  }
  return [...byKey.values()];
}
