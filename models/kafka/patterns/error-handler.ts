import type { NodeContext } from '../../../sim/node.js';
import type { RandomStream } from '../../../sim/random.js';
import { formatDuration, type Micros } from '../../../sim/time.js';
import type { PartitionCursor, Work } from '../consumer.js';
import { note } from '../notes.js';
import type { KafkaStats } from '../stats.js';
import type { Forwarder } from './forwarder.js';
import type { RecordPattern } from './index.js';

/**
 * What a Kafka application does when processing a record fails (`failureRate`): the broker has no
 * redelivery and no dead-letter queue, so the consumer application decides. Modelled as Spring for
 * Apache Kafka does it (the vocabulary of `errorHandling`):
 *
 * - blocking (DefaultErrorHandler with a FixedBackOff): the failed record's partition is sought
 *   back to it and the record processed again after `backoff`, up to `attempts` in all; the records
 *   behind it in that partition wait (head-of-line blocking). Then the recoverer: with `dlt` the
 *   record is produced to `<topic>-dlt` (DeadLetterPublishingRecoverer), without it it is logged
 *   and skipped, its offset committed past: the message is never delivered. Without `errorHandling`
 *   a failing consumer gets Spring's default: blocking, 10 attempts, no back-off, no DLT.
 * - retry-topics (@RetryableTopic, non-blocking): the failed record is produced to the first retry
 *   topic `<topic>-retry-<backoff>` (e.g. orders-retry-5s) and the partition goes on; the same
 *   group consumes each retry topic, holding a record (pause and seek) until its timestamp plus the
 *   topic's back-off, and sends a record that fails again to the next retry topic, then to
 *   `<topic>-dlt`. Attempts = 1 + the number of retry topics. Per-key order is lost.
 *
 * A successful processing is the delivery; produced records are flushed before the offsets are
 * committed (at-least-once). Counts: `retried` (attempts after the first), `deadLettered`,
 * `recordsSkipped` (given up without a DLT).
 */
export type ErrorHandlingSpec =
  | { mode: 'blocking'; attempts?: number; backoff?: Micros; dlt?: boolean }
  | { mode: 'retry-topics'; backoff: Micros[]; dlt?: boolean };

/** Spring Kafka's DefaultErrorHandler default: FixedBackOff(0, 9), i.e. 10 attempts, then logged. */
export const SPRING_DEFAULT: ErrorHandlingSpec = { mode: 'blocking', attempts: 10, backoff: 0, dlt: false };

export function retryTopicName(topic: string, backoff: Micros): string {
  return `${topic}-retry-${formatDuration(backoff)}`;
}

export function dltName(topic: string): string {
  return `${topic}-dlt`;
}

/** The topics an error-handling spec writes to (and, retry topics, reads), besides the main one. */
export function errorHandlingTopics(topic: string, spec: ErrorHandlingSpec): { retry: string[]; dlt: string | null } {
  return {
    retry: spec.mode === 'retry-topics' ? spec.backoff.map((b) => retryTopicName(topic, b)) : [],
    // Blocking: no DLT unless asked (the default recoverer logs); retry topics: a DLT unless NO_DLT.
    dlt: (spec.mode === 'retry-topics' ? spec.dlt !== false : spec.dlt === true) ? dltName(topic) : null,
  };
}

export class ErrorHandler implements RecordPattern {
  readonly paused = new Set<PartitionCursor>();
  readonly pollTimeout: Micros;
  private readonly retryTopics: string[];
  private readonly dlt: string | null;
  /** Blocking mode: attempts so far of the record at "partition@offset". */
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly spec: ErrorHandlingSpec,
    topic: string,
    private readonly failureRate: number,
    private readonly failures: RandomStream,
    private readonly ctx: NodeContext,
    private readonly stats: KafkaStats | undefined,
    readonly forwarder: Forwarder,
  ) {
    const topics = errorHandlingTopics(topic, spec);
    this.retryTopics = topics.retry;
    this.dlt = topics.dlt;
    const shortest = spec.mode === 'blocking' ? (spec.backoff ?? 0) : Math.min(...spec.backoff);
    // The container's loop polls at least this often, so a held partition is resumed in time.
    this.pollTimeout = Math.max(10_000, Math.min(1_000_000, shortest));
  }

  handle(item: Work, now: Micros): 'forwarded' | 'delivered' | Micros {
    const { record, cursor } = item;
    const retryIndex = this.retryTopics.indexOf(cursor.topic);
    if (retryIndex >= 0 && this.spec.mode === 'retry-topics') {
      const due = record.time + this.spec.backoff[retryIndex]!;
      if (now < due) return due;
    }
    const failed = this.failureRate > 0 && this.failures.chance(this.failureRate);
    const key = `${cursor.queue}@${record.offset}`;
    if (!failed) {
      this.attempts.delete(key);
      return 'delivered';
    }
    note(this.ctx, 'processing-failed', { partition: cursor.queue, offset: record.offset, msg: record.msg });
    if (this.spec.mode === 'blocking') {
      const attempt = this.attempts.get(key) ?? 1;
      if (attempt < (this.spec.attempts ?? 10)) {
        this.attempts.set(key, attempt + 1);
        if (this.stats) this.stats.retried++;
        note(this.ctx, 'record-retried-in-place', { partition: cursor.queue, offset: record.offset, attempt: attempt + 1 });
        return now + (this.spec.backoff ?? 0);
      }
      this.attempts.delete(key);
      return this.recover(item);
    }
    const next = retryIndex + 1;
    if (next < this.retryTopics.length) {
      if (this.stats) this.stats.retried++;
      note(this.ctx, 'record-to-retry-topic', { partition: cursor.queue, offset: record.offset, topic: this.retryTopics[next] });
      this.forwarder.send(this.retryTopics[next]!, record);
      return 'forwarded';
    }
    return this.recover(item);
  }

  /** After the last attempt: the dead-letter topic, or logged and skipped. */
  private recover(item: Work): 'forwarded' {
    if (this.dlt !== null) {
      if (this.stats) this.stats.deadLettered++;
      note(this.ctx, 'record-dead-lettered', { partition: item.cursor.queue, offset: item.record.offset, topic: this.dlt });
      this.forwarder.send(this.dlt, item.record);
    } else if (this.stats) this.stats.recordsSkipped++;
    return 'forwarded';
  }

  describe(): string {
    const spec = this.spec;
    const end = this.dlt !== null ? `then ${this.dlt}` : 'then logged and skipped';
    if (spec.mode === 'blocking') return `error handler (blocking): ${spec.attempts ?? 10} attempts, back-off ${formatDuration(spec.backoff ?? 0)}, ${end}; failure rate ${this.failureRate}`;
    return `retryable topics (non-blocking): ${this.retryTopics.join(', ')}, ${end}; failure rate ${this.failureRate}`;
  }
}
