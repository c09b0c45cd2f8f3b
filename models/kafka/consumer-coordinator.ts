import { assignFromSubscribed } from './subscription-state.js';
import type { CloseReason } from '../../sim/connection.js';
import type { Timer } from '../../sim/kernel.js';
import type { NodeContext } from '../../sim/node.js';
import { timersOf } from '../../sim/timers.js';
import { note } from './notes.js';
import type { ForwarderTimer } from './patterns/forwarder.js';
import { sampler, type Sampler } from '../../sim/random.js';
import { assignPartitions, type MemberSubscription } from './assignors/index.js';
import { AWAITING_COMMITTED, type CommitMode, type ConsumerOptions, type CursorTable, type KafkaConsumer, type PartitionCursor, type Work } from './consumer.js';
import { makePattern, type RecordPattern } from './patterns/index.js';
import { sendTo,
  HEADER_BYTES,
  type FindCoordinatorResponse, type GroupSubscriptionMetadata, type HeartbeatResponse, type JoinGroupResponse, type KafkaError,
  type OffsetCommitResponse, type OffsetFetchResponse, type SyncGroupResponse,
} from './protocol.js';

/**
 * The member side of a consumer group (Kafka's AbstractCoordinator and ConsumerCoordinator, the
 * classic protocol), for a subscribe()-mode consumer; membership.ts is its poll loop.
 *
 * - FindCoordinator to any broker, then JoinGroup (session.timeout.ms, rebalance timeout =
 *   max.poll.interval.ms, the subscription and, for the sticky assignors, the partitions owned),
 *   SyncGroup (the leader computes the assignment with assignPartitions), OffsetFetch for the
 *   assigned partitions (no committed offset: auto.offset.reset through ListOffsets).
 * - A heartbeat thread: Heartbeat every heartbeat.interval.ms; REBALANCE_IN_PROGRESS makes the
 *   next poll() rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION lose the partitions and rejoin;
 *   no successful heartbeat for session.timeout.ms marks the coordinator unknown; no poll() for
 *   max.poll.interval.ms sends LeaveGroup (KIP-62) and the partitions are lost.
 * - Eager protocols (range, roundrobin, sticky) revoke every partition before rejoining (after a
 *   synchronous auto-commit); cooperative-sticky (KIP-429) keeps consuming what it owns, revokes
 *   only what moved after SyncGroup and, if anything did, rejoins at once.
 * - Static membership (group.instance.id, KIP-345): the instance id goes with every group
 *   request; no LeaveGroup, neither on close() nor when max.poll.interval.ms expires;
 *   FENCED_INSTANCE_ID is fatal (FencedInstanceIdException ends the poll loop).
 * - Commits: commitAsync, and commitSync that the loop waits for (retried a few times through
 *   coordinator rediscovery); each successful commit is recorded in the history.
 * - Transport (ConsumerNetworkClient): the group's requests go on the consumer's connection to
 *   the coordinator. When it closes (the coordinator's process was killed: RST; it stopped: FIN)
 *   or one of them goes unanswered for its timeout (request.timeout.ms; the consumer then closes
 *   the connection, as NetworkClient.handleTimedOutRequests does), every request in flight on it
 *   fails with a DisconnectException and the coordinator is marked unknown
 *   (markCoordinatorUnknown); FindCoordinator follows after retry.backoff.ms. A crashed or
 *   cut-off coordinator is silence, noticed only by those timeouts or the session timeout.
 *   The kernel keeps one connection per consumer and broker (the real consumer keeps a separate
 *   one to the coordinator), so a Fetch timing out on the coordinator's broker counts too.
 */
/** A group member's timers (the poll loop's included), and its pattern's forwarder's. */
export type MembershipTimer =
  | { tag: 'poll'; data: undefined }
  | { tag: 'heartbeat'; data: undefined }
  | { tag: 'heartbeat-timeout'; data: number }
  | { tag: 'find-timeout'; data: number }
  | { tag: 'find-retry'; data: undefined }
  | { tag: 'join-timeout'; data: number }
  | { tag: 'commit-timeout'; data: number }
  | { tag: 'fetch-offsets-timeout'; data: number }
  | { tag: 'fetch-offsets-retry'; data: undefined }
  | { tag: 'commit-retry'; data: undefined }
  | { tag: 'group-processed'; data: undefined }
  | { tag: 'worker-done'; data: Work }
  | { tag: 'cg-heartbeat-timeout'; data: number }
  | ForwarderTimer;
export const membershipTimers = timersOf<MembershipTimer>();

export abstract class ConsumerCoordinator {
  protected coordinator: string | null = null;
  protected findPending = 0;
  protected memberId = '';
  protected generation = -1;
  protected joinPending = 0;
  protected syncPending = 0;
  protected rejoinNeeded = true;
  protected stable = false;
  protected bootstrap: number;
  protected nextId = 1;
  protected heartbeatTimer: Timer | null = null;
  protected heartbeatPending = 0;
  /** Heartbeats sent to the current coordinator and not answered yet (each times out after request.timeout.ms). */
  protected readonly heartbeatsUnanswered = new Set<number>();
  /** The broker the FindCoordinator in flight went to. */
  protected findBroker = '';
  protected nextHeartbeat = 0;
  protected lastHeartbeatOk = 0;
  protected lastPoll = 0;
  protected nextAutoCommit = 0;
  protected readonly commitMode: CommitMode;
  protected readonly processingMode: 'sync' | 'async-pool';
  protected readonly workers: number;
  protected readonly processing: Sampler;
  /** A commitSync the loop waits for. */
  protected blockingCommit = 0;
  protected blockingThen: (() => void) | null = null;
  protected blockingAttempts = 0;
  protected blockingOffsets: { partition: string; offset: number }[] = [];
  /** OffsetCommits in flight, with the coordinator each went to. */
  protected readonly commits = new Map<number, { offsets: { partition: string; offset: number }[]; to: string }>();
  protected pollTimer: Timer | null = null;
  protected waiting = false;
  /** Last assignment from SyncGroup (the sticky assignors' user data). */
  protected lastAssignment: string[] = [];
  protected ownedGeneration = -1;
  protected offsetFetchPending = 0;
  protected closed = false;
  /** Whether this member id has had an assignment (its first one is recorded even when empty). */
  protected assignedOnce = false;
  /** The application's pattern (delay scheduler, dispatcher), or null: it delivers records itself. */
  protected readonly pattern: RecordPattern | null;
  /** FENCED_INSTANCE_ID was received: the consumer is dead for good. */
  protected fencedOut = false;
  /** subscribe(): the topics, sorted; and what the member last joined with (null: not joined). */
  protected subscription: string[];
  protected joinedSubscription: string[] | null = null;
  /** The leader's partition counts when it assigned (ConsumerCoordinator's assignmentSnapshot); null for followers. */
  protected assignmentSnapshot: Map<string, number> | null = null;
  /** The leader waits for metadata of every subscribed topic before assigning. */
  protected assigning = 0;

  constructor(
    protected readonly consumer: KafkaConsumer,
    protected readonly ctx: NodeContext,
    protected readonly options: ConsumerOptions,
    protected readonly cursors: CursorTable,
    protected readonly buffer: Work[],
    subscription?: readonly string[],
    firstId = 1,
  ) {
    this.nextId = firstId;
    this.bootstrap = ctx.random('group-bootstrap').int(options.brokers.length);
    this.commitMode = options.commit ?? (options.config.enableAutoCommit ? 'auto' : 'manual-sync-after');
    this.processingMode = options.processingMode ?? 'sync';
    this.workers = options.workers ?? 4;
    this.processing = sampler(options.processing ?? { constant: 0 }, ctx.random('group-processing'));
    this.subscription = [...new Set(subscription ?? options.topics ?? [options.topic])].sort();
    this.pattern = options.pattern
      ? makePattern(options.pattern, ctx, { brokers: options.brokers, requestTimeout: options.config.requestTimeout, retryBackoff: options.config.retryBackoff }, options.stats, options.history)
      : null;
  }

  protected get config() {
    return this.options.config;
  }

  protected get instanceId(): string | null {
    return this.options.groupInstanceId ?? null;
  }

  // ------------------------------------------------------------------ coordinator discovery

  protected findCoordinator(): void {
    if (this.findPending !== 0 || this.coordinator !== null || this.closed) return;
    const id = this.nextId++;
    this.findPending = id;
    const brokers = this.options.brokers;
    // leastLoadedNode: a broker not in reconnect back-off.
    this.bootstrap = this.consumer.leastLoadedFrom(this.bootstrap);
    const broker = brokers[this.bootstrap % brokers.length]!;
    this.findBroker = broker;
    this.ctx.connect(broker);
    sendTo(this.ctx, broker, { type: 'FindCoordinator', key: this.options.group, id });
    // A dead bootstrap broker: the connection attempt fails after socket.connection.setup.timeout.ms (10000).
    membershipTimers.set(this.ctx, Math.min(this.config.requestTimeout, 10_000_000), 'find-timeout', id);
  }

  protected onFindCoordinator(response: FindCoordinatorResponse): void {
    if (response.id !== this.findPending) return;
    this.findPending = 0;
    if (response.error !== 'NONE' || response.coordinator === null) {
      this.bootstrap++;
      membershipTimers.set(this.ctx, Math.max(this.config.retryBackoff, 100_000), 'find-retry', undefined);
      return;
    }
    this.coordinator = response.coordinator;
    this.lastHeartbeatOk = this.ctx.trueNow();
    note(this.ctx, 'coordinator-found', { group: this.options.group, coordinator: response.coordinator });
    if (this.blockingCommit === -1) this.sendBlockingCommit();
    if (this.stable && this.offsetFetchPending === -1) this.fetchCommitted();
    this.coordinatorFound();
    this.poll();
  }

  /** The consumer group protocol heartbeats to a newly found coordinator at once (consumer-membership/). */
  protected coordinatorFound(): void {}

  protected coordinatorUnknown(): void {
    this.forgetCoordinator();
    this.findCoordinator();
  }

  /** markCoordinatorUnknown without the lookup that usually follows at once. */
  private forgetCoordinator(): void {
    if (this.coordinator !== null) note(this.ctx, 'coordinator-unknown', { group: this.options.group, coordinator: this.coordinator });
    this.coordinator = null;
    this.joinPending = 0;
    this.syncPending = 0;
    this.heartbeatsUnanswered.clear();
    if (this.offsetFetchPending > 0) this.offsetFetchPending = -1;
  }

  protected send(message: Parameters<typeof sendTo>[2], bytes = HEADER_BYTES): void {
    this.ctx.connect(this.coordinator!);
    sendTo(this.ctx, this.coordinator!, message, bytes);
  }

  /**
   * A request to the coordinator went unanswered for its timeout: the consumer closes the
   * connection (NetworkClient.handleTimedOutRequests), which fails everything in flight on it.
   */
  protected coordinatorRequestTimedOut(): void {
    const broker = this.coordinator;
    if (broker === null) return;
    this.ctx.disconnect(broker);
    this.consumer.onConnectionClosed(broker, 'timeout');
  }

  /**
   * The consumer's connection to `broker` closed. A FindCoordinator in flight there fails (the
   * lookup moves on to another broker after retry.backoff.ms); if `broker` is the coordinator,
   * every group request in flight fails with a DisconnectException and the coordinator is marked
   * unknown: JoinGroup / SyncGroup are sent again to the next one, a commitSync retries there.
   */
  connectionClosed(broker: string, reason: CloseReason): void {
    if (this.findPending !== 0 && this.findBroker === broker) {
      this.findPending = 0;
      this.bootstrap++;
      membershipTimers.set(this.ctx, this.config.retryBackoff, 'find-retry', undefined);
    }
    if (this.coordinator !== broker) return;
    note(this.ctx, 'coordinator-disconnected', { group: this.options.group, coordinator: broker, reason });
    if (this.joinPending !== 0 || this.syncPending !== 0) this.rejoinNeeded = true;
    const commits = [...this.commits.keys()];
    this.forgetCoordinator();
    this.coordinatorRequestsFailed();
    // ensureCoordinatorReady: the coordinator is unavailable, back off before the lookup.
    membershipTimers.set(this.ctx, this.config.retryBackoff, 'find-retry', undefined);
    for (const id of commits) this.onCommit({ type: 'OffsetCommitResponse', id, error: 'NETWORK_EXCEPTION' });
  }

  /** The requests in flight to the old coordinator failed (the consumer group protocol's heartbeat). */
  protected coordinatorRequestsFailed(): void {}

  // ------------------------------------------------------------------ join / sync

  protected get cooperative(): boolean {
    return this.config.strategy === 'cooperative-sticky';
  }

  /** onJoinPrepare then JoinGroup. */
  protected startJoin(): void {
    if (this.joinPending !== 0 || this.syncPending !== 0 || this.coordinator === null) return;
    if (this.stable && this.commitMode === 'auto' && this.generation >= 0 && this.blockingCommit === 0) {
      // onJoinPrepare: auto-commit synchronously before the rebalance.
      this.stable = false;
      this.commitSync(this.consumedOffsets(), () => this.startJoin());
      return;
    }
    this.stable = false;
    if (!this.cooperative && this.cursors.size > 0) this.revoke([...this.cursors.values()], 'revoked');
    if (this.cooperative) {
      // onJoinPrepare: partitions of topics no longer subscribed are revoked before rejoining.
      const dropped = [...this.cursors.values()].filter((c) => !this.subscription.includes(c.topic));
      if (dropped.length > 0) this.revoke(dropped, 'revoked');
    }
    this.rejoinNeeded = false;
    const id = this.nextId++;
    this.joinPending = id;
    this.joinedSubscription = this.subscription;
    const owned = this.cooperative ? [...this.cursors.values()].map((c) => c.queue)
      : this.config.strategy === 'sticky' ? this.lastAssignment.filter((q) => this.subscription.includes(parsePartition(q).topic)) : [];
    const metadata: GroupSubscriptionMetadata = { topics: this.subscription, ownedPartitions: owned, generation: owned.length > 0 ? this.ownedGeneration : -1 };
    this.send({
      type: 'JoinGroup', groupId: this.options.group, memberId: this.memberId, groupInstanceId: this.instanceId, clientId: this.ctx.name,
      sessionTimeout: this.config.sessionTimeout, rebalanceTimeout: this.config.maxPollInterval,
      protocols: [{ name: this.config.strategy, metadata }], id,
    });
    membershipTimers.set(this.ctx, this.config.maxPollInterval + 5_000_000, 'join-timeout', id);
  }

  protected onJoin(response: JoinGroupResponse): void {
    if (response.id !== this.joinPending) return;
    this.joinPending = 0;
    if (response.error !== 'NONE') return this.joinFailed(response.error);
    this.memberId = response.memberId;
    this.generation = response.generationId;
    this.assignmentSnapshot = null;
    if (response.leader === response.memberId && response.skipAssignment) {
      // KIP-814: a static leader that rejoined a Stable group leads without reassigning; it keeps
      // watching metadata from the partition counts it knows now.
      note(this.ctx, 'group-assignment-skipped', { group: this.options.group, generation: this.generation });
      this.assignmentSnapshot = this.snapshot(this.subscription);
      return this.sync([]);
    }
    if (response.leader !== response.memberId) return this.sync([]);
    // The leader assigns from fresh metadata of every topic any member subscribes to.
    const topics = [...new Set(response.members.flatMap((m) => m.metadata.topics))].sort();
    const assigning = ++this.assigning;
    const generation = this.generation;
    this.consumer.ensureMetadata(topics, () => {
      if (assigning !== this.assigning || generation !== this.generation || this.memberId !== response.memberId || this.joinPending !== 0) return;
      this.sync(this.assign(response, topics));
    });
  }

  protected snapshot(topics: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of topics) out.set(t, this.consumer.partitionCounts.get(t) ?? 0);
    return out;
  }

  /** The leader runs the assignor. */
  protected assign(response: JoinGroupResponse, topics: readonly string[]): { memberId: string; partitions: string[] }[] {
    const subscriptions: Record<string, MemberSubscription> = {};
    for (const m of response.members) {
      const sub: MemberSubscription = { topics: m.metadata.topics };
      if (m.groupInstanceId !== null) sub.groupInstanceId = m.groupInstanceId;
      if (m.metadata.ownedPartitions.length > 0) {
        sub.ownedPartitions = m.metadata.ownedPartitions.map(parsePartition);
        if (m.metadata.generation >= 0) sub.generation = m.metadata.generation;
      }
      subscriptions[m.memberId] = sub;
    }
    const partitionsPerTopic: Record<string, number> = {};
    for (const t of topics) partitionsPerTopic[t] = this.consumer.partitionCounts.get(t) ?? 0;
    this.assignmentSnapshot = this.snapshot(topics);
    const assignment = assignPartitions(this.config.strategy, { partitionsPerTopic, subscriptions });
    const assignments: { memberId: string; partitions: string[] }[] = [];
    let idle = 0;
    for (const m of response.members) {
      const partitions = (assignment[m.memberId] ?? []).map((tp) => `${tp.topic}-${tp.partition}`);
      if (partitions.length === 0) idle++;
      assignments.push({ memberId: m.memberId, partitions });
    }
    const stats = this.options.stats;
    if (stats && idle > stats.idleConsumersMax) stats.idleConsumersMax = idle;
    note(this.ctx, 'group-assignment-computed', { group: this.options.group, generation: this.generation, strategy: this.config.strategy, assignments });
    return assignments;
  }

  protected sync(assignments: { memberId: string; partitions: string[] }[]): void {
    const id = this.nextId++;
    this.syncPending = id;
    this.send({ type: 'SyncGroup', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, assignments, id }, HEADER_BYTES + 32 * assignments.length);
    membershipTimers.set(this.ctx, this.config.maxPollInterval + 5_000_000, 'join-timeout', id);
  }

  /** subscribe(topics): the next poll() rejoins with the new subscription. */
  subscribe(topics: readonly string[]): void {
    this.subscription = [...new Set(topics)].sort();
    if (this.joinedSubscription !== null && !sameTopics(this.joinedSubscription, this.subscription)) {
      this.rejoinNeeded = true;
      if (this.waiting) this.poll();
    }
  }

  /**
   * New metadata: the leader compares the partition counts of the group's topics with those it
   * assigned from and, when one changed, rejoins so the group rebalances (the leader rejoining a
   * Stable group always triggers one).
   */
  metadataUpdated(): void {
    const snapshot = this.assignmentSnapshot;
    if (snapshot === null || this.closed) return;
    for (const [topic, count] of snapshot) {
      const now = this.consumer.partitionCounts.get(topic);
      if (now !== undefined && now !== count) {
        note(this.ctx, 'group-metadata-changed', { group: this.options.group, topic, from: count, to: now });
        this.assignmentSnapshot = null;
        this.rejoinNeeded = true;
        if (this.waiting) this.poll();
        return;
      }
    }
  }

  protected joinFailed(error: KafkaError): void {
    if (error === 'FENCED_INSTANCE_ID') return this.fenced();
    if (error === 'UNKNOWN_MEMBER_ID' || error === 'ILLEGAL_GENERATION') this.resetMember('lost');
    this.rejoinNeeded = true;
    if (error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE') this.coordinatorUnknown();
    else this.schedulePoll(this.config.retryBackoff);
  }

  protected onSync(response: SyncGroupResponse): void {
    if (response.id !== this.syncPending) return;
    this.syncPending = 0;
    if (response.error !== 'NONE') return this.joinFailed(response.error);
    // A completed SyncGroup satisfies earlier requests to rejoin (AbstractCoordinator clears
    // rejoinNeeded here), e.g. a commit answered REBALANCE_IN_PROGRESS during this very rebalance;
    // a subscription changed meanwhile still needs one.
    this.rejoinNeeded = this.joinedSubscription !== null && !sameTopics(this.joinedSubscription, this.subscription);
    const assigned = response.partitions;
    // Stickiness, measured: partitions gained by a member that already held some (sticky moves
    // only what a leaver left or a newcomer needs; range and round-robin reshuffle stayers).
    if (this.lastAssignment.length > 0 && this.options.stats) {
      const held = new Set(this.lastAssignment);
      for (const q of assigned) if (!held.has(q)) this.options.stats.partitionsMovedOnRebalance++;
    }
    this.lastAssignment = assigned;
    this.ownedGeneration = this.generation;
    const assignedSet = new Set(assigned);
    const revoked = [...this.cursors.values()].filter((c) => !assignedSet.has(c.queue));
    if (revoked.length > 0) {
      this.options.stats && this.options.stats.revocations++;
      this.revoke(revoked, 'revoked', false);
      // KIP-429: partitions revoked in a cooperative rebalance go to their new owner in the next one.
      this.rejoinNeeded = true;
    }
    const added = assignFromSubscribed(this.consumer, this.cursors, assigned) > 0;
    if (added || revoked.length > 0 || !this.cooperative || !this.assignedOnce) this.recordAssign();
    this.assignedOnce = true;
    this.stable = true;
    note(this.ctx, 'group-synced', { group: this.options.group, member: this.memberId, generation: this.generation, partitions: assigned });
    this.startHeartbeats();
    if (added) this.fetchCommitted();
    this.poll();
  }

  protected recordAssign(): void {
    const queues = [...this.cursors.values()].map((c) => c.queue).sort();
    this.options.ownership?.set(this.ctx.name, this.options.group, queues);
    this.options.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'assign', queues, group: this.options.group });
  }

  /** Drops partitions: their buffered records and in-flight fetches go. */
  protected revoke(cursors: PartitionCursor[], why: 'revoked' | 'lost', record = true): void {
    for (const cursor of cursors) {
      if (!this.cursors.owns(cursor)) continue;
      this.ctx.cancelTimer(cursor.timer);
      this.ctx.cancelTimer(cursor.backoff);
      this.cursors.delete(cursor);
    }
    let w = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const item = this.buffer[i]!;
      if (this.cursors.owns(item.cursor)) this.buffer[w++] = item;
    }
    this.buffer.length = w;
    note(this.ctx, why === 'lost' ? 'partitions-lost' : 'partitions-revoked', { group: this.options.group, partitions: cursors.map((c) => c.queue) });
    if (record) this.recordAssign();
  }

  protected resetMember(why: 'lost' | 'left'): void {
    this.memberId = '';
    this.generation = -1;
    this.stable = false;
    this.assignedOnce = false;
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.assignmentSnapshot = null;
    if (this.cursors.size > 0) this.revoke([...this.cursors.values()], why === 'lost' ? 'lost' : 'revoked');
  }

  protected fetchCommitted(): void {
    if (this.coordinator === null) {
      this.offsetFetchPending = -1;
      return this.findCoordinator();
    }
    const partitions = [...this.cursors.values()].filter((c) => c.position === AWAITING_COMMITTED).map((c) => c.queue);
    if (partitions.length === 0) return;
    const id = this.nextId++;
    this.offsetFetchPending = id;
    // KIP-447: the Java consumer always asks for stable offsets (require_stable).
    this.send({ type: 'OffsetFetch', groupId: this.options.group, partitions, id, requireStable: true });
    membershipTimers.set(this.ctx, this.config.requestTimeout, 'fetch-offsets-timeout', id);
  }

  protected onOffsetFetch(response: OffsetFetchResponse): void {
    if (response.id !== this.offsetFetchPending) return;
    this.offsetFetchPending = 0;
    if (response.error !== 'NONE') {
      this.offsetFetchPending = -1;
      return this.coordinatorUnknown();
    }
    let unstable = 0;
    for (const o of response.offsets) {
      const cursor = this.cursors.get(o.partition);
      if (!cursor || cursor.position !== AWAITING_COMMITTED) continue;
      if (o.error === 'UNSTABLE_OFFSET_COMMIT') {
        // A transaction has this partition's offset pending: ask again after retry.backoff.ms
        // (ConsumerCoordinator: UnstableOffsetCommitException is retriable).
        unstable++;
        continue;
      }
      if (o.offset >= 0) {
        cursor.position = o.offset;
        cursor.consumed = cursor.processed = o.offset;
      } else cursor.position = -1;
      this.consumer.next(cursor);
    }
    if (unstable > 0) {
      if (this.options.stats) this.options.stats.unstableOffsetFetches++;
      note(this.ctx, 'offset-fetch-unstable', { group: this.options.group, partitions: unstable });
      this.offsetFetchPending = -1;
      membershipTimers.set(this.ctx, this.config.retryBackoff, 'fetch-offsets-retry', undefined);
    }
    if ([...this.cursors.values()].some((c) => c.leader === null)) this.consumer.requestMetadata();
  }

  // ------------------------------------------------------------------ heartbeat thread

  protected startHeartbeats(): void {
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.nextHeartbeat = this.ctx.trueNow() + this.config.heartbeatInterval;
    this.heartbeatTimer = membershipTimers.set(this.ctx, this.config.heartbeatInterval, 'heartbeat', undefined);
  }

  protected heartbeat(): void {
    this.heartbeatTimer = null;
    if (this.memberId === '' || this.closed) return;
    const now = this.ctx.trueNow();
    if (now - this.lastPoll > this.config.maxPollInterval) {
      // KIP-62: the application stopped calling poll(); the heartbeat thread leaves the group.
      this.options.stats && this.options.stats.maxPollLeaves++;
      note(this.ctx, 'max-poll-interval-exceeded', { group: this.options.group, member: this.memberId, sincePoll: now - this.lastPoll });
      // A static member sends no LeaveGroup: it stays in the group until its session times out.
      if (this.coordinator !== null && this.instanceId === null) this.send({ type: 'LeaveGroup', groupId: this.options.group, memberId: this.memberId, id: this.nextId++ });
      this.resetMember('lost');
      this.rejoinNeeded = true;
      return;
    }
    if (this.coordinator !== null && now - this.lastHeartbeatOk > this.config.sessionTimeout) this.coordinatorUnknown();
    if (this.coordinator !== null && this.generation >= 0 && now >= this.nextHeartbeat) {
      const id = this.nextId++;
      this.heartbeatPending = id;
      this.heartbeatsUnanswered.add(id);
      this.nextHeartbeat = now + this.config.heartbeatInterval;
      this.send({ type: 'Heartbeat', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, id });
      membershipTimers.set(this.ctx, this.config.requestTimeout, 'heartbeat-timeout', id);
    }
    // The heartbeat thread wakes for the next heartbeat or the poll deadline, whichever comes first.
    const pollDeadline = this.lastPoll + this.config.maxPollInterval + 1;
    this.heartbeatTimer = membershipTimers.set(this.ctx, Math.max(1, Math.min(this.nextHeartbeat, pollDeadline) - now), 'heartbeat', undefined);
  }

  /** 'heartbeat-timeout': this Heartbeat went unanswered for request.timeout.ms. */
  protected onClassicHeartbeatTimeout(id: number): void {
    if (this.heartbeatsUnanswered.has(id)) this.coordinatorRequestTimedOut();
  }

  protected onHeartbeat(response: HeartbeatResponse): void {
    // Answers come in order on the connection: this one answers every earlier heartbeat too.
    for (const id of this.heartbeatsUnanswered) if (id <= response.id) this.heartbeatsUnanswered.delete(id);
    if (response.id !== this.heartbeatPending) return;
    this.heartbeatPending = 0;
    if (response.error !== 'NONE' && (this.joinPending !== 0 || this.syncPending !== 0 || !this.stable)) {
      // Already rebalancing: the JoinGroup / SyncGroup response decides (AbstractCoordinator ignores these).
      if (response.error === 'REBALANCE_IN_PROGRESS') this.lastHeartbeatOk = this.ctx.trueNow();
      return;
    }
    switch (response.error) {
      case 'NONE':
        this.lastHeartbeatOk = this.ctx.trueNow();
        return;
      case 'FENCED_INSTANCE_ID':
        return this.fenced();
      case 'REBALANCE_IN_PROGRESS':
        this.lastHeartbeatOk = this.ctx.trueNow();
        if (!this.rejoinNeeded) note(this.ctx, 'rebalance-in-progress', { group: this.options.group, member: this.memberId });
        this.rejoinNeeded = true;
        if (this.waiting) this.poll();
        return;
      case 'UNKNOWN_MEMBER_ID':
      case 'ILLEGAL_GENERATION':
        this.resetMember('lost');
        this.rejoinNeeded = true;
        if (this.waiting) this.poll();
        return;
      default:
        this.coordinatorUnknown();
    }
  }

  // ------------------------------------------------------------------ commits

  protected consumedOffsets(): { partition: string; offset: number }[] {
    const out: { partition: string; offset: number }[] = [];
    for (const c of this.cursors.values()) if (c.consumed >= 0) out.push({ partition: c.queue, offset: c.consumed });
    return out;
  }

  protected processedOffsets(): { partition: string; offset: number }[] {
    const out: { partition: string; offset: number }[] = [];
    for (const c of this.cursors.values()) if (c.processed >= 0) out.push({ partition: c.queue, offset: c.processed });
    return out;
  }

  protected commitAsync(offsets: { partition: string; offset: number }[]): void {
    if (offsets.length === 0 || this.coordinator === null || this.generation < 0) return;
    const id = this.nextId++;
    this.commits.set(id, { offsets, to: this.coordinator });
    this.send({ type: 'OffsetCommit', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, offsets, id }, HEADER_BYTES + 16 * offsets.length);
    membershipTimers.set(this.ctx, this.config.requestTimeout, 'commit-timeout', id);
  }

  /** commitSync: the loop waits; retriable errors retry (coordinator rediscovery) a few times. */
  protected commitSync(offsets: { partition: string; offset: number }[], then: () => void): void {
    if (offsets.length === 0 || this.generation < 0) return then();
    this.blockingThen = then;
    this.blockingOffsets = offsets;
    this.blockingAttempts = 0;
    this.sendBlockingCommit();
  }

  protected sendBlockingCommit(): void {
    if (this.blockingThen === null) return;
    if (this.coordinator === null) {
      this.blockingCommit = -1;
      return this.findCoordinator();
    }
    const id = this.nextId++;
    this.blockingCommit = id;
    this.commits.set(id, { offsets: this.blockingOffsets, to: this.coordinator });
    this.send({ type: 'OffsetCommit', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, offsets: this.blockingOffsets, id });
    membershipTimers.set(this.ctx, this.config.requestTimeout, 'commit-timeout', id);
  }

  protected onCommit(response: OffsetCommitResponse): void {
    const pending = this.commits.get(response.id);
    if (!pending) return;
    this.commits.delete(response.id);
    if (response.error === 'NONE') {
      for (const o of pending.offsets) {
        this.options.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'commit', queue: o.partition, offset: o.offset, group: this.options.group });
      }
    } else note(this.ctx, 'commit-failed', { group: this.options.group, error: response.error });
    if (response.id !== this.blockingCommit) return;
    const retriable = response.error === 'NOT_COORDINATOR' || response.error === 'COORDINATOR_NOT_AVAILABLE' || response.error === 'REQUEST_TIMED_OUT' || response.error === 'NETWORK_EXCEPTION';
    if (retriable) {
      // NETWORK_EXCEPTION: the disconnect marked the coordinator unknown already.
      if (response.error !== 'COORDINATOR_NOT_AVAILABLE' && response.error !== 'NETWORK_EXCEPTION') this.coordinatorUnknown();
      if (++this.blockingAttempts < 5) {
        this.blockingCommit = -2;
        membershipTimers.set(this.ctx, this.config.retryBackoff, 'commit-retry', undefined);
        return;
      }
    }
    if (response.error === 'FENCED_INSTANCE_ID') {
      this.blockingThen = null;
      this.blockingCommit = 0;
      return this.fenced();
    }
    // Done, or CommitFailedException (the member was fenced by a rebalance): the loop goes on.
    if (response.error === 'UNKNOWN_MEMBER_ID' || response.error === 'ILLEGAL_GENERATION') {
      this.resetMember('lost');
      this.rejoinNeeded = true;
    } else if (response.error === 'REBALANCE_IN_PROGRESS') this.rejoinNeeded = true;
    const then = this.blockingThen;
    this.blockingThen = null;
    this.blockingCommit = 0;
    then?.();
  }

  protected schedulePoll(delay: number): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = membershipTimers.set(this.ctx, delay, 'poll', undefined);
  }

  /** The poll loop (membership.ts). */
  abstract poll(): void;

  /** FencedInstanceIdException: another consumer with this group.instance.id took over; this one stops. */
  protected fenced(): void {
    if (this.closed) return;
    note(this.ctx, 'fenced-instance-id', { group: this.options.group, instance: this.instanceId, member: this.memberId });
    this.resetMember('lost');
    this.closed = true;
    this.fencedOut = true;
    this.consumer.idle = true;
  }
}

export function parsePartition(text: string): { topic: string; partition: number } {
  const dash = text.lastIndexOf('-');
  return { topic: text.slice(0, dash), partition: Number.parseInt(text.slice(dash + 1), 10) };
}

export function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
