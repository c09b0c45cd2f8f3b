import { DiskFullError, type DiskFile } from '../../../sim/disk.js';
import type { NodeContext } from '../../../sim/node.js';
import type { TopicAssignment } from '../controller.js';
import { deliberateBug } from '../deliberate-bugs.js';
import { OFFSETS_TOPIC, type GroupCoordinator } from '../group-coordinator.js';
import { TRANSACTION_STATE_TOPIC, type TransactionCoordinator } from '../coordinator/transaction/transaction-coordinator.js';
import type { InvariantProbe } from '../invariants.js';
import { note } from '../notes.js';
import { logDirFailure } from './log-dir-failure-channel.js';
import {
  sendTo, HEADER_BYTES, RECORD_OVERHEAD,
  type AlterPartition, type AlterPartitionResponse, type Fetch, type FetchResponse, type KafkaError, type ListOffsets,
  type LogRecord, type OffsetsForLeaderEpoch, type PartitionState, type Produce, type ProduceResponse,
  type WriteTxnMarkers, type WriteTxnMarkersResponse, type DescribeProducers, type DescribeProducersResponse,
} from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { PartitionLog } from './log.js';
import type { AddPartitionsToTxnManager } from './add-partitions-to-txn-manager.js';
import { Partition, type DelayedProduce, type InternalWaiter, type ParkedFetch, type PartitionHost } from './partition.js';
import { ReplicaFetcher, type ReplicaFetcherHost } from './replica-fetcher.js';
import { brokerTimers } from './timers.js';

/**
 * The broker's replica manager (Kafka's ReplicaManager with its LogManager duties): the
 * partitions this broker hosts and the requests on them.
 *
 * - becoming leader or follower from the controller's partition state (LeaderAndIsr, or KRaft
 *   metadata records);
 * - Produce on the leader: idempotent producers' sequences checked (producer-state-manager.ts),
 *   append, acks=0/1 answered at once, acks=all parked in the produce purgatory until the high
 *   watermark passes the batch; NOT_ENOUGH_REPLICAS below min.insync.replicas;
 * - the group coordinator's own appends to __consumer_offsets (acks=all, offsets.commit.timeout.ms);
 * - Fetch from followers (their fetch offset is their log end) and consumers (up to the HW),
 *   long-polled in the fetch purgatory up to maxWait; ListOffsets; OffsetsForLeaderEpoch;
 * - storage: the HW checkpoint file every replica.high.watermark.checkpoint.interval.ms, recovery
 *   of every partition directory after a restart, retention.
 *
 * The follower side is replica-fetcher.ts, the per-partition leader state (ISR, HW) partition.ts.
 */

/** WriteTxnMarkers are appended with acks=all and the broker's request.timeout.ms (default 30000). */
const MARKER_APPEND_TIMEOUT = 30_000_000;

interface HwCheckpoint {
  hws: [string, number][];
}

export interface ReplicaManagerHost {
  readonly ctx: NodeContext;
  readonly config: BrokerConfig;
  readonly stats: KafkaStats;
  readonly invariants: InvariantProbe | undefined;
  readonly topics: readonly TopicAssignment[];
  nextId(): number;
  /** The group coordinator, when this broker runs one (offsets partitions load and unload with leadership). */
  coordinator(): GroupCoordinator | null;
  /** The transaction coordinator (__transaction_state partitions load and unload with leadership). */
  txnCoordinator(): TransactionCoordinator | null;
  /** KIP-890 partition verification (null when off: transaction.partition.verification.enable=false or an older inter.broker.protocol.version). */
  readonly verifier: AddPartitionsToTxnManager | null;
  alterPartition(request: AlterPartition): void;
}

export class ReplicaManager implements PartitionHost, ReplicaFetcherHost {
  private readonly partitions = new Map<string, Partition>();
  private readonly hwFile: DiskFile<HwCheckpoint>;
  private readonly minIsr = new Map<string, number>();
  readonly fetcher: ReplicaFetcher;

  constructor(private readonly host: ReplicaManagerHost) {
    for (const t of host.topics) this.minIsr.set(t.topic, t.minInsyncReplicas);
    this.hwFile = host.ctx.disk.file<HwCheckpoint>('replication-offset-checkpoint');
    this.fetcher = new ReplicaFetcher(this);
  }

  get ctx(): NodeContext {
    return this.host.ctx;
  }

  get config(): BrokerConfig {
    return this.host.config;
  }

  get stats(): KafkaStats {
    return this.host.stats;
  }

  get invariants(): InvariantProbe | undefined {
    return this.host.invariants;
  }

  following(): Iterable<Partition> {
    return this.all;
  }

  nextId(): number {
    return this.host.nextId();
  }

  alterPartition(request: AlterPartition): void {
    this.host.alterPartition(request);
  }

  partition(key: string): Partition | undefined {
    return this.partitions.get(key);
  }

  get all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  private minIsrOf(topic: string): number {
    return this.minIsr.get(topic) ?? this.config.minInsyncReplicas;
  }

  // ------------------------------------------------------------------ leader and follower transitions

  /**
   * One partition's new state from the controller (a LeaderAndIsr entry in ZooKeeper mode, a
   * committed PartitionRecord / PartitionChangeRecord in KRaft mode): become leader or follower
   * when the leader epoch moved on, else take a newer ISR.
   */
  applyPartitionState(state: PartitionState): void {
    const me = this.ctx.name;
    if (!state.replicas.includes(me)) return;
    const replica = this.getOrCreate(state.topic, state.partition);
    replica.replicas = state.replicas;
    if (state.leaderEpoch < replica.leaderEpoch) return;
    if (state.leaderEpoch === replica.leaderEpoch && state.leader === replica.leader) {
      if (state.partitionEpoch > replica.partitionEpoch && replica.isLeaderOn(me) && replica.pendingIsr === null) {
        replica.isr = [...state.isr];
        replica.partitionEpoch = state.partitionEpoch;
      }
      return;
    }
    if (state.leader === me) this.makeLeader(replica, state);
    else this.makeFollower(replica, state);
  }

  private makeLeader(replica: Partition, state: PartitionState): void {
    this.fetcher.stopFetching(replica);
    replica.makeLeader(state);
    if (replica.topic === OFFSETS_TOPIC) this.host.coordinator()?.load(replica.partition);
    if (replica.topic === TRANSACTION_STATE_TOPIC) this.host.txnCoordinator()?.load(replica.partition, replica.leaderEpoch);
  }

  private makeFollower(replica: Partition, state: PartitionState): void {
    const wasLeader = replica.makeFollower(state);
    if (wasLeader) {
      for (const d of replica.delayed) {
        this.ctx.cancelTimer(d.timer);
        this.produceResponse(d.from, d.request, 'NOT_LEADER_OR_FOLLOWER', -1);
      }
      replica.delayed = [];
      this.failInternal(replica);
      if (replica.topic === OFFSETS_TOPIC) this.host.coordinator()?.unload(replica.partition);
      if (replica.topic === TRANSACTION_STATE_TOPIC) this.host.txnCoordinator()?.unload(replica.partition);
    }
    this.flushParked(replica, 'NOT_LEADER_OR_FOLLOWER');
    this.fetcher.stopFetching(replica);
    if (state.leader === null) return;
    if (!this.config.leaderEpochs || deliberateBug('follower-truncates-to-hw')) {
      // Pre-KIP-101: truncate to the local high watermark, then fetch.
      this.fetcher.truncate(replica, replica.hw, 'hw');
      this.fetcher.startFollowing(replica);
      return;
    }
    this.fetcher.startFollowing(replica);
  }

  onAlterPartitionResponse(response: AlterPartitionResponse): void {
    this.partitions.get(`${response.topic}-${response.partition}`)?.onAlterPartitionResponse(response);
  }

  /** 'isr-expiration': every partition this broker leads drops its lagging followers. */
  maybeShrinkIsr(): void {
    const now = this.ctx.trueNow();
    for (const replica of this.partitions.values()) replica.maybeShrinkIsr(now);
  }

  // ------------------------------------------------------------------ Fetch on the leader (fetch purgatory)

  onFetch(from: string, request: Fetch): void {
    const replica = this.partitions.get(`${request.topic}-${request.partition}`);
    const me = this.ctx.name;
    if (!replica || !replica.isLeaderOn(me)) return this.fetchError(from, request, 'NOT_LEADER_OR_FOLLOWER', replica);
    if (request.currentLeaderEpoch >= 0 && request.currentLeaderEpoch < replica.leaderEpoch) return this.fetchError(from, request, 'FENCED_LEADER_EPOCH', replica);
    if (request.currentLeaderEpoch > replica.leaderEpoch) return this.fetchError(from, request, 'UNKNOWN_LEADER_EPOCH', replica);
    const log = replica.log;
    if (request.fetchOffset > log.logEndOffset || request.fetchOffset < log.logStartOffset) {
      return this.fetchError(from, request, 'OFFSET_OUT_OF_RANGE', replica);
    }
    if (request.replica !== null) replica.updateFollower(request.replica, request.fetchOffset);
    if (enoughToAnswer(request, replica) || request.maxWait <= 0) {
      this.respondFetch(from, request, replica);
      return;
    }
    const parked: ParkedFetch = { from, request, timer: null as unknown as ParkedFetch['timer'] };
    parked.timer = brokerTimers.set(this.ctx, request.maxWait, 'fetch-wait', parked);
    replica.parked.push(parked);
  }

  private fetchError(from: string, request: Fetch, error: KafkaError, replica: Partition | undefined): void {
    const response: FetchResponse = {
      type: 'FetchResponse', topic: request.topic, partition: request.partition, id: request.id, error,
      highWatermark: replica?.hw ?? -1, logEndOffset: replica?.log.logEndOffset ?? -1, logStartOffset: replica?.log.logStartOffset ?? -1, records: [],
    };
    sendTo(this.ctx, from, response, HEADER_BYTES);
  }

  private respondFetch(from: string, request: Fetch, replica: Partition): void {
    const log = replica.log;
    const upTo = fetchLimit(request, replica);
    const records = log.read(request.fetchOffset, upTo, request.maxBytes);
    const invariants = this.invariants;
    if (request.replica === null && invariants !== undefined && records.length > 0) invariants.consumerRead(this.ctx.name, replica.key, records, replica.hw);
    let bytes = HEADER_BYTES;
    for (let i = 0; i < records.length; i++) bytes += records[i]!.bytes + RECORD_OVERHEAD;
    const response: FetchResponse = {
      type: 'FetchResponse', topic: request.topic, partition: request.partition, id: request.id, error: 'NONE',
      highWatermark: replica.hw, logEndOffset: log.logEndOffset, logStartOffset: log.logStartOffset, records,
    };
    if (request.isolationLevel === 1) {
      // READ_COMMITTED: the LSO, and the aborted transactions the records read overlap.
      response.lastStableOffset = replica.lastStableOffset;
      const end = records.length > 0 ? records[records.length - 1]!.offset + 1 : request.fetchOffset;
      response.abortedTransactions = log.txns.abortedIn(request.fetchOffset, end);
      bytes += 12 * response.abortedTransactions.length;
    }
    sendTo(this.ctx, from, response, bytes);
  }

  /** 'fetch-wait': a parked Fetch's maxWait is over; answer with what there is. */
  onFetchWait(parked: ParkedFetch): void {
    const replica = this.partitions.get(`${parked.request.topic}-${parked.request.partition}`);
    if (!replica) return;
    const index = replica.parked.indexOf(parked);
    if (index < 0) return;
    replica.parked.splice(index, 1);
    if (replica.isLeaderOn(this.ctx.name)) this.respondFetch(parked.from, parked.request, replica);
    else this.fetchError(parked.from, parked.request, 'NOT_LEADER_OR_FOLLOWER', replica);
  }

  wakeParked(replica: Partition): void {
    if (replica.parked.length === 0) return;
    const keep: ParkedFetch[] = [];
    for (const p of replica.parked) {
      if (enoughToAnswer(p.request, replica)) {
        this.ctx.cancelTimer(p.timer);
        this.respondFetch(p.from, p.request, replica);
      } else keep.push(p);
    }
    replica.parked = keep;
  }

  private flushParked(replica: Partition, error: KafkaError): void {
    for (const p of replica.parked) {
      this.ctx.cancelTimer(p.timer);
      this.fetchError(p.from, p.request, error, replica);
    }
    replica.parked = [];
  }

  // ------------------------------------------------------------------ Produce on the leader (produce purgatory)

  onProduce(from: string, request: Produce, verified = false): void {
    const replica = this.partitions.get(`${request.topic}-${request.partition}`);
    const me = this.ctx.name;
    if (!replica || !replica.isLeaderOn(me)) return this.produceResponse(from, request, 'NOT_LEADER_OR_FOLLOWER', -1);
    if (!verified && request.transactionalId !== undefined && this.host.verifier !== null && !this.inOpenTransaction(replica, request)) {
      // KIP-890: ask the coordinator first whether this partition is in the producer's ongoing transaction.
      this.host.verifier.verify(request.transactionalId, request.producerId, request.producerEpoch ?? 0, replica.key, (error) => {
        if (error === 'NONE') return this.onProduce(from, request, true);
        if (error === 'PRODUCER_FENCED') {
          // The coordinator knows a newer epoch: a fenced zombie, refused as the epoch check would.
          this.stats.fencedProduceRequests++;
          note(this.ctx, 'invalid-producer-epoch', { partition: replica.key, producerId: request.producerId, epoch: request.producerEpoch ?? 0, currentEpoch: -1 });
        } else if (error === 'INVALID_TXN_STATE' || error === 'INVALID_PRODUCER_ID_MAPPING') {
          this.stats.unverifiedTxnProduces++;
          note(this.ctx, 'txn-partition-verification-failed', { partition: replica.key, producerId: request.producerId, epoch: request.producerEpoch ?? 0, error });
        }
        this.produceResponse(from, request, error === 'PRODUCER_FENCED' ? 'INVALID_PRODUCER_EPOCH' : error, -1);
      });
      return;
    }
    const minIsr = this.minIsrOf(request.topic);
    if (request.acks === -1 && replica.isr.length < minIsr) {
      this.stats.notEnoughReplicas++;
      note(this.ctx, 'not-enough-replicas', { partition: replica.key, isr: replica.isr.length, minIsr });
      return this.produceResponse(from, request, 'NOT_ENOUGH_REPLICAS', -1);
    }
    const log = replica.log;
    const count = request.records.length;
    const baseOffset = log.logEndOffset;
    const transactional = request.transactionalId !== undefined;
    if (request.producerId >= 0) {
      const first = request.baseSequence;
      const check = log.producers.check(request.producerId, first, first + count - 1, request.producerEpoch ?? 0);
      if (check.kind === 'fenced') {
        // A zombie: the coordinator bumped this producer id's epoch (a new instance, or a transaction timeout).
        this.stats.fencedProduceRequests++;
        note(this.ctx, 'invalid-producer-epoch', { partition: replica.key, producerId: request.producerId, epoch: request.producerEpoch ?? 0, currentEpoch: check.currentEpoch });
        return this.produceResponse(from, request, 'INVALID_PRODUCER_EPOCH', -1);
      }
      if (check.kind === 'duplicate' && !deliberateBug('duplicate-sequence-appended')) {
        // DUPLICATE_SEQUENCE_NUMBER: already written; answer with where it is.
        this.stats.duplicateBatches++;
        note(this.ctx, 'duplicate-batch', { partition: replica.key, producerId: request.producerId, sequence: first });
        return this.answerAfterAppend(from, request, replica, check.lastOffset - count + 1, check.lastOffset + 1);
      }
      if (check.kind === 'out-of-order') {
        note(this.ctx, 'out-of-order-sequence', { partition: replica.key, producerId: request.producerId, sequence: first, lastSequence: check.lastSequence });
        return this.produceResponse(from, request, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1);
      }
    }
    const records: LogRecord[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = request.records[i]!;
      records[i] = {
        offset: baseOffset + i, epoch: replica.leaderEpoch, msg: r.msg, key: r.key, bytes: r.bytes,
        pid: request.producerId, seq: request.producerId >= 0 ? request.baseSequence + i : -1,
        batchFirst: request.baseSequence, last: i === count - 1, time: r.timestamp,
      };
      if (request.producerEpoch !== undefined) records[i]!.producerEpoch = request.producerEpoch;
      if (transactional) records[i]!.txn = true;
    }
    try {
      log.append(records);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      note(this.ctx, 'disk-full', { partition: replica.key });
      this.produceResponse(from, request, 'KAFKA_STORAGE_ERROR', -1);
      return logDirFailure(this.ctx, replica.key, 'append');
    }
    replica.maybeFlush();
    this.wakeParked(replica);
    replica.maybeAdvanceHw();
    this.answerAfterAppend(from, request, replica, baseOffset, baseOffset + count);
  }

  /** The producer already has a transaction open here at this epoch (no verification needed). */
  private inOpenTransaction(replica: Partition, request: Produce): boolean {
    return replica.log.txns.isOpen(request.producerId) && replica.log.producers.get(request.producerId)?.epoch === (request.producerEpoch ?? 0);
  }

  private answerAfterAppend(from: string, request: Produce, replica: Partition, baseOffset: number, requiredOffset: number): void {
    if (request.acks === 0) return;
    if (request.acks === 1 || deliberateBug('acks-all-answers-on-append')) {
      this.produceResponse(from, request, 'NONE', baseOffset);
      return;
    }
    if (replica.hw >= requiredOffset) {
      if (replica.isr.length < this.minIsrOf(replica.topic)) {
        this.stats.notEnoughReplicas++;
        this.produceResponse(from, request, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', -1);
      } else this.produceResponse(from, request, 'NONE', baseOffset);
      return;
    }
    const delayed: DelayedProduce = { from, request, baseOffset, requiredOffset, timer: null as unknown as DelayedProduce['timer'] };
    delayed.timer = brokerTimers.set(this.ctx, request.timeout, 'produce-timeout', delayed);
    replica.delayed.push(delayed);
  }

  completeDelayed(replica: Partition): void {
    if (replica.internal.length > 0) this.completeInternal(replica);
    if (replica.delayed.length === 0) return;
    const minIsr = this.minIsrOf(replica.topic);
    const keep: DelayedProduce[] = [];
    for (const d of replica.delayed) {
      if (replica.hw >= d.requiredOffset) {
        this.ctx.cancelTimer(d.timer);
        if (replica.isr.length < minIsr) {
          this.stats.notEnoughReplicas++;
          this.produceResponse(d.from, d.request, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', -1);
        } else this.produceResponse(d.from, d.request, 'NONE', d.baseOffset);
      } else keep.push(d);
    }
    replica.delayed = keep;
  }

  /** 'produce-timeout': the HW did not pass the batch within the Produce's timeout. */
  onProduceTimeout(delayed: DelayedProduce): void {
    const replica = this.partitions.get(`${delayed.request.topic}-${delayed.request.partition}`);
    if (!replica) return;
    const index = replica.delayed.indexOf(delayed);
    if (index < 0) return;
    replica.delayed.splice(index, 1);
    this.produceResponse(delayed.from, delayed.request, 'REQUEST_TIMED_OUT', -1);
  }

  private produceResponse(to: string, request: Produce, error: KafkaError, baseOffset: number): void {
    if (request.acks === 0) return;
    const response: ProduceResponse = { type: 'ProduceResponse', topic: request.topic, partition: request.partition, id: request.id, error, baseOffset };
    sendTo(this.ctx, to, response, HEADER_BYTES);
  }

  // ------------------------------------------------------------------ the coordinator's appends to __consumer_offsets

  /**
   * The group coordinator's writes to its __consumer_offsets partition: appended as the leader,
   * `done` once the high watermark passes them (acks=all), NOT_ENOUGH_REPLICAS below
   * min.insync.replicas, REQUEST_TIMED_OUT after offsets.commit.timeout.ms.
   */
  appendInternal(partition: number, items: { msg: string; key: string }[], done: (error: KafkaError) => void, topic = OFFSETS_TOPIC): void {
    const replica = this.partitions.get(`${topic}-${partition}`);
    if (!replica || !replica.isLeaderOn(this.ctx.name)) return done('NOT_LEADER_OR_FOLLOWER');
    const now = this.ctx.now();
    const base = replica.log.logEndOffset;
    const records: LogRecord[] = items.map((item, i) => ({
      offset: base + i, epoch: replica.leaderEpoch, msg: item.msg, key: item.key, bytes: item.msg.length + item.key.length,
      pid: -1, seq: -1, batchFirst: -1, last: i === items.length - 1, time: now,
    }));
    this.appendAsLeader(replica, records, this.config.offsetsCommitTimeout, done);
  }

  /**
   * Appends `records` (offsets from the log end) on a partition this broker leads and calls
   * `done` once the high watermark passes them (acks=all), NOT_ENOUGH_REPLICAS below
   * min.insync.replicas, REQUEST_TIMED_OUT after `timeout`: the coordinators' writes.
   */
  private appendAsLeader(replica: Partition, records: LogRecord[], timeout: number, done: (error: KafkaError) => void): void {
    if (replica.isr.length < this.minIsrOf(replica.topic)) return done('NOT_ENOUGH_REPLICAS');
    const log = replica.log;
    const base = log.logEndOffset;
    const items = records;
    try {
      log.append(records);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      done('KAFKA_STORAGE_ERROR');
      return logDirFailure(this.ctx, replica.key, 'offset-commit');
    }
    replica.maybeFlush();
    const waiter: InternalWaiter = { requiredOffset: base + items.length, done, timer: null as unknown as InternalWaiter['timer'] };
    waiter.timer = brokerTimers.set(this.ctx, timeout, 'internal-timeout', { replica, waiter });
    replica.internal.push(waiter);
    this.wakeParked(replica);
    replica.maybeAdvanceHw();
    this.completeInternal(replica);
  }

  /** 'internal-timeout': offsets.commit.timeout.ms passed before the HW reached the append. */
  onInternalTimeout(replica: Partition, waiter: InternalWaiter): void {
    const index = replica.internal.indexOf(waiter);
    if (index < 0) return;
    replica.internal.splice(index, 1);
    waiter.done('REQUEST_TIMED_OUT');
  }

  private completeInternal(replica: Partition): void {
    const ready = replica.internal.filter((w) => replica.hw >= w.requiredOffset);
    if (ready.length === 0) return;
    replica.internal = replica.internal.filter((w) => replica.hw < w.requiredOffset);
    for (const w of ready) {
      this.ctx.cancelTimer(w.timer);
      w.done('NONE');
    }
  }

  private failInternal(replica: Partition): void {
    const waiting = replica.internal;
    replica.internal = [];
    for (const w of waiting) {
      this.ctx.cancelTimer(w.timer);
      w.done('NOT_LEADER_OR_FOLLOWER');
    }
  }

  /**
   * WriteTxnMarkers (from a transaction coordinator): a COMMIT or ABORT control record for the
   * producer on each partition this broker leads, answered per partition once replicated
   * (the markers are written with acks=all).
   */
  onWriteTxnMarkers(from: string, request: WriteTxnMarkers): void {
    const errors: { partition: string; error: KafkaError }[] = [];
    let waiting = request.partitions.length;
    const answer = (partition: string, error: KafkaError) => {
      errors.push({ partition, error });
      if (--waiting > 0) return;
      const response: WriteTxnMarkersResponse = { type: 'WriteTxnMarkersResponse', id: request.id, errors };
      sendTo(this.ctx, from, response, HEADER_BYTES + 8 * errors.length);
    };
    for (const key of request.partitions) {
      const replica = this.partitions.get(key);
      if (!replica || !replica.isLeaderOn(this.ctx.name)) {
        answer(key, 'NOT_LEADER_OR_FOLLOWER');
        continue;
      }
      const control = request.committed ? 'COMMIT' : 'ABORT';
      const record: LogRecord = {
        offset: replica.log.logEndOffset, epoch: replica.leaderEpoch, msg: '', key: undefined, bytes: 6,
        pid: request.producerId, seq: -1, batchFirst: -1, last: true, time: this.ctx.now(), producerEpoch: request.producerEpoch, control,
      };
      note(this.ctx, 'txn-marker-written', { partition: key, producerId: request.producerId, epoch: request.producerEpoch, control, offset: record.offset });
      this.appendAsLeader(replica, [record], MARKER_APPEND_TIMEOUT, (error) => {
        // A marker on __consumer_offsets completes the producer's transactional offset commits there.
        if (error === 'NONE' && replica.topic === OFFSETS_TOPIC) this.host.coordinator()?.onTxnCompletion(replica.partition, request.producerId, request.committed);
        answer(key, error);
      });
    }
  }

  /**
   * DescribeProducers (KIP-664): the producers the leader's producer state knows for the
   * partition, with the first offset of the transaction each has open here (-1: none). What
   * `kafka-transactions.sh find-hanging` reads to find a transaction that holds the LSO.
   */
  onDescribeProducers(from: string, request: DescribeProducers): void {
    const replica = this.partitions.get(`${request.topic}-${request.partition}`);
    const reply = (error: KafkaError, producers: DescribeProducersResponse['producers']) => sendTo(this.ctx, from, { type: 'DescribeProducersResponse', id: request.id, error, producers }, HEADER_BYTES + 24 * producers.length);
    if (!replica || !replica.isLeaderOn(this.ctx.name)) return reply('NOT_LEADER_OR_FOLLOWER', []);
    const open = new Map(replica.log.txns.openTransactions().map((t) => [t.producerId, t.firstOffset]));
    const producers: DescribeProducersResponse['producers'] = [];
    for (const [producerId, entry] of replica.log.producers.entries()) producers.push({ producerId, producerEpoch: entry.epoch, currentTxnStartOffset: open.get(producerId) ?? -1 });
    reply('NONE', producers);
  }

  /** Every record of an __consumer_offsets (or __transaction_state) partition this broker hosts (a coordinator's load). */
  readAll(partition: number, topic = OFFSETS_TOPIC): LogRecord[] {
    const r = this.partitions.get(`${topic}-${partition}`);
    return r ? r.log.read(r.log.logStartOffset, r.log.logEndOffset, Number.POSITIVE_INFINITY) : [];
  }

  isLeaderOf(key: string): boolean {
    return this.partitions.get(key)?.isLeaderOn(this.ctx.name) === true;
  }

  // ------------------------------------------------------------------ OffsetsForLeaderEpoch and ListOffsets

  onOffsetsForLeaderEpoch(from: string, request: OffsetsForLeaderEpoch): void {
    const replica = this.partitions.get(`${request.topic}-${request.partition}`);
    const reply = (error: KafkaError, leaderEpoch: number, endOffset: number) => sendTo(this.ctx, from, {
      type: 'OffsetsForLeaderEpochResponse', topic: request.topic, partition: request.partition, id: request.id, error, leaderEpoch, endOffset,
    }, HEADER_BYTES);
    if (!replica || !replica.isLeaderOn(this.ctx.name)) return reply('NOT_LEADER_OR_FOLLOWER', -1, -1);
    if (request.currentLeaderEpoch >= 0 && request.currentLeaderEpoch < replica.leaderEpoch) return reply('FENCED_LEADER_EPOCH', -1, -1);
    if (request.currentLeaderEpoch > replica.leaderEpoch) return reply('UNKNOWN_LEADER_EPOCH', -1, -1);
    const found = replica.log.endOffsetFor(request.leaderEpoch);
    reply('NONE', found.epoch, found.endOffset);
  }

  onListOffsets(from: string, request: ListOffsets): void {
    const replica = this.partitions.get(`${request.topic}-${request.partition}`);
    const ok = replica !== undefined && replica.isLeaderOn(this.ctx.name);
    sendTo(this.ctx, from, {
      type: 'ListOffsetsResponse', topic: request.topic, partition: request.partition, id: request.id,
      error: ok ? 'NONE' : 'NOT_LEADER_OR_FOLLOWER',
      offset: !ok ? -1
        : request.timestamp === -2 ? replica.log.logStartOffset
        : request.timestamp === -1 ? (request.isolationLevel === 1 ? replica.lastStableOffset : replica.hw)
        : replica.log.offsetForTimestamp(request.timestamp, replica.hw),
    }, HEADER_BYTES);
  }

  // ------------------------------------------------------------------ storage (LogManager's duties)

  private getOrCreate(topic: string, partition: number): Partition {
    const key = `${topic}-${partition}`;
    let replica = this.partitions.get(key);
    if (!replica) {
      const log = new PartitionLog(this.ctx.disk, key, { segmentBytes: this.config.segmentBytes, indexIntervalBytes: this.config.indexIntervalBytes }, this.stats);
      replica = new Partition(this, topic, partition, key, log);
      this.partitions.set(key, replica);
    }
    return replica;
  }

  /** 'hw-checkpoint': every partition's HW to replication-offset-checkpoint, fsynced. */
  checkpointHighWatermarks(): void {
    if (this.partitions.size === 0) return;
    const hws: [string, number][] = [];
    for (const r of this.partitions.values()) hws.push([r.key, r.hw]);
    try {
      this.hwFile.append({ hws }, 16 * hws.length);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      return logDirFailure(this.ctx, hws[0]![0], 'hw-checkpoint');
    }
    this.ctx.disk.fsync(undefined, [this.hwFile]);
  }

  /** After a restart: every partition directory's log, and the HWs from the last durable checkpoint. */
  recover(): void {
    const disk = this.ctx.disk;
    const seen = new Set<string>();
    for (const name of disk.fileNames()) {
      const slash = name.indexOf('/');
      if (slash < 0) continue;
      const dir = name.slice(0, slash);
      if (seen.has(dir)) continue;
      seen.add(dir);
      const dash = dir.lastIndexOf('-');
      const topic = dir.slice(0, dash);
      const partition = Number.parseInt(dir.slice(dash + 1), 10);
      const log = PartitionLog.recover(disk, dir, { segmentBytes: this.config.segmentBytes, indexIntervalBytes: this.config.indexIntervalBytes }, this.stats);
      this.partitions.set(dir, new Partition(this, topic, partition, dir, log));
    }
    const checkpoint = this.hwFile.records[this.hwFile.length - 1];
    if (checkpoint) {
      for (const [key, hw] of checkpoint.hws) {
        const r = this.partitions.get(key);
        if (r) r.hw = Math.min(hw, r.log.logEndOffset);
      }
    }
    for (const r of this.partitions.values()) {
      note(this.ctx, 'log-recovered', { partition: r.key, leo: r.log.logEndOffset, hw: r.hw, segments: r.log.segments.length });
    }
  }

  /** 'retention': deletes old segments (retention.ms, retention.bytes) below the HW. */
  applyRetention(): void {
    const now = this.ctx.trueNow();
    for (const r of this.partitions.values()) {
      // __consumer_offsets is compacted in Kafka (cleanup.policy=compact), never deleted by time or size.
      if (r.topic === OFFSETS_TOPIC || r.topic === TRANSACTION_STATE_TOPIC) continue;
      const deleted = r.log.applyRetention(now, this.config.retentionMs, this.config.retentionBytes, r.hw);
      if (deleted > 0) note(this.ctx, 'segments-deleted', { partition: r.key, deleted, logStartOffset: r.log.logStartOffset });
    }
  }
}

/** How far a Fetch may read: a follower to the log end, a READ_COMMITTED consumer to the LSO, any other consumer to the HW. */
/**
 * Whether a Fetch can be answered now: something to read, and with min_bytes (fetch.min.bytes)
 * at least that many bytes of it (DelayedFetch.tryComplete). Kafka counts the bytes over every
 * partition of the request; a Fetch here is one partition, so the count is that partition's.
 */
function enoughToAnswer(request: Fetch, replica: Partition): boolean {
  const upTo = fetchLimit(request, replica);
  if (request.fetchOffset >= upTo) return false;
  const minBytes = request.minBytes ?? 1;
  if (minBytes <= 1) return true;
  // read() stops before the record that would take it past minBytes: records left over mean there is enough.
  const records = replica.log.read(request.fetchOffset, upTo, minBytes);
  const last = records[records.length - 1];
  if (last !== undefined && last.offset + 1 < upTo) return true;
  let bytes = 0;
  for (const record of records) bytes += record.bytes + RECORD_OVERHEAD;
  return bytes >= minBytes;
}

function fetchLimit(request: Fetch, replica: Partition): number {
  if (request.replica !== null) return replica.log.logEndOffset;
  return request.isolationLevel === 1 ? replica.lastStableOffset : replica.hw;
}
