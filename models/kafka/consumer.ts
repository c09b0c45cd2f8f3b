import type { CloseReason } from '../../sim/connection.js';
import type { History, NewHistoryOp } from '../../sim/history.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs, type TimerKind } from '../../sim/timers.js';
import { ClusterConnectionStates } from './cluster-connection-states.js';
import { note } from './notes.js';
import type { MembershipTimer } from './consumer-coordinator.js';
import { sampler, type Distribution, type Sampler } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import type { Phase } from '../../sim/world.js';
import { sendTo,
  HEADER_BYTES,
  type AbortedTransaction, type Fetch, type FetchResponse, type ListOffsetsResponse, type LogRecord, type MetadataResponse, type OffsetsForLeaderEpochResponse,
} from './protocol.js';
import type { ConsumerConfig } from './schema.js';
import type { KafkaStats } from './stats.js';
import { GroupMembership, type MembershipInbound } from './membership.js';
import type { PatternSpec } from './patterns/index.js';
import type { PartitionOwnership } from './partition-ownership.js';
import { ConsumerMembershipManager } from './consumer-membership/consumer-membership-manager.js';

/**
 * A consumer using assign() (no group, no rebalance, no committed offsets): it assigns itself
 * every partition of its topic, finds each partition's leader through Metadata, sets the
 * starting position with ListOffsets (auto.offset.reset: earliest = log start, latest = high
 * watermark), then fetches each partition from its leader (long poll up to fetch.max.wait.ms);
 * the leader returns only records below the high watermark. Records are handed to the
 * application one at a time, each taking a `processing` sample; a partition is fetched again
 * once its previous records are processed.
 *
 * Leader changes: a fetch error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH...) or timeout
 * refreshes metadata; when a partition's leader epoch changes, the position is validated with
 * OffsetsForLeaderEpoch on the new leader (KIP-320) using the epoch of the last record consumed,
 * and moved back to the end offset of that epoch if the new leader's log diverged (an unclean
 * election). OFFSET_OUT_OF_RANGE does the same validation, or applies auto.offset.reset when
 * nothing was consumed yet.
 */

/** position while the committed offset is being fetched (OffsetFetch). */
export const AWAITING_COMMITTED = -2;

export interface PartitionCursor {
  topic: string;
  partition: number;
  queue: string;
  leader: string | null;
  leaderEpoch: number;
  /** Next offset to fetch; -1 until reset. */
  position: number;
  /** Leader epoch of the last record consumed (-1 none). */
  lastEpoch: number;
  /** Request in flight (0: none), and what it is. */
  pending: number;
  pendingKind: 'fetch' | 'list' | 'validate' | null;
  /** The broker the pending request went to (its connection's close fails it). */
  pendingBroker: string;
  timer: Timer | null;
  /** Records fetched and not yet processed. */
  buffered: number;
  needsValidation: boolean;
  backoff: Timer | null;
  /** Group mode: offset after the last record poll() returned (what auto-commit commits); -1 none. */
  consumed: number;
  /** Group mode: offset after the last record the application finished processing; -1 none. */
  processed: number;
  /** consumer.pause(): not fetched until resumed (the delay scheduler pauses until the head is due). */
  paused: boolean;
  /** When paused by the delay scheduler: when its head record is due (local clock). */
  dueAt: number;
}

export function newCursor(topic: string, partition: number, queue: string): PartitionCursor {
  return {
    topic, partition, queue, leader: null, leaderEpoch: -1, position: -1, lastEpoch: -1, pending: 0, pendingKind: null, pendingBroker: '', timer: null,
    buffered: 0, needsValidation: false, backoff: null, consumed: -1, processed: -1, paused: false, dueAt: 0,
  };
}

/** The consumer's partitions, by "topic-partition" and by topic and partition number. */
export class CursorTable {
  private readonly byQueue = new Map<string, PartitionCursor>();
  private readonly byTopic = new Map<string, (PartitionCursor | undefined)[]>();

  get size(): number {
    return this.byQueue.size;
  }

  get(queue: string): PartitionCursor | undefined {
    return this.byQueue.get(queue);
  }

  at(topic: string, partition: number): PartitionCursor | undefined {
    return this.byTopic.get(topic)?.[partition];
  }

  add(cursor: PartitionCursor): void {
    this.byQueue.set(cursor.queue, cursor);
    let list = this.byTopic.get(cursor.topic);
    if (!list) this.byTopic.set(cursor.topic, (list = []));
    list[cursor.partition] = cursor;
  }

  delete(cursor: PartitionCursor): void {
    if (this.byQueue.get(cursor.queue) !== cursor) return;
    this.byQueue.delete(cursor.queue);
    const list = this.byTopic.get(cursor.topic);
    if (list && list[cursor.partition] === cursor) list[cursor.partition] = undefined;
  }

  /** Whether `cursor` is still the consumer's cursor for its partition. */
  owns(cursor: PartitionCursor): boolean {
    return this.byQueue.get(cursor.queue) === cursor;
  }

  values(): IterableIterator<PartitionCursor> {
    return this.byQueue.values();
  }
}

/** A change the consumer's application makes at a time (mqsim scenario key `steps`). */
export interface ConsumerStep {
  at: Micros;
  /** subscribe(topics): a new subscription (subscribe mode). */
  subscribe?: string[];
  /** close(): the application finishes its batch, commits as its commit mode does, leaves (dynamic members) and exits. */
  close?: boolean;
  /** A new process of the same consumer (same client id and group.instance.id) starts and subscribes. */
  start?: boolean;
}

export interface ConsumerOptions {
  group: string;
  topic: string;
  partitions: number;
  brokers: readonly string[];
  config: ConsumerConfig;
  processing: Distribution | undefined;
  start: Micros | undefined;
  stop: Micros | undefined;
  history: History;
  phase: () => Phase;
  /** subscribe: a group member; assign (default): every partition, no group. */
  mode?: 'subscribe' | 'assign';
  processingMode?: 'sync' | 'async-pool';
  workers?: number;
  commit?: CommitMode;
  stats?: KafkaStats;
  /** group.instance.id (subscribe mode): a static member. */
  groupInstanceId?: string;
  /** A pattern the group's application runs instead of delivering records (delay scheduler, dispatcher). */
  pattern?: PatternSpec;
  /** subscribe mode: the topics subscribed at start (default [topic]). */
  topics?: string[];
  /** Changes at given times (subscription changes). */
  steps?: ConsumerStep[];
  /** Who owns which partition of the group, for the unowned-time counts. */
  ownership?: PartitionOwnership;
}

export type CommitMode = 'auto' | 'manual-sync-after' | 'manual-async-after' | 'manual-before';

export interface Work {
  cursor: PartitionCursor;
  record: LogRecord;
  node: string;
}

/** What reaches a consumer (its group membership takes the group's answers). */
export type ConsumerInbound = MetadataResponse | FetchResponse | ListOffsetsResponse | OffsetsForLeaderEpochResponse | MembershipInbound;

/** The consumer's own timers. */
export type ConsumerTimer =
  | { tag: 'begin'; data: undefined }
  | { tag: 'stop'; data: undefined }
  | { tag: 'metadata-timeout'; data: { topic: string; id: number } }
  | { tag: 'metadata-retry'; data: undefined }
  | { tag: 'metadata-max-age'; data: undefined }
  | { tag: 'step'; data: ConsumerStep }
  | { tag: 'request-timeout'; data: { cursor: PartitionCursor; id: number } }
  | { tag: 'retry'; data: PartitionCursor }
  | { tag: 'processed'; data: undefined };
const timers = timersOf<ConsumerTimer>();

/** A membership timer of a later process (`start` step): its tag carries the process's prefix. */
type Prefixed<K extends TimerKind> = K extends TimerKind ? { tag: `p${number}:${K['tag']}`; data: K['data'] } : never;

/** Every timer a consumer node fires. */
export type ConsumerNodeTimer = ConsumerTimer | MembershipTimer | Prefixed<MembershipTimer>;

/**
 * A prefixed membership timer back to its own tag. Only the membership's context adds the prefix
 * (newGroup), so what follows it is one of the membership's tags with that tag's data.
 */
function unprefixed(tag: string, data: unknown): TimerArgs<MembershipTimer> {
  return [tag, data] as TimerArgs<MembershipTimer>;
}

export class KafkaConsumer implements Actor {
  private ctx!: NodeContext;
  private connections!: ClusterConnectionStates;
  private processing!: Sampler;
  private readonly cursors = new CursorTable();
  /** Metadata request in flight per topic (0: none). */
  private readonly metadataPending = new Map<string, number>();
  /** Topics whose metadata this consumer needs: its subscription, and (the group leader) the whole group's. */
  readonly topics = new Set<string>();
  /** Partition count per topic from the latest Metadata. */
  readonly partitionCounts = new Map<string, number>();
  private metadataWaiters: { topics: string[]; then: () => void }[] = [];
  private bootstrap = 0;
  private nextId = 1;
  private readonly work: Work[] = [];
  private workHead = 0;
  private busy = false;
  idle = false;
  private started = false;
  private group: GroupMembership | null = null;
  /** Processes started by `steps` (close, then start): timers of older ones are ignored. */
  private incarnation = 1;
  private timerPrefix = '';
  private processClosed = false;
  /** The subscription as the latest steps left it (a restarted process subscribes to it). */
  private subscription: string[] | null = null;
  /** Latest leader per "topic-partition" from Metadata (for partitions assigned later). */
  readonly leaders = new Map<string, { leader: string | null; leaderEpoch: number }>();

  constructor(private readonly options: ConsumerOptions) {}

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    this.connections = new ClusterConnectionStates(ctx, this.options.config.reconnectBackoff, this.options.config.reconnectBackoffMax, ctx.random('reconnect'));
    this.processing = sampler(this.options.processing ?? { constant: 0 }, ctx.random('processing'));
    this.bootstrap = ctx.random('bootstrap').int(this.options.brokers.length);
    const start = this.options.start ?? 0;
    const now = ctx.trueNow();
    if (start > now && this.options.phase() === 'safety') timers.set(ctx, start - now, 'begin', undefined);
    else this.begin();
    if (this.options.stop !== undefined && this.options.stop > now) timers.set(ctx, this.options.stop - now, 'stop', undefined);
    for (const step of this.options.steps ?? []) if (step.at > now) timers.set(ctx, step.at - now, 'step', step);
    timers.set(ctx, this.options.config.metadataMaxAge, 'metadata-max-age', undefined);
  }

  onPhase(phase: Phase): void {
    if (phase === 'liveness' && (this.idle || !this.started)) {
      this.idle = false;
      if (!this.started) this.begin();
      else if (this.group) this.group.onLiveness();
      else for (const c of this.cursors.values()) this.next(c);
    }
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.mode === 'subscribe') {
      for (const t of this.options.topics ?? [this.options.topic]) this.topics.add(t);
      this.group = this.newGroup();
      this.group.start();
      this.requestMetadata();
      return;
    }
    this.topics.add(this.options.topic);
    const queues: string[] = [];
    for (let p = 0; p < this.options.partitions; p++) {
      const queue = `${this.options.topic}-${p}`;
      queues.push(queue);
      this.cursors.add(newCursor(this.options.topic, p, queue));
    }
    this.options.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'assign', queues, group: this.options.group });
    this.requestMetadata();
  }

  /** The next offset this consumer would read from `partition` (-1: none yet); for the final read. */
  positionOf(partition: number): number {
    const cursor = this.cursors.at(this.options.topic, partition);
    if (!cursor) return -1;
    if (this.group) return cursor.consumed;
    // assign(): records fetched but not yet processed are still to be delivered.
    let pos = cursor.position;
    for (let i = this.workHead; i < this.work.length; i++) {
      const w = this.work[i]!;
      if (w.cursor === cursor && w.record.offset < pos) pos = w.record.offset;
    }
    return pos;
  }

  onConnectionOpened(broker: string): void {
    this.connections.connected(broker);
  }

  /**
   * NetworkClient: a closed connection fails the requests in flight on it (NETWORK_EXCEPTION):
   * their partitions refresh metadata and retry once the reconnect back-off has passed.
   */
  onConnectionClosed(broker: string, reason: CloseReason): void {
    const wait = this.connections.disconnected(broker, reason);
    note(this.ctx, 'connection-closed', { broker, reason, reconnectBackoffMs: wait / 1000 });
    const brokers = this.options.brokers;
    if (brokers[this.bootstrap % brokers.length] === broker) {
      this.bootstrap++;
      this.metadataPending.clear();
    }
    this.requestMetadata();
    for (const cursor of this.cursors.values()) {
      if (cursor.pending === 0 || cursor.pendingBroker !== broker) continue;
      cursor.pending = 0;
      cursor.pendingKind = null;
      this.ctx.cancelTimer(cursor.timer);
      cursor.timer = null;
      this.ctx.cancelTimer(cursor.backoff);
      cursor.backoff = timers.set(this.ctx, Math.max(this.options.config.retryBackoff, wait), 'retry', cursor);
    }
    this.group?.connectionClosed(broker, reason);
  }

  /** leastLoadedNode from a bootstrap position: the first broker at or after it not in reconnect back-off. */
  leastLoadedFrom(position: number): number {
    return this.connections.leastLoadedNode(this.options.brokers, position);
  }

  receive(from: string, message: ConsumerInbound): void {
    switch (message.type) {
      case 'MetadataResponse':
        if (this.group?.forwarderReceive(message)) return;
        return this.onMetadata(message);
      case 'FetchResponse': return this.onFetch(from, message);
      case 'ListOffsetsResponse': return this.onListOffsets(message);
      case 'OffsetsForLeaderEpochResponse': return this.onValidate(message);
      case 'FindCoordinatorResponse': case 'JoinGroupResponse': case 'SyncGroupResponse': case 'HeartbeatResponse':
      case 'LeaveGroupResponse': case 'ConsumerGroupHeartbeatResponse': case 'OffsetCommitResponse': case 'OffsetFetchResponse': case 'ProduceResponse':
      case 'InitProducerIdResponse': case 'AddPartitionsToTxnResponse': case 'AddOffsetsToTxnResponse': case 'TxnOffsetCommitResponse': case 'EndTxnResponse':
        this.group?.receive(from, message);
        return;
      default: return unreachable(message, 'consumer message');
    }
  }

  onTimer(...args: TimerArgs<ConsumerNodeTimer>): void {
    const [tag, data] = args;
    switch (args[0]) {
      case 'begin': return this.begin();
      case 'stop':
        if (this.options.phase() === 'safety') {
          if (this.group) this.group.close();
          this.idle = true;
        }
        return;
      case 'metadata-timeout': {
        const { topic, id } = args[1];
        if (this.metadataPending.get(topic) === id) {
          this.metadataPending.delete(topic);
          this.bootstrap++;
          this.requestMetadata();
        }
        return;
      }
      case 'metadata-retry': return this.requestMetadata();
      case 'metadata-max-age':
        // metadata.max.age.ms: refresh even without an error (how a group leader notices added partitions).
        timers.set(this.ctx, this.options.config.metadataMaxAge, 'metadata-max-age', undefined);
        return this.requestMetadata();
      case 'step': return this.onStep(args[1]);
      case 'request-timeout': {
        const { cursor, id } = args[1];
        if (cursor.pending !== id || !this.cursors.owns(cursor)) return;
        // NetworkClient.handleTimedOutRequests: the node of a timed-out request is disconnected
        // (its other requests fail too) and backs off, so the metadata refresh and the next fetch
        // go to a node with a live connection (leastLoadedNode), not to the silent one again.
        const broker = cursor.pendingBroker;
        cursor.timer = null;
        this.ctx.disconnect(broker);
        return this.onConnectionClosed(broker, 'timeout');
      }
      case 'retry': {
        const cursor = args[1];
        cursor.backoff = null;
        if (!this.cursors.owns(cursor)) return;
        return this.next(cursor);
      }
      case 'processed': return this.onProcessed();
      case 'poll': case 'heartbeat': case 'heartbeat-timeout': case 'find-timeout': case 'find-retry': case 'join-timeout': case 'commit-timeout':
      case 'fetch-offsets-timeout': case 'fetch-offsets-retry': case 'commit-retry': case 'group-processed': case 'worker-done':
      case 'fwd-metadata-timeout': case 'fwd-metadata-retry': case 'fwd-request-timeout': case 'fwd-wake': case 'cg-heartbeat-timeout':
      case 'txn-request-timeout': case 'txn-retry': case 'fwd-pid-timeout':
        // The first process's membership (a later process's timers carry its prefix).
        if (this.incarnation === 1) this.group?.onTimer(...args);
        return;
      default:
        // A process started by a `start` step: its membership's timers, `p<n>:<tag>`; an older process's are dropped.
        if (this.incarnation > 1 && tag.startsWith(this.timerPrefix)) this.group?.onTimer(...unprefixed(tag.slice(this.timerPrefix.length), data));
    }
  }

  /**
   * The group membership of the current process. A process started by a `start` step gets its
   * own timer tags and request ids, so what the closed one left in flight reaches nobody.
   */
  private newGroup(): GroupMembership {
    // group.protocol: consumer is KIP-848's member (consumer-membership/); classic the JoinGroup/SyncGroup one.
    const Membership = this.options.config.groupProtocol === 'consumer' ? ConsumerMembershipManager : GroupMembership;
    if (this.incarnation === 1) return new Membership(this, this.ctx, this.options, this.cursors, this.work);
    const prefix = this.timerPrefix;
    const base = this.ctx;
    const ctx: NodeContext = { ...base, setTimer: (delay, tag, data) => base.setTimer(delay, prefix + tag, data) };
    return new Membership(this, ctx, this.options, this.cursors, this.work, this.subscription ?? undefined, (this.incarnation - 1) * 1_000_000 + 1);
  }

  /**
   * An operator's stop (SIGTERM): what KafkaConsumer.close() does — the loop finishes its batch and
   * its commit, auto-commit commits synchronously, the member leaves the group (classic: LeaveGroup,
   * not sent by a static member; consumer protocol: a heartbeat with epoch -1, -2 for a static
   * member), then the process exits. An assign() consumer just exits.
   */
  stop(done: () => void): void {
    if (!this.group || this.processClosed || this.idle || !this.started) return done();
    note(this.ctx, 'consumer-closing', { group: this.options.group });
    this.processClosed = true;
    this.group.closeGracefully(() => {
      this.idle = true;
      note(this.ctx, 'consumer-closed', { group: this.options.group });
      done();
    });
  }

  // ------------------------------------------------------------------ metadata

  /** Metadata for every topic the consumer needs (one request per topic). */
  /** The broker for Metadata: the bootstrap one, skipping brokers in reconnect back-off (ClusterConnectionStates.leastLoadedNode). */
  private leastLoadedNode(): string {
    const brokers = this.options.brokers;
    this.bootstrap = this.connections.leastLoadedNode(brokers, this.bootstrap);
    return brokers[this.bootstrap % brokers.length]!;
  }

  requestMetadata(): void {
    for (const topic of this.topics) {
      if (this.metadataPending.has(topic)) continue;
      const id = this.nextId++;
      this.metadataPending.set(topic, id);
      const broker = this.leastLoadedNode();
      this.ctx.connect(broker);
      sendTo(this.ctx, broker, { type: 'Metadata', topic, id }, HEADER_BYTES);
      timers.set(this.ctx, 10_000_000, 'metadata-timeout', { topic, id });
    }
  }

  /** Metadata for `topics` (added to what the consumer tracks), then `then` once every one has a partition count. */
  ensureMetadata(topics: readonly string[], then: () => void): void {
    let missing = false;
    for (const t of topics) {
      this.topics.add(t);
      if (!this.partitionCounts.has(t)) missing = true;
    }
    if (!missing) return then();
    this.metadataWaiters.push({ topics: [...topics], then });
    this.requestMetadata();
  }

  private onMetadata(response: MetadataResponse): void {
    if (this.metadataPending.get(response.topic) !== response.id) return;
    this.metadataPending.delete(response.topic);
    if (response.error !== 'NONE') {
      this.bootstrap++;
      timers.set(this.ctx, this.options.config.retryBackoff, 'metadata-retry', undefined);
      return;
    }
    let missing = false;
    const topic = response.topic;
    const before = this.partitionCounts.get(topic);
    if (before !== response.partitions.length) {
      this.partitionCounts.set(topic, response.partitions.length);
      if (before !== undefined) note(this.ctx, 'metadata-partitions-changed', { topic, from: before, to: response.partitions.length });
    }
    for (const p of response.partitions) {
      const queue = `${topic}-${p.partition}`;
      this.leaders.set(queue, { leader: p.leader, leaderEpoch: p.leaderEpoch });
      const cursor = this.cursors.at(topic, p.partition);
      if (!cursor) continue;
      if (p.leader === null) missing = true;
      if (p.leaderEpoch > cursor.leaderEpoch || cursor.leader === null) {
        if (cursor.leaderEpoch >= 0 && p.leaderEpoch > cursor.leaderEpoch && cursor.lastEpoch >= 0) cursor.needsValidation = true;
        cursor.leader = p.leader;
        cursor.leaderEpoch = p.leaderEpoch;
      }
    }
    if (missing) timers.set(this.ctx, Math.max(this.options.config.retryBackoff, 500_000), 'metadata-retry', undefined);
    for (const c of this.cursors.values()) this.next(c);
    if (this.metadataWaiters.length > 0) {
      const ready = this.metadataWaiters.filter((w) => w.topics.every((t) => this.partitionCounts.has(t)));
      if (ready.length > 0) {
        this.metadataWaiters = this.metadataWaiters.filter((w) => !ready.includes(w));
        for (const w of ready) w.then();
      }
    }
    this.group?.metadataUpdated();
  }

  /** A scheduled change of the application (`steps`). */
  private onStep(step: ConsumerStep): void {
    if (step.subscribe && this.group) {
      note(this.ctx, 'subscription-changed', { group: this.options.group, topics: step.subscribe });
      this.subscription = [...step.subscribe];
      for (const t of step.subscribe) this.topics.add(t);
      this.group.subscribe(step.subscribe);
      this.requestMetadata();
    }
    if (step.close && this.group && !this.processClosed && !this.idle) {
      note(this.ctx, 'consumer-closing', { group: this.options.group });
      this.processClosed = true;
      this.group.closeGracefully(() => {
        this.idle = true;
        this.work.length = 0;
        this.workHead = 0;
        note(this.ctx, 'consumer-closed', { group: this.options.group });
      });
    }
    if (step.start && this.processClosed) {
      this.processClosed = false;
      this.idle = false;
      this.incarnation++;
      this.timerPrefix = `p${this.incarnation}:`;
      note(this.ctx, 'consumer-started', { group: this.options.group, process: this.incarnation });
      this.group = this.newGroup();
      this.group.start();
      this.requestMetadata();
    }
  }

  // ------------------------------------------------------------------ per-partition loop

  /** Sends whatever the partition needs next: a position reset, a validation, or a fetch. */
  next(cursor: PartitionCursor): void {
    if (cursor.pending !== 0 || cursor.backoff !== null || cursor.buffered > 0 || this.idle || !this.started || cursor.position === AWAITING_COMMITTED || cursor.paused) return;
    const leader = cursor.leader;
    if (leader === null) return;
    if (this.connections.blackedOut(leader)) {
      cursor.backoff = timers.set(this.ctx, this.connections.blackoutEnd(leader) - this.ctx.trueNow(), 'retry', cursor);
      return;
    }
    this.ctx.connect(leader);
    const id = this.nextId++;
    cursor.pending = id;
    cursor.pendingBroker = leader;
    const topic = cursor.topic;
    if (cursor.position < 0) {
      cursor.pendingKind = 'list';
      sendTo(this.ctx, leader, {
        type: 'ListOffsets', topic, partition: cursor.partition, timestamp: this.options.config.autoOffsetReset === 'earliest' ? -2 : -1, id,
        ...(this.options.config.readCommitted ? { isolationLevel: 1 as const } : {}),
      }, HEADER_BYTES);
    } else if (cursor.needsValidation) {
      cursor.pendingKind = 'validate';
      sendTo(this.ctx, leader, {
        type: 'OffsetsForLeaderEpoch', topic, partition: cursor.partition, leaderEpoch: cursor.lastEpoch, currentLeaderEpoch: cursor.leaderEpoch, id,
      }, HEADER_BYTES);
    } else {
      cursor.pendingKind = 'fetch';
      const fetch: Fetch = {
        type: 'Fetch', replica: null, topic, partition: cursor.partition, fetchOffset: cursor.position, currentLeaderEpoch: cursor.leaderEpoch,
        maxWait: this.options.config.fetchMaxWait, maxBytes: this.options.config.maxPartitionFetchBytes, id,
      };
      if (this.options.config.fetchMinBytes > 1) fetch.minBytes = this.options.config.fetchMinBytes;
      if (this.options.config.readCommitted) fetch.isolationLevel = 1;
      sendTo(this.ctx, leader, fetch, HEADER_BYTES);
    }
    cursor.timer = timers.set(this.ctx, this.options.config.requestTimeout + this.options.config.fetchMaxWait, 'request-timeout', { cursor, id });
  }

  private take(id: number, topic: string, partition: number, kind: PartitionCursor['pendingKind']): PartitionCursor | undefined {
    const cursor = this.cursors.at(topic, partition);
    if (!cursor || cursor.pending !== id || cursor.pendingKind !== kind) return undefined;
    cursor.pending = 0;
    cursor.pendingKind = null;
    this.ctx.cancelTimer(cursor.timer);
    cursor.timer = null;
    return cursor;
  }

  private failed(cursor: PartitionCursor): void {
    this.requestMetadata();
    cursor.backoff = timers.set(this.ctx, this.options.config.retryBackoff, 'retry', cursor);
  }

  private onListOffsets(response: ListOffsetsResponse): void {
    const cursor = this.take(response.id, response.topic, response.partition, 'list');
    if (!cursor) return;
    if (response.error !== 'NONE') return this.failed(cursor);
    cursor.position = response.offset;
    if (cursor.consumed < 0) cursor.consumed = cursor.processed = response.offset;
    this.next(cursor);
  }

  private onValidate(response: OffsetsForLeaderEpochResponse): void {
    const cursor = this.take(response.id, response.topic, response.partition, 'validate');
    if (!cursor) return;
    if (response.error !== 'NONE') return this.failed(cursor);
    cursor.needsValidation = false;
    if (response.endOffset >= 0 && response.endOffset < cursor.position) {
      note(this.ctx, 'consumer-truncation-detected', { partition: cursor.queue, from: cursor.position, to: response.endOffset });
      cursor.position = response.endOffset;
    }
    this.next(cursor);
  }

  private onFetch(from: string, response: FetchResponse): void {
    const cursor = this.take(response.id, response.topic, response.partition, 'fetch');
    if (!cursor) return;
    if (response.error === 'OFFSET_OUT_OF_RANGE') {
      if (cursor.lastEpoch >= 0 && cursor.position > response.logEndOffset) cursor.needsValidation = true;
      else cursor.position = -1;
      return this.next(cursor);
    }
    if (response.error !== 'NONE') return this.failed(cursor);
    const records = response.records;
    if (records.length === 0) return this.next(cursor);
    const aborted = response.abortedTransactions !== undefined && response.abortedTransactions.length > 0 ? new AbortedFilter(response.abortedTransactions) : null;
    let handed = 0;
    let skipped = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record.offset < cursor.position) continue;
      // Control records (transaction markers) and, read_committed, aborted transactions' records are skipped.
      if ((aborted !== null && aborted.skip(record)) || record.control !== undefined) {
        cursor.position = record.offset + 1;
        skipped++;
        continue;
      }
      handed++;
      this.work.push({ cursor, record, node: from });
      cursor.buffered++;
      cursor.position = record.offset + 1;
    }
    if (handed === 0 && skipped > 0) return this.next(cursor);
    if (this.group) this.group.dataArrived();
    else this.process();
    this.next(cursor);
  }

  // ------------------------------------------------------------------ the application

  private process(): void {
    while (!this.busy && this.workHead < this.work.length) {
      const item = this.work[this.workHead]!;
      const { record, cursor } = item;
      const op: NewHistoryOp = {
        time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'receive', msg: record.msg, queue: cursor.queue,
        offset: record.offset, group: this.options.group, node: item.node,
      };
      if (record.key !== undefined) op.key = record.key;
      this.options.history.record(op);
      cursor.lastEpoch = record.epoch;
      if (this.options.processing === undefined) {
        // No processing time: handled at once, without a timer per record.
        this.done();
        continue;
      }
      this.busy = true;
      timers.set(this.ctx, Math.max(0, Math.round(this.processing())), 'processed', undefined);
    }
  }

  private done(): void {
    const item = this.work[this.workHead++]!;
    if (this.workHead > 1024 && this.workHead * 2 > this.work.length) {
      this.work.splice(0, this.workHead);
      this.workHead = 0;
    }
    item.cursor.buffered--;
    if (item.cursor.buffered === 0) this.next(item.cursor);
  }

  private onProcessed(): void {
    this.busy = false;
    this.done();
    this.process();
  }
}

/**
 * READ_COMMITTED filtering, as the Java consumer does it with a FetchResponse's aborted
 * transactions: walking the records in offset order, a producer id joins the aborted set when the
 * walk reaches the first offset of one of its aborted transactions, its transactional records are
 * dropped while it is in the set, and its ABORT marker takes it out again.
 */
export class AbortedFilter {
  private readonly pending: AbortedTransaction[];
  private next = 0;
  private readonly abortedProducers = new Set<number>();

  constructor(list: readonly AbortedTransaction[]) {
    this.pending = [...list].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Whether `record` is dropped (records must come in offset order). */
  skip(record: LogRecord): boolean {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= record.offset) this.abortedProducers.add(this.pending[this.next++]!.producerId);
    if (record.control === 'ABORT') {
      this.abortedProducers.delete(record.pid);
      return true;
    }
    return record.txn === true && this.abortedProducers.has(record.pid);
  }
}
