import { formatDuration, type Micros } from '../../../sim/time.js';
import type { PartitionCursor, Work } from '../consumer.js';
import type { Forwarder } from './forwarder.js';
import type { RecordPattern } from './index.js';

/**
 * Kafka has no delayed delivery; the seed article's recipe is a delay topic read by a scheduler
 * consumer that forwards each message to the real topic once it is due. This one serves a delay
 * topic whose every record waits `delay`: a record is due at its timestamp (CreateTime, the
 * producer's clock at send()) plus `delay`, by the scheduler's own clock.
 *
 * The loop (KafkaConsumer API): poll(pollTimeout); for each record in order, if due, producer.send()
 * it to `target` (same key, so the target partition is partitionForKey(key)); if not, pause() its
 * partition and seek() back to it, since everything behind it in the partition is due later still.
 * Then flush() and commitSync() what was forwarded. After every poll() (at least every pollTimeout,
 * the loop keeps calling poll() so the member stays within max.poll.interval.ms) it resume()s the
 * partitions whose head is due, and the next fetch brings that head back. A message therefore
 * leaves up to pollTimeout late, plus a fetch and a replicated produce: the granularity of this
 * design, which the delay checker measures (delay.p50, delay.max).
 */
export interface DelaySchedulerSpec {
  /** The delay every record of the delay topic waits (a fixed-delay topic). */
  delay: Micros;
  /** The topic due records are forwarded to. */
  target: string;
  /** poll(Duration) timeout of the scheduler's loop (default 1s). */
  pollTimeout?: Micros;
}

export class DelayScheduler implements RecordPattern {
  readonly paused = new Set<PartitionCursor>();
  readonly pollTimeout: Micros;

  constructor(private readonly spec: DelaySchedulerSpec, readonly forwarder: Forwarder) {
    this.pollTimeout = spec.pollTimeout ?? 1_000_000;
  }

  handle(item: Work, now: Micros): 'forwarded' | Micros {
    const due = item.record.time + this.spec.delay;
    if (now < due) return due;
    this.forwarder.send(this.spec.target, item.record);
    return 'forwarded';
  }

  describe(): string {
    return `delay scheduler: each record due ${formatDuration(this.spec.delay)} after its timestamp, forwarded to ${this.spec.target}; poll timeout ${formatDuration(this.pollTimeout)}`;
  }
}
