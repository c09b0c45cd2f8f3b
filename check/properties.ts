import { explainExample } from '../reports/text.js';
import type { Example } from '../sim/checkers/types.js';
import type { RunResult } from '../sim/result.js';
import type { PropertySpec } from './section.js';
import { formatDuration, type Micros } from '../sim/time.js';

/**
 * Delivery guarantees as plain functions over a run result. A property returns a verdict; a
 * failure names the first offending message ids and the events that explain them, and says
 * which `expect:` line a counterexample scenario should carry so that replaying it fails too.
 */
export type Verdict =
  | { ok: true }
  | { ok: false; property: string; message: string; expect: Record<string, string | number> };

export interface Property {
  /** A file-name-safe name: noLostAcked, delayWithin-0.1, latencyBelow-p99-50ms. */
  readonly name: string;
  (result: RunResult): Verdict;
}

function property(name: string, judge: (result: RunResult) => Verdict): Property {
  const check = (result: RunResult) => judge(result);
  // A function's own `name` is read-only but configurable: define it rather than assign it.
  return Object.defineProperty(check, 'name', { value: name }) as Property;
}

function describeExamples(result: RunResult, examples: readonly Example[]): string {
  return examples
    .slice(0, 3)
    .map((example) => {
      const why = explainExample(example, result);
      return `  ${example.description}${why.length > 0 ? '\n' + why.map((w) => `    ${w}`).join('\n') : ''}`;
    })
    .join('\n');
}

/** No message acknowledged to its producer is missing at the end of the drain (Jepsen's lost-write). */
export const noLostAcked: Property = property('noLostAcked', (result) => {
  const lost = result.anomalies['lost-write'];
  if (lost.count === 0) return { ok: true };
  return {
    ok: false,
    property: 'noLostAcked',
    message: `${lost.count} acknowledged message${lost.count === 1 ? ' was' : 's were'} never delivered:\n${describeExamples(result, lost.examples)}`,
    expect: { lostAcked: 0 },
  };
});

/** No consumer group receives a message twice. */
export const noDuplicates: Property = property('noDuplicates', (result) => {
  const duplicates = result.anomalies.duplicate;
  if (duplicates.count === 0) return { ok: true };
  return {
    ok: false,
    property: 'noDuplicates',
    message: `${duplicates.count} duplicate deliver${duplicates.count === 1 ? 'y' : 'ies'}:\n${describeExamples(result, duplicates.examples)}`,
    expect: { duplicateDeliveries: 0 },
  };
});

/** No consumer is handed a record written in a transaction that aborted (Jepsen's aborted read). */
export const noAbortedReads: Property = property('noAbortedReads', (result) => {
  const aborted = result.anomalies['aborted-read'];
  if (aborted.count === 0) return { ok: true };
  return {
    ok: false,
    property: 'noAbortedReads',
    message: `${aborted.count} read${aborted.count === 1 ? '' : 's'} of aborted transactions' records:\n${describeExamples(result, aborted.examples)}`,
    expect: { abortedReads: 0 },
  };
});

/**
 * An exactly-once pipeline produces each input once: every input record acknowledged to its
 * producer reaches the consumers of the pipeline's output (read_committed) exactly once. The
 * pipeline's own group records no deliveries (it forwards), so the output's consumers are the
 * ones judged: a record written twice to the output is a duplicate there, one never written (or
 * stuck behind a hanging transaction) is lost or unseen.
 */
export const eachInputOnce: Property = property('eachInputOnce', (result) => {
  const duplicates = result.anomalies.duplicate;
  const lost = result.anomalies['lost-write'];
  const unseen = result.anomalies.unseen;
  if (duplicates.count === 0 && lost.count === 0 && unseen.count === 0) return { ok: true };
  const parts: string[] = [];
  if (duplicates.count > 0) parts.push(`${duplicates.count} input record${duplicates.count === 1 ? '' : 's'} read more than once from the output:\n${describeExamples(result, duplicates.examples)}`);
  if (lost.count > 0) parts.push(`${lost.count} acknowledged input record${lost.count === 1 ? '' : 's'} never reached the output's consumers:\n${describeExamples(result, lost.examples)}`);
  if (unseen.count > 0) parts.push(`${unseen.count} input record${unseen.count === 1 ? '' : 's'} not read from the output by the end:\n${describeExamples(result, unseen.examples)}`);
  return {
    ok: false,
    property: 'eachInputOnce',
    message: parts.join('\n'),
    expect: { duplicateDeliveries: 0, lostAcked: 0, unseen: 0 },
  };
});

/** Each group receives each key's messages (from one producer) in the order they were sent. */
export const orderedPerKey: Property = property('orderedPerKey', (result) => {
  const reorders = result.anomalies.reorder;
  if (reorders.count === 0) return { ok: true };
  return {
    ok: false,
    property: 'orderedPerKey',
    message: `${reorders.count} message${reorders.count === 1 ? '' : 's'} delivered out of per-key order:\n${describeExamples(result, reorders.examples)}`,
    expect: { reorders: 0 },
  };
});

/** Delayed messages arrive within `ratio` of their requested delay, never early. */
export function delayWithin(ratio: number): Property {
  return property(`delayWithin-${ratio}`, (result) => {
    const delay = result.delay;
    if (delay.count === 0 || (delay.early === 0 && delay.max <= ratio)) return { ok: true };
    return {
      ok: false,
      property: `delayWithin-${ratio}`,
      message: `delayed messages off by up to ${(delay.max * 100).toFixed(1)}% (allowed ${(ratio * 100).toFixed(1)}%), ${delay.early} early`,
      expect: { 'delay.max': `<= ${ratio}`, 'delay.early': 0 },
    };
  });
}

/** The p-th percentile of end-to-end latency stays below `limit`. */
export function latencyBelow(p: 50 | 90 | 99 | 999, limit: Micros): Property {
  const name = `latencyBelow-p${p}-${formatDuration(limit)}`;
  return property(name, (result) => {
    const value = result.latency[`p${p}`];
    if (result.latency.count === 0 || value < limit) return { ok: true };
    return {
      ok: false,
      property: name,
      message: `latency p${p} is ${formatDuration(Math.round(value))}, not below ${formatDuration(limit)}`,
      expect: { [`latency.p${p}`]: `< ${formatDuration(limit)}` },
    };
  });
}

/** Every property must hold; the first that fails is the verdict. */
export function allOf(...properties: Property[]): Property {
  return property(properties.map((p) => p.name).join('+'), (result) => {
    for (const check of properties) {
      const verdict = check(result);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  });
}

/** The properties a scenario's `property:` section names. */
export function propertiesOf(specs: readonly PropertySpec[]): Property[] {
  return specs.map((spec) => {
    if (spec === 'noLostAcked') return noLostAcked;
    if (spec === 'noDuplicates') return noDuplicates;
    if (spec === 'orderedPerKey') return orderedPerKey;
    if (spec === 'noAbortedReads') return noAbortedReads;
    if (spec === 'eachInputOnce') return eachInputOnce;
    if ('delayWithin' in spec) return delayWithin(spec.delayWithin);
    return latencyBelow(spec.latencyBelow.p, spec.latencyBelow.limit);
  });
}
