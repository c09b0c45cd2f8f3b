import type { LogRecord } from '../../protocol.js';
import type { Micros } from '../../../../sim/time.js';

/**
 * The transaction coordinator's state (Kafka's TransactionStateManager and TransactionMetadata,
 * core/src/main/scala/kafka/coordinator/transaction/): one entry per transactional.id, kept in
 * memory for the `__transaction_state` partitions this broker leads and written to that
 * partition's log (key = transactional.id, value = the whole entry) before the coordinator acts
 * on it. A coordinator that takes a partition over rebuilds its entries from the log: the last
 * value of each key wins.
 *
 * States (TransactionState.scala): Empty -> Ongoing (AddPartitionsToTxn) -> PrepareCommit or
 * PrepareAbort (EndTxn, a timeout, or a new instance fencing this one) -> CompleteCommit or
 * CompleteAbort (every partition has its marker) -> Ongoing again with the next transaction.
 */

export const TRANSACTION_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

/** Allowed transitions (TransactionState.validPreviousStates, without Dead and PrepareEpochFence). */
const VALID_PREVIOUS: Record<TransactionState, readonly TransactionState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
};

export function validTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** One transactional.id's metadata (what __transaction_state stores). */
export interface TransactionMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** transaction.timeout.ms the producer asked for, in ms. */
  timeoutMs: number;
  state: TransactionState;
  /** The transaction's partitions ("topic-partition"). */
  partitions: string[];
  /** When the current transaction started (the first AddPartitionsToTxn), coordinator clock. */
  startTime: Micros;
}

/** A state write in flight: requests for the same id meanwhile get CONCURRENT_TRANSACTIONS. */
export interface Loaded extends TransactionMetadata {
  /** The __transaction_state partition it lives on. */
  partition: number;
  pending: TransactionState | null;
  /**
   * The last state write (Kafka's txnLastUpdateTimestamp), for transactional.id.expiration.ms.
   * Kept in memory: a coordinator that loads the entry starts from its transaction's start time.
   */
  lastUpdate: Micros;
}

/** The tombstone an expired transactional.id gets (Kafka writes a null value). */
export function encodeTombstone(transactionalId: string): { key: string; msg: string } {
  return { key: transactionalId, msg: '' };
}

export function encodeMetadata(m: TransactionMetadata): { key: string; msg: string } {
  const value = { producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: m.state, partitions: m.partitions, startTime: m.startTime };
  return { key: m.transactionalId, msg: JSON.stringify(value) };
}

/** The last written metadata of every transactional.id in a __transaction_state partition's records. */
export function readTransactionLog(records: readonly LogRecord[]): Map<string, TransactionMetadata> {
  const out = new Map<string, TransactionMetadata>();
  for (const r of records) {
    if (r.key === undefined || r.control !== undefined) continue;
    if (r.msg === '') {
      out.delete(r.key); // an expired transactional.id's tombstone
      continue;
    }
    const v = JSON.parse(r.msg) as Omit<TransactionMetadata, 'transactionalId'>;
    out.set(r.key, { transactionalId: r.key, ...v, partitions: [...v.partitions] });
  }
  return out;
}
