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
  lastSeq: number;
  /** [firstSeq, lastSeq, lastOffset] of the last batches, oldest first. */
  batches: { first: number; last: number; lastOffset: number }[];
}

export const PRODUCER_BATCHES_KEPT = 5;

/** What the leader does with an idempotent batch (first..last sequence). */
export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; lastOffset: number }
  | { kind: 'out-of-order'; lastSequence: number };

const APPEND: SequenceCheck = { kind: 'append' };

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Checks a batch's sequence numbers against what this producer id last wrote here. */
  check(producerId: number, first: number, last: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (!entry) return APPEND;
    const dup = entry.batches.find((b) => b.first === first && b.last === last);
    if (dup) return { kind: 'duplicate', lastOffset: dup.lastOffset };
    if (first !== entry.lastSeq + 1) return { kind: 'out-of-order', lastSequence: entry.lastSeq };
    return APPEND;
  }

  /** Takes an appended record into account (only a batch's last record moves the state). */
  update(record: LogRecord): void {
    if (record.pid < 0 || !record.last) return;
    let entry = this.producers.get(record.pid);
    if (!entry) {
      entry = { lastSeq: -1, batches: [] };
      this.producers.set(record.pid, entry);
    }
    entry.lastSeq = record.seq;
    entry.batches.push({ first: record.batchFirst, last: record.seq, lastOffset: record.offset });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
  }

  clear(): void {
    this.producers.clear();
  }
}
