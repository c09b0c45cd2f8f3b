import type { LogRecord } from '../protocol.js';

/**
 * A partition's producer state (Kafka's ProducerStateManager, KIP-98): per idempotent producer
 * id, the last sequence number written and the last 5 batches, rebuilt from the log after a
 * restart or a truncation. The partition leader checks every Produce batch against it: a batch
 * already written is a duplicate (answered with its offset, not written again); one that does
 * not follow the last sequence is OUT_OF_ORDER_SEQUENCE_NUMBER.
 */

/** A producer's last appended batches on one partition (Kafka keeps 5). */
export interface ProducerEntry {
  /** The producer's current epoch here: from its batches and its transaction markers (KIP-98). */
  epoch: number;
  lastSeq: number;
  /** [firstSeq, lastSeq, lastOffset] of the last batches, oldest first. */
  batches: { first: number; last: number; lastOffset: number }[];
}

export const PRODUCER_BATCHES_KEPT = 5;

/** What the leader does with an idempotent batch (first..last sequence). */
export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; lastOffset: number }
  | { kind: 'out-of-order'; lastSequence: number }
  | { kind: 'fenced'; currentEpoch: number };

const APPEND: SequenceCheck = { kind: 'append' };

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Every producer id with its entry, in id order (DescribeProducers). */
  entries(): [number, ProducerEntry][] {
    return [...this.producers].sort((a, b) => a[0] - b[0]);
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks a batch's epoch and sequence numbers against what this producer id last wrote here:
   * an older epoch is fenced (INVALID_PRODUCER_EPOCH), a newer one starts its sequences afresh.
   */
  check(producerId: number, first: number, last: number, epoch = 0): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (!entry) return APPEND;
    if (epoch < entry.epoch) return { kind: 'fenced', currentEpoch: entry.epoch };
    if (epoch > entry.epoch) return first === 0 ? APPEND : { kind: 'out-of-order', lastSequence: -1 };
    const dup = entry.batches.find((b) => b.first === first && b.last === last);
    if (dup) return { kind: 'duplicate', lastOffset: dup.lastOffset };
    if (first !== entry.lastSeq + 1) return { kind: 'out-of-order', lastSequence: entry.lastSeq };
    return APPEND;
  }

  /** Takes an appended record into account (only a batch's last record moves the state). */
  update(record: LogRecord): void {
    if (record.pid < 0) return;
    const epoch = record.producerEpoch ?? 0;
    if (record.control !== undefined) {
      // A transaction marker: the coordinator may have bumped the epoch (fencing the older one).
      const entry = this.producers.get(record.pid);
      if (!entry) this.producers.set(record.pid, { epoch, lastSeq: -1, batches: [] });
      else if (epoch > entry.epoch) {
        entry.epoch = epoch;
        entry.lastSeq = -1;
        entry.batches = [];
      }
      return;
    }
    if (!record.last) return;
    let entry = this.producers.get(record.pid);
    if (!entry) {
      entry = { epoch, lastSeq: -1, batches: [] };
      this.producers.set(record.pid, entry);
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.lastSeq = record.seq;
    entry.batches.push({ first: record.batchFirst, last: record.seq, lastOffset: record.offset });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
  }

  clear(): void {
    this.producers.clear();
  }
}
