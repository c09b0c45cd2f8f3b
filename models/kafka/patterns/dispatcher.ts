import type { Micros } from '../../../sim/time.js';
import { partitionForKey } from '../partitioner.js';
import type { PartitionCursor, Work } from '../consumer.js';
import type { Forwarder } from './forwarder.js';
import type { RecordPattern } from './index.js';

/**
 * The seed article's cure for a backlog: a dispatcher consumer that re-produces every record of
 * a backlogged topic to one of N topics, each consumed by its own group, so N times as many
 * consumers work in parallel (a group is capped by its topic's partition count). `by: key` picks
 * topic toPositive(murmur2(key)) % N (a key stays on one topic, so per-key order holds);
 * `by: round-robin` takes them in turn (unkeyed records too). Forwarding is the consume-produce
 * loop: send each record, flush(), commitSync(): at-least-once.
 */
export interface DispatchSpec {
  /** The N topics records are fanned out to. */
  targets: string[];
  /** How a record's topic is chosen (default key; unkeyed records go round robin). */
  by?: 'key' | 'round-robin';
}

export class Dispatcher implements RecordPattern {
  readonly paused = new Set<PartitionCursor>();
  readonly pollTimeout: Micros = 0;
  private next = 0;

  constructor(private readonly spec: DispatchSpec, readonly forwarder: Forwarder) {}

  handle(item: Work): 'forwarded' {
    const targets = this.spec.targets;
    const key = item.record.key;
    const index = (this.spec.by ?? 'key') === 'key' && key !== undefined ? partitionForKey(key, targets.length) : this.next++ % targets.length;
    this.forwarder.send(targets[index]!, item.record);
    return 'forwarded';
  }

  describe(): string {
    return `dispatcher: fans out to ${this.spec.targets.join(', ')} by ${this.spec.by ?? 'key'}`;
  }
}
