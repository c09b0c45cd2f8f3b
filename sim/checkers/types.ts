import type { Micros } from '../time.js';

/** One instance of an anomaly, for a human: what happened, when, and which history ops show it. */
export interface Example {
  msg?: string;
  process?: string;
  queue?: string;
  key?: string;
  /** The broker involved (the one that acked a lost write, delivered a duplicate...). */
  node?: string;
  time: Micros;
  /** History indices of the ops that show it. */
  ops: number[];
  /** One line of plain English, e.g. "p1-17 acked at 10.203s by broker-1, never delivered". */
  description: string;
}

export interface CheckResult {
  count: number;
  /** At most MAX_EXAMPLES, the first found in history order. */
  examples: Example[];
}

export const MAX_EXAMPLES = 5;

/**
 * A running count of one anomaly and its first few examples. Callers test `wantsExample`
 * before building an Example, so the description string is built only for the few kept.
 */
export class AnomalyTally {
  count = 0;
  readonly examples: Example[] = [];

  get wantsExample(): boolean {
    return this.examples.length < MAX_EXAMPLES;
  }

  result(): CheckResult {
    return { count: this.count, examples: this.examples.slice() };
  }
}
