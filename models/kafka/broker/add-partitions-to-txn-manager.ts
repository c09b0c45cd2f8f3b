import type { NodeContext } from '../../../sim/node.js';
import { timersOf } from '../../../sim/timers.js';
import type { Micros } from '../../../sim/time.js';
import { coordinatorPartition } from '../coordinator.js';
import { sendTo, HEADER_BYTES, type AddPartitionsToTxnResponse, type KafkaError } from '../protocol.js';

/**
 * KIP-890 part 1, partition verification (Kafka's AddPartitionsToTxnManager, 3.6+): before a
 * partition leader appends a transactional batch for a producer that has no transaction open on
 * the partition, it asks the transactional.id's coordinator (AddPartitionsToTxn v4, verifyOnly)
 * whether the partition is in that producer's ongoing transaction at that epoch. A late Produce
 * of a transaction that was already aborted is thus refused (INVALID_TXN_STATE) instead of
 * opening a transaction nobody will end (a hanging transaction).
 *
 * Errors that only mean "ask again" (no coordinator known, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS,
 * COORDINATOR_LOAD_IN_PROGRESS, no answer) are returned to the producer as NOT_ENOUGH_REPLICAS,
 * as Kafka does so that clients older than the feature retry them.
 */

/** The broker's request timeout for the verification (request.timeout.ms default). */
const VERIFY_TIMEOUT: Micros = 30_000_000;

export type VerifyTimer = { tag: 'txn-verify-timeout'; data: number };
const timers = timersOf<VerifyTimer>();

const RETRY_AS_NOT_ENOUGH_REPLICAS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT',
]);

export class AddPartitionsToTxnManager {
  private readonly waiting = new Map<number, (error: KafkaError) => void>();
  private nextId = 1;

  constructor(
    private readonly ctx: NodeContext,
    private readonly transactionStatePartitions: number,
    /** The leader of __transaction_state-`partition` from the metadata cache. */
    private readonly coordinatorOf: (partition: number) => string | null,
  ) {}

  /** Verifies that `partition` is in the ongoing transaction of (producerId, epoch); `done` gets NONE or the error for the Produce. */
  verify(transactionalId: string, producerId: number, producerEpoch: number, partition: string, done: (error: KafkaError) => void): void {
    const coordinator = this.coordinatorOf(coordinatorPartition(transactionalId, this.transactionStatePartitions));
    if (coordinator === null) return done('NOT_ENOUGH_REPLICAS');
    const id = this.nextId++;
    this.waiting.set(id, (error) => done(RETRY_AS_NOT_ENOUGH_REPLICAS.has(error) ? 'NOT_ENOUGH_REPLICAS' : error));
    sendTo(this.ctx, coordinator, { type: 'AddPartitionsToTxn', transactionalId, producerId, producerEpoch, partitions: [partition], id, verifyOnly: true }, HEADER_BYTES);
    timers.set(this.ctx, VERIFY_TIMEOUT, 'txn-verify-timeout', id);
  }

  onResponse(response: AddPartitionsToTxnResponse): void {
    const done = this.waiting.get(response.id);
    if (!done) return;
    this.waiting.delete(response.id);
    done(response.error);
  }

  onTimeout(id: number): void {
    const done = this.waiting.get(id);
    if (!done) return;
    this.waiting.delete(id);
    done('REQUEST_TIMED_OUT');
  }
}
