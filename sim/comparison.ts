/**
 * The plain data a comparison hands from the scenario layer (models/compare.ts, which loads a
 * compare file and runs its variants) to the reports (reports/comparison.ts, which must not
 * import a model). Both sides name these types; neither restates them.
 */

type RawRecord = Record<string, unknown>;

/**
 * The safety property a comparison's verdict ranks by: the guarantees `mqsim check` knows, by the
 * same names (a compare file states which one its question is about; it searches nothing).
 */
export type VerdictProperty =
  | 'noLostAcked' | 'noDuplicates' | 'orderedPerKey'
  | { delayWithin: number }
  | { latencyBelow: { p: 50 | 90 | 99 | 999; limit: number } };

/** How a measure's numbers read: milliseconds, microseconds (latencies, virtual time) or a plain count. */
export type MeasureUnit = 'ms' | 'us' | 'count';

/**
 * A number of the run (`measures:`) the verdict table shows beside safety and ranks by after it:
 * the answer to a question that is not about safety ("how long were partitions without a
 * consumer?"). `count` is any name `expect:` accepts (a model count, `latency.p99`, ...).
 */
export interface CompareMeasure {
  count: string;
  label: string;
  better: 'lower' | 'higher';
  unit: MeasureUnit;
}

/** The unit a measure's name implies when the file does not say: `...Ms`, `...MsMax` in ms; latencies in µs. */
export function impliedUnit(count: string): MeasureUnit {
  if (/Ms(Max|Min|Mean|Total|P\d+)?$/.test(count)) return 'ms';
  if (count.startsWith('latency.') || count === 'virtualTime' || count === 'delay.errorMax') return 'us';
  return 'count';
}

/** One variant of a compare file, as written: its system, role mapping and system sections. */
export interface CompareVariant {
  name: string;
  system: string;
  description?: string;
  roles: Record<string, unknown>;
  producer: RawRecord;
  consumer: RawRecord;
  /** Per logical producer id, fields merged into that producer only (after `producer`). */
  producers: Record<string, RawRecord>;
  /** Consumers only this variant has (a pattern's plumbing), appended to the logical ones as written. */
  extraConsumers: RawRecord[];
  /** The variant's system sections as written (cluster, topics, queues, exchanges...), expect included. */
  sections: RawRecord;
}
