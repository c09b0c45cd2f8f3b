import { parseDuration } from '../time.js';

/**
 * `expect:` assertions on a run's result: `lostAcked: 0`, `duplicateDeliveries: "> 0"`,
 * `latency.p99: "< 50ms"`. The key names a number of the result (counts by their bare name,
 * the rest by a dotted path); the value is a number (equality) or a comparison.
 */
export type Comparator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export const COMPARATORS: readonly Comparator[] = ['==', '!=', '<=', '>=', '<', '>'];

export interface Expectation {
  metric: string;
  op: Comparator;
  value: number;
  /** As written in the file, for messages. */
  text: string;
}

export interface ExpectationOutcome extends Expectation {
  actual: number | null;
  pass: boolean;
}

/** Metrics whose values are durations (microseconds): their comparisons take units (`< 50ms`). */
export function isDurationMetric(metric: string): boolean {
  return /^(latency|delay)\.(p\d+|max|mean|min)$/.test(metric) || metric.endsWith('Time') || metric === 'virtualTime';
}

export class ExpectationError extends Error {
  override name = 'ExpectationError';
}

/** Parses `"> 0"`, `"<= 5"`, `"< 50ms"`, `0`, `true`. Throws ExpectationError with a hint. */
export function parseExpectation(metric: string, raw: unknown): Expectation {
  if (typeof raw === 'number') return { metric, op: '==', value: raw, text: String(raw) };
  if (typeof raw === 'boolean') return { metric, op: '==', value: raw ? 1 : 0, text: String(raw) };
  if (typeof raw !== 'string') throw new ExpectationError(`expected a number or a comparison such as "> 0", "<= 5", "< 50ms"`);
  const match = /^\s*(==|!=|<=|>=|<|>|=)?\s*(.+?)\s*$/.exec(raw);
  if (!match) throw new ExpectationError(`cannot read "${raw}"; write a number or a comparison such as "> 0", "<= 5", "< 50ms"`);
  const op = (match[1] === '=' ? '==' : (match[1] ?? '==')) as Comparator;
  const valueText = match[2]!;
  let value: number;
  if (/^-?\d+(\.\d+)?$/.test(valueText)) value = Number(valueText);
  else {
    if (!isDurationMetric(metric)) {
      throw new ExpectationError(`cannot read "${valueText}" in "${raw}": ${metric} is a count; write a number`);
    }
    try {
      value = parseDuration(valueText);
    } catch (error) {
      throw new ExpectationError(`cannot read "${valueText}" in "${raw}": ${(error as Error).message}`);
    }
  }
  return { metric, op, value, text: raw.trim() };
}

export function compare(actual: number, op: Comparator, value: number): boolean {
  switch (op) {
    case '==': return actual === value;
    case '!=': return actual !== value;
    case '<': return actual < value;
    case '<=': return actual <= value;
    case '>': return actual > value;
    case '>=': return actual >= value;
  }
}

/** Evaluates against the flattened numbers of a result; a metric with no value fails. */
export function evaluateExpectation(expectation: Expectation, metrics: Readonly<Record<string, number>>): ExpectationOutcome {
  const actual = metrics[expectation.metric];
  if (actual === undefined || Number.isNaN(actual)) return { ...expectation, actual: null, pass: false };
  return { ...expectation, actual, pass: compare(actual, expectation.op, expectation.value) };
}
