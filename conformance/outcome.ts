/**
 * What every system's probes share: an observable outcome is a flat record of named fields
 * (each a JSON value: a list of deliveries in order, confirms by message id, errors by their
 * real names...), so a real broker's outcome, a recording and the model's outcome compare field
 * by field, whatever the system. A system (rabbitmq now; kafka and rocketmq later) plugs in with
 * its probes, a runner against the real broker and a runner through the model (systems.ts).
 */

export type OutcomeValue = string | number | boolean | null | OutcomeValue[] | { [key: string]: OutcomeValue };
export type Outcome = Record<string, OutcomeValue>;

export interface FieldDifference {
  readonly field: string;
  readonly expected: OutcomeValue | undefined;
  readonly actual: OutcomeValue | undefined;
}

/** Canonical JSON (sorted object keys) so two equal values print the same. */
export function canonical(value: OutcomeValue | undefined): string {
  if (value === undefined) return 'absent';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fields where two outcomes differ (a field missing on one side differs too). */
export function compareOutcomes(expected: Outcome, actual: Outcome): FieldDifference[] {
  const fields = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences: FieldDifference[] = [];
  for (const field of fields) {
    if (canonical(expected[field]) !== canonical(actual[field])) differences.push({ field, expected: expected[field], actual: actual[field] });
  }
  return differences;
}

/** Recorded real outcomes of one system at one version (conformance/recorded/<system>-<version>.json). */
export interface Recording {
  readonly system: string;
  readonly version: string;
  /** Where a system has several: the mode the broker ran in (Kafka: kraft or zookeeper). */
  readonly mode?: string;
  readonly outcomes: Record<string, Outcome>;
}
