import type { NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import { timersOf } from '../../sim/timers.js';
import { note } from './notes.js';
import { sendTo, HEADER_BYTES, type DescribeProducersResponse, type MetadataResponse, type WriteTxnMarkersResponse } from './protocol.js';
import type { KafkaStats } from './stats.js';

/**
 * What an operator does about a hanging transaction with `kafka-transactions.sh` (KIP-664, Kafka
 * 3.0+): `find-hanging` asks the partition's leader which producers it knows
 * (DescribeProducers: each producer's epoch and the first offset of the transaction it has open
 * there); `abort --topic T --partition P --start-offset O` then has the admin client send the
 * leader a WriteTxnMarkers request itself, an ABORT marker for that producer and epoch, as a
 * transaction coordinator would. The partition's open transaction ends and its last stable
 * offset moves on. The step aborts the open transaction that starts first (the one holding the
 * LSO), as an operator who read find-hanging's output would.
 */
export interface AbortTransactionStep {
  at: Micros;
  abortTransaction: { topic: string; partition: number };
}

export type TransactionsAdminTimer = { tag: 'admin-txn-next'; data: Attempt };
const timers = timersOf<TransactionsAdminTimer>();

interface Attempt {
  step: AbortTransactionStep;
  /** The next thing to ask, and of whom. */
  phase: 'metadata' | 'describe' | 'abort';
  leader: string | null;
  id: number;
  tries: number;
}

const REQUEST_TIMEOUT: Micros = 5_000_000;
const RETRY_BACKOFF: Micros = 100_000;
const MAX_TRIES = 50;

export class TransactionsAdmin {
  private readonly pending = new Map<number, Attempt>();
  private nextId = 1_000_000;
  private bootstrap = 0;

  constructor(private readonly ctx: () => NodeContext, private readonly brokers: readonly string[], private readonly stats: KafkaStats) {}

  start(step: AbortTransactionStep): void {
    this.ask({ step, phase: 'metadata', leader: null, id: 0, tries: 0 });
  }

  private ask(attempt: Attempt): void {
    const ctx = this.ctx();
    if (attempt.tries >= MAX_TRIES) {
      note(ctx, 'admin-abort-transaction-failed', { partition: this.partitionName(attempt.step), tries: attempt.tries });
      return;
    }
    const id = this.nextId++;
    const next: Attempt = { ...attempt, id, tries: attempt.tries + 1 };
    this.pending.set(id, next);
    const { topic, partition } = attempt.step.abortTransaction;
    if (next.phase === 'metadata' || next.leader === null) {
      next.phase = 'metadata';
      sendTo(ctx, this.brokers[this.bootstrap % this.brokers.length]!, { type: 'Metadata', topic, id }, HEADER_BYTES);
    } else if (next.phase === 'describe') {
      sendTo(ctx, next.leader, { type: 'DescribeProducers', topic, partition, id }, HEADER_BYTES);
    }
    timers.set(ctx, REQUEST_TIMEOUT, 'admin-txn-next', next);
  }

  private partitionName(step: AbortTransactionStep): string {
    return `${step.abortTransaction.topic}-${step.abortTransaction.partition}`;
  }

  /** A request timed out (or a retry is due): start over from Metadata. */
  onTimer(attempt: Attempt): void {
    if (attempt.id !== 0 && !this.pending.has(attempt.id)) return;
    this.pending.delete(attempt.id);
    this.bootstrap++;
    this.ask({ ...attempt, phase: 'metadata', leader: null });
  }

  private retry(attempt: Attempt): void {
    timers.set(this.ctx(), RETRY_BACKOFF, 'admin-txn-next', { ...attempt, id: 0 });
  }

  /** A response for this admin client; false when not its own. */
  receive(message: MetadataResponse | DescribeProducersResponse | WriteTxnMarkersResponse): boolean {
    const attempt = this.pending.get(message.id);
    if (!attempt) return false;
    this.pending.delete(message.id);
    const ctx = this.ctx();
    const { step } = attempt;
    switch (message.type) {
      case 'MetadataResponse': {
        const leader = message.partitions.find((p) => p.partition === step.abortTransaction.partition)?.leader ?? null;
        if (message.error !== 'NONE' || leader === null) {
          this.bootstrap++;
          this.retry(attempt);
          return true;
        }
        this.ask({ ...attempt, phase: 'describe', leader });
        return true;
      }
      case 'DescribeProducersResponse': {
        if (message.error !== 'NONE') {
          this.retry({ ...attempt, phase: 'metadata', leader: null });
          return true;
        }
        const open = message.producers.filter((p) => p.currentTxnStartOffset >= 0).sort((a, b) => a.currentTxnStartOffset - b.currentTxnStartOffset);
        const hanging = open[0];
        if (hanging === undefined) {
          note(ctx, 'admin-no-open-transaction', { partition: this.partitionName(step) });
          return true;
        }
        const id = this.nextId++;
        const next: Attempt = { ...attempt, phase: 'abort', id, tries: attempt.tries + 1 };
        this.pending.set(id, next);
        note(ctx, 'admin-abort-transaction', { partition: this.partitionName(step), producerId: hanging.producerId, epoch: hanging.producerEpoch, startOffset: hanging.currentTxnStartOffset });
        sendTo(ctx, attempt.leader!, {
          type: 'WriteTxnMarkers', producerId: hanging.producerId, producerEpoch: hanging.producerEpoch, committed: false, coordinatorEpoch: -1,
          partitions: [this.partitionName(step)], id,
        }, HEADER_BYTES + 16);
        timers.set(ctx, REQUEST_TIMEOUT, 'admin-txn-next', next);
        return true;
      }
      case 'WriteTxnMarkersResponse': {
        const error = message.errors[0]?.error ?? 'NONE';
        if (error !== 'NONE') {
          this.retry({ ...attempt, phase: 'metadata', leader: null });
          return true;
        }
        this.stats.transactionsAbortedByAdmin++;
        note(ctx, 'admin-transaction-aborted', { partition: this.partitionName(step) });
        return true;
      }
    }
  }
}
