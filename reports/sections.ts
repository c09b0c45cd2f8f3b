import type { RunResult } from '../sim/result.js';
import { formatDuration, formatTimestamp } from '../sim/time.js';
import type { Block } from './document.js';
import { drainTime, formatLatency, formatRelative, noteCounts, summaryRow } from './facts.js';
import { explainExample, formatMicros } from './text.js';

/**
 * Report sections shared by the single-run report and the comparison: the fault schedule, the
 * anomalies with their evidence, the cluster, and the "what happened" paragraph — each built only
 * from what the run recorded.
 */

export function faultTable(result: RunResult): Block {
  const rows = result.faults.map((f) => [formatTimestamp(f.at), f.kind, f.targets.join(', ') || '—', f.description]);
  return rows.length === 0
    ? { kind: 'paragraph', text: 'No faults: the run had no fault schedule.' }
    : { kind: 'table', headers: ['at', 'kind', 'nodes hit', 'what happened'], rows, id: 'faults' };
}

/** Each anomaly with a count, then its first examples and the facts that explain them (as `mqsim run`). */
export function anomalyBlocks(result: RunResult): Block[] {
  const anomalies = Object.entries(result.anomalies).filter(([, a]) => a.count > 0);
  if (anomalies.length === 0) return [{ kind: 'paragraph', text: 'No anomalies: the checkers found no lost, duplicated, reordered or skipped messages.' }];
  const blocks: Block[] = [{ kind: 'table', headers: ['anomaly', 'count'], rows: anomalies.map(([name, a]) => [name, { text: String(a.count), bad: true }]) }];
  for (const [name, anomaly] of anomalies) {
    if (anomaly.examples.length === 0) continue;
    blocks.push({ kind: 'heading', level: 3, text: `${name}: first ${anomaly.examples.length} of ${anomaly.count}` });
    for (const example of anomaly.examples) {
      blocks.push({ kind: 'evidence', title: example.description, lines: explainExample(example, result) });
    }
  }
  return blocks;
}

export function clusterBlock(result: RunResult): Block {
  return { kind: 'list', items: result.cluster };
}

export function expectationBlock(result: RunResult): Block | null {
  if (result.expectations.length === 0) return null;
  return {
    kind: 'table',
    headers: ['expectation', 'actual', 'verdict'],
    rows: result.expectations.map((e) => {
      const time = /^latency\.(p\d+|max|mean)$/.test(e.metric);
      const show = (v: number) => (time ? formatMicros(v) : String(v));
      return [`${e.metric} ${e.op} ${show(e.value)}`, e.actual === null ? 'no value' : show(e.actual), e.pass ? 'PASS' : { text: 'FAIL', bad: true }];
    }),
  };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * A short account of the run, made only of its numbers, faults and the model's notes: no
 * sentence here states anything the result does not contain.
 */
export function whatHappened(result: RunResult): string {
  const row = summaryRow(result);
  const counts = result.counts as Record<string, number>;
  const sentences: string[] = [];
  // One decimal, or two when one would round a shortfall up to 100.0%.
  const share = (row.acked / row.sent) * 100;
  const ackShare = row.sent > 0 ? ` (${share.toFixed(share < 100 && share >= 99.95 ? 2 : 1)}%)` : '';
  sentences.push(`Producers sent ${plural(row.sent, 'message')}; ${row.acked}${ackShare} were acknowledged, ${counts.failed ?? 0} failed and ${counts.unknown ?? 0} timed out with an unknown outcome.`);
  const faults = result.faults.filter((f) => f.kind !== 'liveness');
  if (faults.length > 0) sentences.push(`Faults: ${faults.map((f) => `at ${formatTimestamp(f.at)} ${f.description}`).join('; ')}.`);
  else sentences.push('No fault was injected.');
  sentences.push(`Consumers received ${plural(row.delivered, 'distinct message')} in ${plural(counts.deliveries ?? row.delivered, 'delivery', 'deliveries')}.`);
  const lost = result.anomalies['lost-write'];
  if (row.lostAcked > 0) sentences.push(`${plural(row.lostAcked, 'acknowledged message was', 'acknowledged messages were')} never delivered${lost?.examples[0] ? ` (first: ${lost.examples[0].description})` : ''}.`);
  else sentences.push('No acknowledged message was lost.');
  if (row.duplicates > 0) sentences.push(`${plural(row.duplicates, 'duplicate delivery', 'duplicate deliveries')} reached a consumer group.`);
  if (row.reorders > 0) sentences.push(`${plural(row.reorders, 'message was', 'messages were')} delivered after a later message of the same key.`);
  if (row.deadLettered) sentences.push(`${plural(row.deadLettered, 'message was', 'messages were')} dead-lettered.`);
  if (row.expired) sentences.push(`${plural(row.expired, 'message', 'messages')} expired.`);
  if (result.delay.count > 0) {
    sentences.push(`${plural(result.delay.count, 'message sent with a delay was', 'messages sent with a delay were')} delivered, ${formatRelative(row.delayErrorP50!)} off the requested delay at p50, ${formatRelative(row.delayErrorP99!)} at p99 and ${formatRelative(row.delayErrorMax!)} at worst; ${row.deliveredEarly} early.`);
  }
  if (row.latencyP50 !== null) sentences.push(`End-to-end latency was ${formatLatency(row.latencyP50)} at p50 and ${formatLatency(row.latencyP99!)} at p99.`);
  const drained = drainTime(result);
  // Lost messages never arrive: drained means every acknowledged message was delivered or is counted as lost.
  const left = row.lostAcked > 0 ? ` apart from the ${row.lostAcked} lost` : '';
  sentences.push(`The backlog peaked at ${row.maxBacklog}` + (drained === null
    ? ` and had not drained when the run ended (${result.backlog.final} left${row.lostAcked > 0 ? `, ${row.lostAcked} of them lost` : ''}).`
    : drained === 0 ? ` and was empty${left} from the start of the drain on.` : ` and reached 0${left} for good ${formatDuration(drained)} into the drain.`));
  // What the model noted from the first fault on comes first: start-up chatter (brokers
  // registering, topics created) says little about what the faults did.
  const firstFault = faults[0]?.at;
  const notes = noteCounts(result);
  if (firstFault !== undefined) notes.sort((a, b) => Number(a.first < firstFault) - Number(b.first < firstFault));
  if (notes.length > 0) {
    const shown = notes.slice(0, 6).map((n) => `${n.node} ${n.what}${n.count > 1 ? ` ×${n.count}` : ''} (first at ${formatTimestamp(n.first)})`);
    sentences.push(`The model noted: ${shown.join(', ')}${notes.length > 6 ? `, and ${notes.length - 6} other kinds` : ''}.`);
  }
  return sentences.join(' ');
}
