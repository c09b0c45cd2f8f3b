import type { NodeContext } from '../../../../sim/node.js';
import { timersOf } from '../../../../sim/timers.js';
import { coordinatorPartition } from '../../coordinator.js';
import { OFFSETS_TOPIC } from '../../group-metadata-manager.js';
import { note } from '../../notes.js';
import {
  sendTo, HEADER_BYTES,
  type AddOffsetsToTxn, type AddPartitionsToTxn, type EndTxn, type InitProducerId, type KafkaError, type KafkaMessage, type LogRecord, type WriteTxnMarkersResponse,
} from '../../protocol.js';
import type { BrokerConfig } from '../../schema.js';
import type { KafkaStats } from '../../stats.js';
import { TransactionMarkerChannelManager, type MarkerJob, type MarkerTimer } from './transaction-marker-channel-manager.js';
import { encodeMetadata, encodeTombstone, readTransactionLog, validTransition, type Loaded, type TransactionState } from './transaction-state-manager.js';

/**
 * The transaction coordinator (Kafka's TransactionCoordinator, KIP-98): every broker runs one;
 * a transactional.id's coordinator is the leader of `__transaction_state` partition
 * abs(transactionalId.hashCode) % transaction.state.log.num.partitions. It answers
 * InitProducerId (a producer id per transactional.id, its epoch bumped at every new instance,
 * which fences the older one and aborts its open transaction), AddPartitionsToTxn, AddOffsetsToTxn
 * (KIP-98: the group's `__consumer_offsets` partition joins the transaction like any other, so it
 * gets the transaction's marker, which is what makes the group coordinator's pending
 * TxnOffsetCommit offsets visible or drops them) and EndTxn;
 * writes each state change to its partition's log before acting on it
 * (transaction-state-manager.ts); has the markers written by the marker channel
 * (transaction-marker-channel-manager.ts); aborts transactions open longer than their
 * transaction.timeout.ms (checked every transaction.abort.timed.out.transaction.cleanup.interval.ms),
 * bumping the epoch; expires transactional.ids idle for transactional.id.expiration.ms (checked
 * every transaction.remove.expired.transaction.cleanup.interval.ms); and when it takes a
 * partition over completes the transactions the log shows in PrepareCommit / PrepareAbort.
 */

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export type TransactionCoordinatorTimer = MarkerTimer | { tag: 'txn-abort-timed-out'; data: undefined } | { tag: 'txn-remove-expired'; data: undefined };
const timers = timersOf<TransactionCoordinatorTimer>();

export interface TransactionCoordinatorHost {
  isLeaderOf(partition: number): boolean;
  /** Appends to this broker's __transaction_state partition (acks=all); `done` when replicated or failed. */
  append(partition: number, records: { msg: string; key: string }[], done: (error: KafkaError) => void): void;
  readAll(partition: number): LogRecord[];
  /** A new producer id from the broker's ProducerIdManager. */
  allocateProducerId(done: (producerId: number) => void): void;
  /** A partition's leader from the metadata cache. */
  leaderOf(partition: string): string | null;
}

export class TransactionCoordinator {
  private readonly txns = new Map<string, Loaded>();
  /** __transaction_state partitions this broker leads, with the leader epoch it loaded them at (the coordinator epoch). */
  private readonly loaded = new Map<number, number>();
  private readonly markers: TransactionMarkerChannelManager;
  private readonly jobs = new Map<string, MarkerJob>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly host: TransactionCoordinatorHost,
    private readonly config: BrokerConfig,
    private readonly stats: KafkaStats,
  ) {
    this.markers = new TransactionMarkerChannelManager(ctx, (p) => host.leaderOf(p));
    timers.set(ctx, config.transactionAbortTimedOutInterval, 'txn-abort-timed-out', undefined);
    timers.set(ctx, config.transactionRemoveExpiredInterval, 'txn-remove-expired', undefined);
  }

  partitionFor(transactionalId: string): number {
    return coordinatorPartition(transactionalId, this.config.transactionStatePartitions);
  }

  onTimer(...args: [tag: 'txn-abort-timed-out', data: undefined] | [tag: 'txn-remove-expired', data: undefined] | [tag: 'txn-marker-retry', data: MarkerJob] | [tag: 'txn-marker-timeout', data: number]): void {
    if (args[0] === 'txn-remove-expired') {
      timers.set(this.ctx, this.config.transactionRemoveExpiredInterval, 'txn-remove-expired', undefined);
      return this.removeExpired();
    }
    if (args[0] === 'txn-abort-timed-out') {
      timers.set(this.ctx, this.config.transactionAbortTimedOutInterval, 'txn-abort-timed-out', undefined);
      return this.abortTimedOut();
    }
    this.markers.onTimer(...args);
  }

  onWriteTxnMarkersResponse(response: WriteTxnMarkersResponse): void {
    this.markers.onResponse(response);
  }

  // ------------------------------------------------------------------ load / unload (coordinator failover)

  /** This broker became leader of __transaction_state-`partition`: its transactions from the log; Prepare* ones are completed. */
  load(partition: number, coordinatorEpoch: number): void {
    this.unload(partition);
    this.loaded.set(partition, coordinatorEpoch);
    for (const m of readTransactionLog(this.host.readAll(partition)).values()) {
      const txn: Loaded = { ...m, partition, pending: null, lastUpdate: m.startTime };
      this.txns.set(m.transactionalId, txn);
      note(this.ctx, 'txn-coordinator-loaded', { transactionalId: m.transactionalId, partition, state: m.state, producerId: m.producerId, epoch: m.producerEpoch });
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') this.writeMarkers(txn, m.state === 'PrepareCommit');
    }
  }

  unload(partition: number): void {
    this.loaded.delete(partition);
    for (const [id, txn] of [...this.txns]) {
      if (txn.partition !== partition) continue;
      this.txns.delete(id);
      const job = this.jobs.get(id);
      if (job) job.cancelled = true;
      this.jobs.delete(id);
    }
  }

  /** Transactions this broker coordinates (for tests and the drill). */
  inspect(transactionalId: string): Readonly<Loaded> | undefined {
    return this.txns.get(transactionalId);
  }

  // ------------------------------------------------------------------ requests

  private reply(to: string, message: KafkaMessage): void {
    sendTo(this.ctx, to, message, HEADER_BYTES);
  }

  /** The transactional.id's entry when this broker coordinates it, else the error to answer. */
  private owned(transactionalId: string): { partition: number; txn: Loaded | undefined } | KafkaError {
    const partition = this.partitionFor(transactionalId);
    if (!this.loaded.has(partition) || !this.host.isLeaderOf(partition)) return 'NOT_COORDINATOR';
    return { partition, txn: this.txns.get(transactionalId) };
  }

  onInitProducerId(from: string, request: InitProducerId): void {
    const transactionalId = request.transactionalId!;
    const answer = (error: KafkaError, producerId = -1, producerEpoch = -1) => this.reply(from, { type: 'InitProducerIdResponse', id: request.id, error, producerId, producerEpoch });
    const found = this.owned(transactionalId);
    if (typeof found === 'string') return answer(found);
    const timeoutMs = request.transactionTimeoutMs ?? 60_000;
    if (timeoutMs > this.config.transactionMaxTimeoutMs) return answer('INVALID_TRANSACTION_TIMEOUT');
    const txn = found.txn;
    if (!txn) {
      this.host.allocateProducerId((producerId) => {
        const again = this.owned(transactionalId);
        if (typeof again === 'string') return answer(again);
        if (again.txn) return answer('CONCURRENT_TRANSACTIONS');
        const fresh: Loaded = { transactionalId, producerId, producerEpoch: 0, timeoutMs, state: 'Empty', partitions: [], startTime: this.ctx.now(), partition: found.partition, pending: null, lastUpdate: this.ctx.now() };
        this.txns.set(transactionalId, fresh);
        this.write(fresh, {}, (error) => {
          if (error !== 'NONE') {
            if (this.txns.get(transactionalId) === fresh) this.txns.delete(transactionalId);
            return answer(error);
          }
          note(this.ctx, 'txn-producer-id', { transactionalId, producerId, epoch: 0 });
          answer('NONE', producerId, 0);
        });
      });
      return;
    }
    if (txn.pending !== null || txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return answer('CONCURRENT_TRANSACTIONS');
    if (txn.state === 'Ongoing') {
      // A new instance of the producer: fence the old one (epoch + 1) and abort its transaction;
      // this instance retries once the abort is complete (and bumps the epoch again).
      this.stats.transactionsFenced++;
      note(this.ctx, 'txn-fenced-by-new-instance', { transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch + 1 });
      this.abort(txn, 'fenced');
      return answer('CONCURRENT_TRANSACTIONS');
    }
    this.write(txn, { state: 'Empty', producerEpoch: txn.producerEpoch + 1, timeoutMs, partitions: [] }, (error) => {
      if (error !== 'NONE') return answer(error);
      note(this.ctx, 'txn-producer-id', { transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch });
      answer('NONE', txn.producerId, txn.producerEpoch);
    });
  }

  /** The checks AddPartitionsToTxn and EndTxn share: producer id mapping and epoch. */
  private check(txn: Loaded | undefined, producerId: number, producerEpoch: number): KafkaError {
    if (!txn || txn.producerId !== producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    // KIP-588: an older epoch is a zombie: PRODUCER_FENCED.
    if (producerEpoch < txn.producerEpoch) return 'PRODUCER_FENCED';
    if (producerEpoch > txn.producerEpoch) return 'INVALID_PRODUCER_EPOCH';
    if (txn.pending !== null || txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return 'CONCURRENT_TRANSACTIONS';
    return 'NONE';
  }

  onAddPartitionsToTxn(from: string, request: AddPartitionsToTxn): void {
    const answer = (error: KafkaError) => this.reply(from, { type: 'AddPartitionsToTxnResponse', id: request.id, error });
    const found = this.owned(request.transactionalId);
    if (typeof found === 'string') return answer(found);
    const txn = found.txn;
    if (request.verifyOnly) return answer(this.verify(txn, request));
    const error = this.check(txn, request.producerId, request.producerEpoch);
    if (error !== 'NONE') {
      if (error === 'PRODUCER_FENCED') this.stats.fencedTxnRequests++;
      return answer(error);
    }
    const t = txn!;
    const added = request.partitions.filter((p) => !t.partitions.includes(p));
    if (t.state === 'Ongoing' && added.length === 0) return answer('NONE');
    const startTime = t.state === 'Ongoing' ? t.startTime : this.ctx.now();
    this.write(t, { state: 'Ongoing', partitions: [...(t.state === 'Ongoing' ? t.partitions : []), ...added], startTime }, answer);
  }

  /** AddOffsetsToTxn: the partition of __consumer_offsets that holds `groupId` joins the transaction (TransactionCoordinator.handleAddPartitionsToTransaction). */
  onAddOffsetsToTxn(from: string, request: AddOffsetsToTxn): void {
    const partition = `${OFFSETS_TOPIC}-${coordinatorPartition(request.groupId, this.config.offsetsTopicPartitions)}`;
    const answer = (error: KafkaError) => this.reply(from, { type: 'AddOffsetsToTxnResponse', id: request.id, error });
    const found = this.owned(request.transactionalId);
    if (typeof found === 'string') return answer(found);
    const error = this.check(found.txn, request.producerId, request.producerEpoch);
    if (error !== 'NONE') {
      if (error === 'PRODUCER_FENCED') this.stats.fencedTxnRequests++;
      return answer(error);
    }
    const t = found.txn!;
    if (t.state === 'Ongoing' && t.partitions.includes(partition)) return answer('NONE');
    const startTime = t.state === 'Ongoing' ? t.startTime : this.ctx.now();
    this.write(t, { state: 'Ongoing', partitions: [...(t.state === 'Ongoing' ? t.partitions : []), partition], startTime }, answer);
  }

  /** KIP-890 verification from a partition leader: are these partitions in the ongoing transaction of this producer epoch? */
  private verify(txn: Loaded | undefined, request: AddPartitionsToTxn): KafkaError {
    if (!txn || txn.producerId !== request.producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (request.producerEpoch !== txn.producerEpoch) return 'PRODUCER_FENCED';
    if (txn.state !== 'Ongoing' || !request.partitions.every((p) => txn.partitions.includes(p))) return 'INVALID_TXN_STATE';
    return 'NONE';
  }

  onEndTxn(from: string, request: EndTxn): void {
    const answer = (error: KafkaError) => this.reply(from, { type: 'EndTxnResponse', id: request.id, error });
    const found = this.owned(request.transactionalId);
    if (typeof found === 'string') return answer(found);
    const txn = found.txn;
    const error = this.check(txn, request.producerId, request.producerEpoch);
    const t = txn!;
    if (error === 'CONCURRENT_TRANSACTIONS' && t.pending === null) {
      // EndTxn retried while its markers are being written.
      return answer(t.state === (request.committed ? 'PrepareCommit' : 'PrepareAbort') ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE');
    }
    if (error !== 'NONE') {
      if (error === 'PRODUCER_FENCED') this.stats.fencedTxnRequests++;
      return answer(error);
    }
    if (t.state === (request.committed ? 'CompleteCommit' : 'CompleteAbort')) return answer('NONE'); // a retry of one already done
    if (t.state !== 'Ongoing') return answer('INVALID_TXN_STATE');
    const prepare: TransactionState = request.committed ? 'PrepareCommit' : 'PrepareAbort';
    this.write(t, { state: prepare }, (e) => {
      answer(e);
      if (e === 'NONE') this.writeMarkers(t, request.committed);
    });
  }

  // ------------------------------------------------------------------ aborts, markers, completion

  /** Aborts an Ongoing transaction from the coordinator's side (timeout, or a new instance): epoch + 1, PrepareAbort, markers. */
  private abort(txn: Loaded, why: 'timeout' | 'fenced'): void {
    this.write(txn, { state: 'PrepareAbort', producerEpoch: txn.producerEpoch + 1 }, (error) => {
      if (error !== 'NONE') return;
      note(this.ctx, 'txn-aborted-by-coordinator', { transactionalId: txn.transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch, reason: why });
      this.writeMarkers(txn, false);
    });
  }

  /** 'txn-abort-timed-out': transactions Ongoing for longer than their transaction.timeout.ms are aborted. */
  private abortTimedOut(): void {
    const now = this.ctx.now();
    for (const txn of this.txns.values()) {
      if (txn.state !== 'Ongoing' || txn.pending !== null) continue;
      if (now - txn.startTime <= txn.timeoutMs * 1_000) continue;
      this.stats.transactionsTimedOut++;
      note(this.ctx, 'txn-timed-out', { transactionalId: txn.transactionalId, producerId: txn.producerId, openMs: Math.round((now - txn.startTime) / 1000), timeoutMs: txn.timeoutMs });
      this.abort(txn, 'timeout');
    }
  }

  /**
   * 'txn-remove-expired' (TransactionStateManager.removeExpiredTransactionalIds): a
   * transactional.id with no transaction open (Empty, CompleteCommit, CompleteAbort) and no
   * update for transactional.id.expiration.ms gets a tombstone in its __transaction_state
   * partition and is forgotten once that is written.
   */
  private removeExpired(): void {
    const now = this.ctx.now();
    for (const txn of [...this.txns.values()]) {
      if (txn.pending !== null || (txn.state !== 'Empty' && txn.state !== 'CompleteCommit' && txn.state !== 'CompleteAbort')) continue;
      if (now - txn.lastUpdate < this.config.transactionalIdExpiration || !this.host.isLeaderOf(txn.partition)) continue;
      txn.pending = txn.state; // no request for this id meanwhile (CONCURRENT_TRANSACTIONS)
      this.host.append(txn.partition, [encodeTombstone(txn.transactionalId)], (error) => {
        txn.pending = null;
        if (error !== 'NONE' || this.txns.get(txn.transactionalId) !== txn) return;
        this.txns.delete(txn.transactionalId);
        this.stats.transactionalIdsExpired++;
        note(this.ctx, 'txn-id-expired', { transactionalId: txn.transactionalId, producerId: txn.producerId, idleMs: Math.round((now - txn.lastUpdate) / 1000) });
      });
    }
  }

  private writeMarkers(txn: Loaded, committed: boolean): void {
    const job: MarkerJob = {
      transactionalId: txn.transactionalId, producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed,
      coordinatorEpoch: this.loaded.get(txn.partition) ?? -1, remaining: new Set(txn.partitions), cancelled: false,
      done: () => {
        this.jobs.delete(txn.transactionalId);
        if (this.txns.get(txn.transactionalId) !== txn) return;
        this.write(txn, { state: committed ? 'CompleteCommit' : 'CompleteAbort', partitions: [] }, (error) => {
          if (error !== 'NONE') return;
          if (committed) this.stats.transactionsCommitted++;
          else this.stats.transactionsAborted++;
          note(this.ctx, 'txn-completed', { transactionalId: txn.transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch, state: txn.state });
        });
      },
    };
    this.jobs.set(txn.transactionalId, job);
    this.markers.start(job);
  }

  /**
   * Writes the entry with `change` applied to the log, then applies it in memory and calls
   * `done` (the coordinator acts only on what its log holds). A failed write leaves the entry
   * as it was; NOT_LEADER_OR_FOLLOWER is answered as NOT_COORDINATOR.
   */
  private write(txn: Loaded, change: Partial<Pick<Loaded, 'state' | 'producerEpoch' | 'timeoutMs' | 'partitions' | 'startTime'>>, done: (error: KafkaError) => void): void {
    const next = { ...txn, ...change };
    if (change.state !== undefined && !validTransition(txn.state, change.state) && txn.state !== change.state) {
      throw new Error(`transaction ${txn.transactionalId}: ${txn.state} -> ${change.state} is not a valid transition`);
    }
    txn.pending = next.state;
    this.host.append(txn.partition, [encodeMetadata(next)], (error) => {
      txn.pending = null;
      if (error !== 'NONE') return done(error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : error);
      if (this.txns.get(txn.transactionalId) !== txn) return done('NOT_COORDINATOR');
      Object.assign(txn, change);
      txn.lastUpdate = this.ctx.now();
      done('NONE');
    });
  }
}
