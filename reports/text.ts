import type { Example } from '../sim/checkers/types.js';
import type { RunResult } from '../sim/result.js';
import { formatDuration, formatTimestamp } from '../sim/time.js';

/**
 * The human-readable report of one run: scenario, cluster, fault timeline, counts, latency,
 * backlog, expectations, and the first examples of each anomaly.
 */
export interface TextOptions {
  color: boolean;
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof CODES;

function styler(color: boolean) {
  return (style: Style, text: string) => (color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}

const COUNT_ORDER = [
  'sent', 'acked', 'failed', 'unknown', 'delivered', 'deliveries', 'lostAcked', 'unseen', 'stillQueued', 'duplicateDeliveries',
  'reorders', 'pollSkips', 'nonmonotonicPolls', 'nonmonotonicSends', 'crashes',
];
const BAD_COUNTS = new Set(['lostAcked', 'duplicateDeliveries', 'reorders', 'pollSkips', 'nonmonotonicPolls', 'nonmonotonicSends']);

export function formatMicros(value: number): string {
  return formatDuration(Math.round(value));
}

export function formatRunText(result: RunResult, options: TextOptions): string {
  const s = styler(options.color);
  const lines: string[] = [];
  lines.push(`${s('bold', result.scenario)} ${s('dim', `(${result.system}, seed ${result.seed})`)}`);
  if (result.description) lines.push(`  ${result.description.trim().replace(/\s*\n\s*/g, ' ')}`);
  lines.push('', s('bold', 'cluster'));
  for (const line of result.cluster) lines.push(`  ${line}`);
  lines.push('', s('bold', 'faults'));
  if (result.faults.length === 0) lines.push('  none');
  for (const fault of result.faults) {
    const targets = fault.targets.length > 0 && !fault.description.includes(fault.targets.join(', ')) ? s('dim', ` -> ${fault.targets.join(', ')}`) : '';
    lines.push(`  ${formatTimestamp(fault.at).padStart(10)}  ${fault.description}${targets}`);
  }
  lines.push('', s('bold', 'counts'));
  const counts = result.counts as Record<string, number>;
  const names = [...COUNT_ORDER.filter((n) => n in counts), ...Object.keys(counts).filter((n) => !COUNT_ORDER.includes(n) && counts[n] !== 0)];
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const value = counts[name]!;
    const text = String(value).padStart(10);
    lines.push(`  ${name.padEnd(width)} ${BAD_COUNTS.has(name) && value > 0 ? s('yellow', text) : text}`);
  }
  const l = result.latency;
  lines.push('', s('bold', 'latency') + s('dim', ' (send to first delivery)'));
  lines.push(l.count === 0 ? '  no deliveries' : `  p50 ${formatMicros(l.p50)}  p90 ${formatMicros(l.p90)}  p99 ${formatMicros(l.p99)}  p999 ${formatMicros(l.p999)}  max ${formatMicros(l.max)}  mean ${formatMicros(l.mean)}`);
  if (result.delay.count > 0) {
    const d = result.delay;
    lines.push('', s('bold', 'delay accuracy') + s('dim', ' ((actual - requested) / requested)'));
    lines.push(`  ${d.count} delayed, ${d.early} early; p50 ${pct(d.p50)}  p99 ${pct(d.p99)}  max ${pct(d.max)}`);
  }
  lines.push('', `${s('bold', 'backlog')}  max ${result.backlog.max}  at end ${result.backlog.final}`);
  if (result.expectations.length > 0) {
    lines.push('', s('bold', 'expectations'));
    for (const e of result.expectations) {
      const mark = e.pass ? s('green', 'PASS') : s('red', 'FAIL');
      const actual = e.actual === null ? 'no value' : formatMetric(e.metric, e.actual);
      lines.push(`  ${mark} ${e.metric} ${e.op === '==' ? '==' : e.op} ${formatMetric(e.metric, e.value)}  ${s('dim', `(actual ${actual})`)}`);
    }
  }
  const anomalies = Object.entries(result.anomalies).filter(([, a]) => a.count > 0);
  if (anomalies.length > 0) {
    lines.push('', s('bold', 'anomalies'));
    for (const [name, anomaly] of anomalies) {
      lines.push(`  ${s('yellow', name)}: ${anomaly.count}`);
      for (const example of anomaly.examples) {
        lines.push(`    ${example.description}`);
        for (const line of explainExample(example, result)) lines.push(s('dim', `      ${line}`));
      }
    }
  }
  lines.push('', s('dim', `trace ${result.traceHash}  ${result.events} events  ${formatTimestamp(result.virtualTime)} virtual (${formatDuration(result.duration)} + ${formatDuration(result.drain)} drain)`));
  return lines.join('\n');
}

/**
 * What the run recorded about an anomaly's example, from the facts only: notes that name its
 * message, faults that hit its broker or client, then the nearest notes on them; failing all
 * that, the faults nearest in time. At most three lines, in time order.
 */
export function explainExample(example: Example, result: RunResult): string[] {
  const actors = new Set([example.node, example.process].filter((a): a is string => a !== undefined));
  type Fact = { at: number; text: string; rank: number };
  const facts: Fact[] = [];
  const distance = (at: number) => Math.abs(at - example.time);
  for (const note of result.notes) {
    const namesMessage = example.msg !== undefined && note.detail !== undefined && Object.values(note.detail).includes(example.msg);
    if (!namesMessage && !actors.has(note.node)) continue;
    facts.push({ at: note.at, text: `${note.node}: ${note.what}${formatDetail(note.detail)}`, rank: namesMessage ? 0 : 2 });
  }
  for (const fault of result.faults) {
    if (fault.kind === 'liveness' || !fault.targets.some((t) => actors.has(t))) continue;
    facts.push({ at: fault.at, text: fault.description, rank: 1 });
  }
  if (facts.length === 0) {
    const before = result.faults.filter((f) => f.at <= example.time && f.kind !== 'liveness').at(-1);
    const after = result.faults.find((f) => f.at > example.time && f.kind !== 'liveness');
    for (const fault of [before, after]) if (fault) facts.push({ at: fault.at, text: fault.description, rank: 1 });
  }
  return facts
    .sort((a, b) => a.rank - b.rank || distance(a.at) - distance(b.at) || a.at - b.at)
    .slice(0, 3)
    .sort((a, b) => a.at - b.at)
    .map((fact) => `${formatTimestamp(fact.at)} ${fact.text}`);
}

function formatDetail(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  const parts = Object.entries(detail).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function formatMetric(metric: string, value: number): string {
  return /^(latency|delay)\.(p\d+|max|mean)$/.test(metric) && !metric.startsWith('delay') ? formatMicros(value) : String(value);
}
