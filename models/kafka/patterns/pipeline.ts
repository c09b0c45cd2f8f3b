import type { History } from '../../../sim/history.js';
import type { NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import type { PartitionCursor, Work } from '../consumer.js';
import { note } from '../notes.js';
import { resolveProducerConfig } from '../schema.js';
import { TransactionManager, type ConsumerGroupMetadata } from '../transaction-manager.js';
import type { Forwarder } from './forwarder.js';
import type { RecordPattern } from './index.js';

/**
 * The consume-transform-produce application (a Kafka Streams topology reduced to one processor:
 * read `input`, write each record to `output`), with Kafka Streams' `processing.guarantee`:
 *
 * - at_least_once: forward the records poll() returned, flush(), then commitSync() the consumed
 *   positions. A crash or a fenced commit between the two writes the records again: duplicates
 *   in the output. With enable.idempotence (the default) a batch resent after a lost response is
 *   not written twice, but a record processed again is a new send: still a duplicate.
 * - exactly_once_v2 (KIP-447): one transactional producer per instance (transactional.id
 *   `<group>-<instance>`, transaction.timeout.ms 10000 as Streams sets it). Each poll's records
 *   are written in a transaction, and the consumed positions go into the same transaction with
 *   sendOffsetsToTransaction(offsets, consumer.groupMetadata()); then commitTransaction(). The
 *   consumer reads with isolation.level=read_committed. A TxnOffsetCommit refused for an older
 *   generation or an unknown member (the group rebalanced under a paused instance: a zombie)
 *   aborts the transaction, and so does a producer fenced by a newer epoch; either way the
 *   instance rejoins the group and starts again from the committed offsets (Streams' task
 *   migration), with a new producer if it was fenced. A crashed instance's open transaction is
 *   aborted by its coordinator after transaction.timeout.ms, or at once when the restarted
 *   instance calls InitProducerId with the same transactional.id.
 *
 * The forwarded record keeps its message id; a read_committed consumer of the output sees each
 * input record once with exactly_once_v2.
 */

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

export interface PipelineSpec {
  output: string;
  'processing.guarantee'?: ProcessingGuarantee;
  /** The producers' enable.idempotence (default true; exactly_once_v2 needs it). */
  'enable.idempotence'?: boolean;
  /** transaction.timeout.ms of the instances' producers (Kafka Streams' default with exactly-once: 10000). */
  'transaction.timeout.ms'?: number;
}

/** How the poll loop drives an exactly-once pipeline's transactions (membership.ts). */
export interface TransactionalLoop {
  /** The producer is initialized and no transaction is completing: a batch may begin. */
  ready(): boolean;
  begin(): void;
  /**
   * sendOffsetsToTransaction + commitTransaction (or abort after an abortable error, or when
   * `offsets` is null: the batch's partitions were lost): `done` with the outcome.
   */
  commit(offsets: { partition: string; offset: number }[] | null, group: ConsumerGroupMetadata, done: (outcome: 'committed' | 'aborted' | 'fenced') => void): void;
  /** Set by the loop: called when the producer becomes ready (initialized, or re-initialized after fencing). */
  onReady: (() => void) | null;
}

export interface PipelineHost {
  ctx: NodeContext;
  history: History;
  brokers: readonly string[];
  requestTimeout: Micros;
  retryBackoff: Micros;
}

export class Pipeline implements RecordPattern {
  readonly paused = new Set<PartitionCursor>();
  readonly pollTimeout: Micros = 0;
  readonly transactional: TransactionalLoop | null;

  constructor(private readonly spec: PipelineSpec, readonly forwarder: Forwarder, host: PipelineHost) {
    this.transactional = (spec['processing.guarantee'] ?? 'at_least_once') === 'exactly_once_v2' ? new PipelineTransactions(spec, forwarder, host) : null;
  }

  handle(item: Work): 'forwarded' {
    this.forwarder.send(this.spec.output, item.record);
    return 'forwarded';
  }

  describe(): string {
    return `pipeline: forwards to ${this.spec.output}, processing.guarantee ${this.spec['processing.guarantee'] ?? 'at_least_once'}`;
  }
}

/** exactly_once_v2: the instance's transactional producer driven by the poll loop. */
class PipelineTransactions implements TransactionalLoop {
  onReady: (() => void) | null = null;
  private txn!: TransactionManager;
  private done: ((outcome: 'committed' | 'aborted' | 'fenced') => void) | null = null;
  private readonly transactionalId: string;

  constructor(private readonly spec: PipelineSpec, private readonly forwarder: Forwarder, private readonly host: PipelineHost) {
    this.transactionalId = `${host.ctx.name}-txn`; // Streams: <application.id>-<process id>-<thread>
    this.newProducer();
  }

  /** A new KafkaProducer with the instance's transactional.id: initTransactions() (fences the previous epoch). */
  private newProducer(): void {
    const config = resolveProducerConfig({ 'transactional.id': this.transactionalId, 'transaction.timeout.ms': this.spec['transaction.timeout.ms'] ?? 10_000 });
    config.requestTimeout = this.host.requestTimeout;
    config.retryBackoff = this.host.retryBackoff;
    const txn = new TransactionManager({
      ctx: this.host.ctx, history: this.host.history, brokers: this.host.brokers, config,
      producerIdChanged: () => this.forwarder.producerIdChanged(),
      outstandingBatches: () => this.forwarder.unacknowledged,
      drain: () => this.forwarder.drainAll(),
      resume: () => {
        if (this.txn === txn && txn.state === 'READY' && this.done === null) this.onReady?.();
      },
      stop: () => {
        if (this.txn !== txn) return;
        this.forwarder.dropAll();
        const done = this.done;
        this.done = null;
        if (done) done('fenced');
      },
      ended: (outcome) => {
        const done = this.done;
        this.done = null;
        if (done) done(outcome);
      },
    }, null);
    this.txn = txn;
    this.forwarder.txn = txn;
    txn.init();
  }

  ready(): boolean {
    return this.txn.state === 'READY' && this.done === null;
  }

  begin(): void {
    this.txn.beginTransaction();
  }

  commit(offsets: { partition: string; offset: number }[] | null, group: ConsumerGroupMetadata, done: (outcome: 'committed' | 'aborted' | 'fenced') => void): void {
    const txn = this.txn;
    if (txn.state === 'FATAL_ERROR') return this.fenced(done);
    this.done = (outcome) => (outcome === 'fenced' ? this.fenced(done) : done(outcome));
    if (offsets === null) return txn.abortTransaction('partitions lost');
    if (txn.mustAbort) return txn.abortTransaction('batch failed');
    txn.sendOffsetsToTransaction(offsets, group);
    txn.commitTransaction();
  }

  /** ProducerFencedException: Streams closes the producer and makes a new one (InitProducerId bumps the epoch). */
  private fenced(done: (outcome: 'fenced') => void): void {
    note(this.host.ctx, 'pipeline-producer-recreated', { transactionalId: this.transactionalId });
    this.done = null;
    this.forwarder.dropAll();
    this.newProducer();
    done('fenced');
  }
}
