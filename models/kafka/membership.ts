import type { NewHistoryOp } from '../../sim/history.js';
import type { Timer } from '../../sim/kernel.js';
import type { Message, NodeContext } from '../../sim/node.js';
import { sampler, type Sampler } from '../../sim/random.js';
import { assignPartitions, type MemberSubscription } from './assignors/index.js';
import { AWAITING_COMMITTED, newCursor, type CommitMode, type ConsumerOptions, type CursorTable, type KafkaConsumer, type PartitionCursor, type Work } from './consumer.js';
import { makePattern, type RecordPattern } from './patterns/index.js';
import { sendTo,
  HEADER_BYTES,
  type FindCoordinatorResponse, type GroupSubscriptionMetadata, type HeartbeatResponse, type JoinGroupResponse, type KafkaError,
  type OffsetCommitResponse, type OffsetFetchResponse, type SyncGroupResponse,
} from './protocol.js';

/**
 * A subscribe()-mode consumer's group membership and poll loop (ConsumerCoordinator /
 * AbstractCoordinator, the classic protocol):
 *
 * - FindCoordinator to any broker, then JoinGroup (session.timeout.ms, rebalance timeout =
 *   max.poll.interval.ms, the subscription and, for the sticky assignors, the partitions owned),
 *   SyncGroup (the leader computes the assignment with assignPartitions), OffsetFetch for the
 *   assigned partitions (no committed offset: auto.offset.reset through ListOffsets).
 * - A heartbeat thread: Heartbeat every heartbeat.interval.ms; REBALANCE_IN_PROGRESS makes the
 *   next poll() rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION lose the partitions and rejoin;
 *   no successful heartbeat for session.timeout.ms marks the coordinator unknown; no poll() for
 *   max.poll.interval.ms sends LeaveGroup (KIP-62) and the partitions are lost.
 * - Rebalances happen inside poll(). Eager protocols (range, roundrobin, sticky): before
 *   rejoining, auto-commit commits synchronously and every partition is revoked, so nothing is
 *   consumed until SyncGroup. cooperative-sticky (KIP-429): the member keeps consuming what it
 *   owns while rejoining; after SyncGroup it revokes only what moved and, if anything did, rejoins
 *   at once so the next rebalance can hand those partitions over.
 * - The application: poll() returns up to max.poll.records buffered records. processingMode
 *   sync processes them one by one in the loop; async-pool hands them to `workers` threads and
 *   polls again (the hand-off queue holds max.poll.records; poll() blocks while it is full).
 *   A receive is recorded in the history when the application has processed the record: a
 *   record that was returned by poll() and committed but never processed (a crash) was never
 *   delivered.
 * - Static membership (group.instance.id, KIP-345): the member sends its instance id with every
 *   group request; it sends no LeaveGroup, neither on close() nor when max.poll.interval.ms
 *   expires, so a restart within session.timeout.ms gets its old partitions back without a
 *   rebalance. FENCED_INSTANCE_ID (another process took the instance id) is fatal: the consumer
 *   stops, as FencedInstanceIdException ends the Java consumer's poll loop.
 * - Commits: auto (enable.auto.commit: inside poll(), once auto.commit.interval.ms has passed,
 *   commitAsync of the positions of records returned by earlier polls; also synchronously before
 *   a rebalance and on close), manual-sync-after / manual-async-after (commitSync / commitAsync
 *   of the processed positions after each poll's records), manual-before (commitSync of what
 *   poll() returned, then processing).
 */
export class GroupMembership {
  private coordinator: string | null = null;
  private findPending = 0;
  private memberId = '';
  private generation = -1;
  private joinPending = 0;
  private syncPending = 0;
  private rejoinNeeded = true;
  private stable = false;
  private bootstrap: number;
  private nextId = 1;
  private heartbeatTimer: Timer | null = null;
  private heartbeatPending = 0;
  private nextHeartbeat = 0;
  private lastHeartbeatOk = 0;
  private lastPoll = 0;
  private nextAutoCommit = 0;
  private readonly commitMode: CommitMode;
  private readonly processingMode: 'sync' | 'async-pool';
  private readonly workers: number;
  private readonly processing: Sampler;
  /** Sync processing: the batch being processed and where it is. */
  private batch: Work[] = [];
  private batchIndex = 0;
  private inBatch = false;
  /** A commitSync the loop waits for. */
  private blockingCommit = 0;
  private blockingThen: (() => void) | null = null;
  private blockingAttempts = 0;
  private blockingOffsets: { partition: string; offset: number }[] = [];
  private readonly commits = new Map<number, { offsets: { partition: string; offset: number }[] }>();
  private pollTimer: Timer | null = null;
  private waiting = false;
  /** Async pool: records handed off, and busy workers. */
  private readonly pool: Work[] = [];
  private poolHead = 0;
  private busyWorkers = 0;
  /** Last assignment from SyncGroup (the sticky assignors' user data). */
  private lastAssignment: string[] = [];
  private ownedGeneration = -1;
  private offsetFetchPending = 0;
  private closed = false;
  /** Whether this member id has had an assignment (its first one is recorded even when empty). */
  private assignedOnce = false;
  /** The application's pattern (delay scheduler, dispatcher), or null: it delivers records itself. */
  private readonly pattern: RecordPattern | null;
  /** producer.flush() before the commit: the loop waits. */
  private flushing = false;
  /** FENCED_INSTANCE_ID was received: the consumer is dead for good. */
  private fencedOut = false;
  /** close() was called: done once the loop reaches its next poll(). */
  private closeRequested: (() => void) | null = null;
  /** subscribe(): the topics, sorted; and what the member last joined with (null: not joined). */
  private subscription: string[];
  private joinedSubscription: string[] | null = null;
  /** The leader's partition counts when it assigned (ConsumerCoordinator's assignmentSnapshot); null for followers. */
  private assignmentSnapshot: Map<string, number> | null = null;
  /** The leader waits for metadata of every subscribed topic before assigning. */
  private assigning = 0;

  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly ctx: NodeContext,
    private readonly options: ConsumerOptions,
    private readonly cursors: CursorTable,
    private readonly buffer: Work[],
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
      ? makePattern(options.pattern, ctx, { brokers: options.brokers, requestTimeout: options.config.requestTimeout, retryBackoff: options.config.retryBackoff })
      : null;
  }

  /** A MetadataResponse for the pattern's producer: true when it was its own. */
  forwarderReceive(message: Message): boolean {
    return this.pattern !== null && this.pattern.forwarder.receive(message);
  }

  private get config() {
    return this.options.config;
  }

  private get instanceId(): string | null {
    return this.options.groupInstanceId ?? null;
  }

  start(): void {
    const now = this.ctx.trueNow();
    this.lastPoll = now;
    this.nextAutoCommit = now + this.config.autoCommitInterval;
    this.lastHeartbeatOk = now;
    this.poll();
  }

  onLiveness(): void {
    // A fenced consumer's poll loop died with FencedInstanceIdException; nothing brings it back.
    if (this.fencedOut) return;
    this.closed = false;
    this.rejoinNeeded = true;
    this.lastPoll = this.ctx.trueNow();
    this.poll();
  }

  // ------------------------------------------------------------------ dispatch

  receive(_from: string, message: Message): void {
    switch (message.type) {
      case 'FindCoordinatorResponse': return this.onFindCoordinator(message as FindCoordinatorResponse);
      case 'JoinGroupResponse': return this.onJoin(message as JoinGroupResponse);
      case 'SyncGroupResponse': return this.onSync(message as SyncGroupResponse);
      case 'HeartbeatResponse': return this.onHeartbeat(message as HeartbeatResponse);
      case 'OffsetCommitResponse': return this.onCommit(message as OffsetCommitResponse);
      case 'OffsetFetchResponse': return this.onOffsetFetch(message as OffsetFetchResponse);
      case 'ProduceResponse':
        this.pattern?.forwarder.receive(message);
        return;
      default:
    }
  }

  onTimer(tag: string, data: unknown): void {
    switch (tag) {
      case 'poll':
        this.pollTimer = null;
        return this.poll();
      case 'heartbeat': return this.heartbeat();
      case 'find-timeout':
        if (this.findPending === data) {
          this.findPending = 0;
          this.bootstrap++;
          this.findCoordinator();
        }
        return;
      case 'find-retry': return this.findCoordinator();
      case 'join-timeout':
        if (this.joinPending === data || this.syncPending === data) {
          this.joinPending = 0;
          this.syncPending = 0;
          this.coordinatorUnknown();
        }
        return;
      case 'commit-timeout':
        if (this.commits.has(data as number)) this.onCommit({ type: 'OffsetCommitResponse', id: data as number, error: 'REQUEST_TIMED_OUT' });
        return;
      case 'fetch-offsets-timeout':
        if (this.offsetFetchPending === data) {
          this.offsetFetchPending = 0;
          this.coordinatorUnknown();
        }
        return;
      case 'group-processed': return this.onProcessed();
      case 'worker-done': return this.onWorkerDone(data as Work);
      case 'commit-retry': return this.sendBlockingCommit();
      default:
        this.pattern?.forwarder.onTimer(tag, data);
    }
  }

  // ------------------------------------------------------------------ coordinator discovery

  private findCoordinator(): void {
    if (this.findPending !== 0 || this.coordinator !== null || this.closed) return;
    const id = this.nextId++;
    this.findPending = id;
    const brokers = this.options.brokers;
    sendTo(this.ctx, brokers[this.bootstrap % brokers.length]!, { type: 'FindCoordinator', key: this.options.group, id });
    // A dead bootstrap broker: the connection attempt fails after socket.connection.setup.timeout.ms (10000).
    this.ctx.setTimer(Math.min(this.config.requestTimeout, 10_000_000), 'find-timeout', id);
  }

  private onFindCoordinator(response: FindCoordinatorResponse): void {
    if (response.id !== this.findPending) return;
    this.findPending = 0;
    if (response.error !== 'NONE' || response.coordinator === null) {
      this.bootstrap++;
      this.ctx.setTimer(Math.max(this.config.retryBackoff, 100_000), 'find-retry');
      return;
    }
    this.coordinator = response.coordinator;
    this.lastHeartbeatOk = this.ctx.trueNow();
    this.ctx.note('coordinator-found', { group: this.options.group, coordinator: response.coordinator });
    if (this.blockingCommit === -1) this.sendBlockingCommit();
    if (this.stable && this.offsetFetchPending === -1) this.fetchCommitted();
    this.poll();
  }

  private coordinatorUnknown(): void {
    if (this.coordinator !== null) this.ctx.note('coordinator-unknown', { group: this.options.group, coordinator: this.coordinator });
    this.coordinator = null;
    this.joinPending = 0;
    this.syncPending = 0;
    if (this.offsetFetchPending > 0) this.offsetFetchPending = -1;
    this.findCoordinator();
  }

  private send(message: Parameters<typeof sendTo>[2], bytes = HEADER_BYTES): void {
    sendTo(this.ctx, this.coordinator!, message, bytes);
  }

  // ------------------------------------------------------------------ join / sync

  private get cooperative(): boolean {
    return this.config.strategy === 'cooperative-sticky';
  }

  /** onJoinPrepare then JoinGroup. */
  private startJoin(): void {
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
    this.ctx.setTimer(this.config.maxPollInterval + 5_000_000, 'join-timeout', id);
  }

  private onJoin(response: JoinGroupResponse): void {
    if (response.id !== this.joinPending) return;
    this.joinPending = 0;
    if (response.error !== 'NONE') return this.joinFailed(response.error);
    this.memberId = response.memberId;
    this.generation = response.generationId;
    this.assignmentSnapshot = null;
    if (response.leader === response.memberId && response.skipAssignment) {
      // KIP-814: a static leader that rejoined a Stable group leads without reassigning; it keeps
      // watching metadata from the partition counts it knows now.
      this.ctx.note('group-assignment-skipped', { group: this.options.group, generation: this.generation });
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

  private snapshot(topics: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of topics) out.set(t, this.consumer.partitionCounts.get(t) ?? 0);
    return out;
  }

  /** The leader runs the assignor. */
  private assign(response: JoinGroupResponse, topics: readonly string[]): { memberId: string; partitions: string[] }[] {
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
    this.ctx.note('group-assignment-computed', { group: this.options.group, generation: this.generation, strategy: this.config.strategy, assignments });
    return assignments;
  }

  private sync(assignments: { memberId: string; partitions: string[] }[]): void {
    const id = this.nextId++;
    this.syncPending = id;
    this.send({ type: 'SyncGroup', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, assignments, id }, HEADER_BYTES + 32 * assignments.length);
    this.ctx.setTimer(this.config.maxPollInterval + 5_000_000, 'join-timeout', id);
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
        this.ctx.note('group-metadata-changed', { group: this.options.group, topic, from: count, to: now });
        this.assignmentSnapshot = null;
        this.rejoinNeeded = true;
        if (this.waiting) this.poll();
        return;
      }
    }
  }

  private joinFailed(error: KafkaError): void {
    if (error === 'FENCED_INSTANCE_ID') return this.fenced();
    if (error === 'UNKNOWN_MEMBER_ID' || error === 'ILLEGAL_GENERATION') this.resetMember('lost');
    this.rejoinNeeded = true;
    if (error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE') this.coordinatorUnknown();
    else this.schedulePoll(this.config.retryBackoff);
  }

  private onSync(response: SyncGroupResponse): void {
    if (response.id !== this.syncPending) return;
    this.syncPending = 0;
    if (response.error !== 'NONE') return this.joinFailed(response.error);
    // A completed SyncGroup satisfies earlier requests to rejoin (AbstractCoordinator clears
    // rejoinNeeded here), e.g. a commit answered REBALANCE_IN_PROGRESS during this very rebalance;
    // a subscription changed meanwhile still needs one.
    this.rejoinNeeded = this.joinedSubscription !== null && !sameTopics(this.joinedSubscription, this.subscription);
    const assigned = response.partitions;
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
    let added = false;
    for (const q of assigned) {
      if (this.cursors.get(q)) continue;
      const { topic, partition } = parsePartition(q);
      const cursor = newCursor(topic, partition, q);
      cursor.position = AWAITING_COMMITTED;
      const leader = this.consumer.leaders.get(q);
      if (leader) {
        cursor.leader = leader.leader;
        cursor.leaderEpoch = leader.leaderEpoch;
      }
      if (!this.consumer.topics.has(topic)) {
        this.consumer.topics.add(topic);
        this.consumer.requestMetadata();
      }
      this.cursors.add(cursor);
      added = true;
    }
    if (added || revoked.length > 0 || !this.cooperative || !this.assignedOnce) this.recordAssign();
    this.assignedOnce = true;
    this.stable = true;
    this.ctx.note('group-synced', { group: this.options.group, member: this.memberId, generation: this.generation, partitions: assigned });
    this.startHeartbeats();
    if (added) this.fetchCommitted();
    this.poll();
  }

  private recordAssign(): void {
    const queues = [...this.cursors.values()].map((c) => c.queue).sort();
    this.options.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'assign', queues, group: this.options.group });
  }

  /** Drops partitions: their buffered records and in-flight fetches go. */
  private revoke(cursors: PartitionCursor[], why: 'revoked' | 'lost', record = true): void {
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
    this.ctx.note(why === 'lost' ? 'partitions-lost' : 'partitions-revoked', { group: this.options.group, partitions: cursors.map((c) => c.queue) });
    if (record) this.recordAssign();
  }

  private resetMember(why: 'lost' | 'left'): void {
    this.memberId = '';
    this.generation = -1;
    this.stable = false;
    this.assignedOnce = false;
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.assignmentSnapshot = null;
    if (this.cursors.size > 0) this.revoke([...this.cursors.values()], why === 'lost' ? 'lost' : 'revoked');
  }

  private fetchCommitted(): void {
    if (this.coordinator === null) {
      this.offsetFetchPending = -1;
      return this.findCoordinator();
    }
    const partitions = [...this.cursors.values()].filter((c) => c.position === AWAITING_COMMITTED).map((c) => c.queue);
    if (partitions.length === 0) return;
    const id = this.nextId++;
    this.offsetFetchPending = id;
    this.send({ type: 'OffsetFetch', groupId: this.options.group, partitions, id });
    this.ctx.setTimer(this.config.requestTimeout, 'fetch-offsets-timeout', id);
  }

  private onOffsetFetch(response: OffsetFetchResponse): void {
    if (response.id !== this.offsetFetchPending) return;
    this.offsetFetchPending = 0;
    if (response.error !== 'NONE') {
      this.offsetFetchPending = -1;
      return this.coordinatorUnknown();
    }
    for (const o of response.offsets) {
      const cursor = this.cursors.get(o.partition);
      if (!cursor || cursor.position !== AWAITING_COMMITTED) continue;
      if (o.offset >= 0) {
        cursor.position = o.offset;
        cursor.consumed = cursor.processed = o.offset;
      } else cursor.position = -1;
      this.consumer.next(cursor);
    }
    if ([...this.cursors.values()].some((c) => c.leader === null)) this.consumer.requestMetadata();
  }

  // ------------------------------------------------------------------ heartbeat thread

  private startHeartbeats(): void {
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.nextHeartbeat = this.ctx.trueNow() + this.config.heartbeatInterval;
    this.heartbeatTimer = this.ctx.setTimer(this.config.heartbeatInterval, 'heartbeat');
  }

  private heartbeat(): void {
    this.heartbeatTimer = null;
    if (this.memberId === '' || this.closed) return;
    const now = this.ctx.trueNow();
    if (now - this.lastPoll > this.config.maxPollInterval) {
      // KIP-62: the application stopped calling poll(); the heartbeat thread leaves the group.
      this.options.stats && this.options.stats.maxPollLeaves++;
      this.ctx.note('max-poll-interval-exceeded', { group: this.options.group, member: this.memberId, sincePoll: now - this.lastPoll });
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
      this.nextHeartbeat = now + this.config.heartbeatInterval;
      this.send({ type: 'Heartbeat', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, id });
    }
    // The heartbeat thread wakes for the next heartbeat or the poll deadline, whichever comes first.
    const pollDeadline = this.lastPoll + this.config.maxPollInterval + 1;
    this.heartbeatTimer = this.ctx.setTimer(Math.max(1, Math.min(this.nextHeartbeat, pollDeadline) - now), 'heartbeat');
  }

  private onHeartbeat(response: HeartbeatResponse): void {
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
        if (!this.rejoinNeeded) this.ctx.note('rebalance-in-progress', { group: this.options.group, member: this.memberId });
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

  private consumedOffsets(): { partition: string; offset: number }[] {
    const out: { partition: string; offset: number }[] = [];
    for (const c of this.cursors.values()) if (c.consumed >= 0) out.push({ partition: c.queue, offset: c.consumed });
    return out;
  }

  private processedOffsets(): { partition: string; offset: number }[] {
    const out: { partition: string; offset: number }[] = [];
    for (const c of this.cursors.values()) if (c.processed >= 0) out.push({ partition: c.queue, offset: c.processed });
    return out;
  }

  private commitAsync(offsets: { partition: string; offset: number }[]): void {
    if (offsets.length === 0 || this.coordinator === null || this.generation < 0) return;
    const id = this.nextId++;
    this.commits.set(id, { offsets });
    this.send({ type: 'OffsetCommit', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, offsets, id }, HEADER_BYTES + 16 * offsets.length);
    this.ctx.setTimer(this.config.requestTimeout, 'commit-timeout', id);
  }

  /** commitSync: the loop waits; retriable errors retry (coordinator rediscovery) a few times. */
  private commitSync(offsets: { partition: string; offset: number }[], then: () => void): void {
    if (offsets.length === 0 || this.generation < 0) return then();
    this.blockingThen = then;
    this.blockingOffsets = offsets;
    this.blockingAttempts = 0;
    this.sendBlockingCommit();
  }

  private sendBlockingCommit(): void {
    if (this.blockingThen === null) return;
    if (this.coordinator === null) {
      this.blockingCommit = -1;
      return this.findCoordinator();
    }
    const id = this.nextId++;
    this.blockingCommit = id;
    this.commits.set(id, { offsets: this.blockingOffsets });
    this.send({ type: 'OffsetCommit', groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId, offsets: this.blockingOffsets, id });
    this.ctx.setTimer(this.config.requestTimeout, 'commit-timeout', id);
  }

  private onCommit(response: OffsetCommitResponse): void {
    const pending = this.commits.get(response.id);
    if (!pending) return;
    this.commits.delete(response.id);
    if (response.error === 'NONE') {
      for (const o of pending.offsets) {
        this.options.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'commit', queue: o.partition, offset: o.offset, group: this.options.group });
      }
    } else this.ctx.note('commit-failed', { group: this.options.group, error: response.error });
    if (response.id !== this.blockingCommit) return;
    const retriable = response.error === 'NOT_COORDINATOR' || response.error === 'COORDINATOR_NOT_AVAILABLE' || response.error === 'REQUEST_TIMED_OUT';
    if (retriable) {
      if (response.error !== 'COORDINATOR_NOT_AVAILABLE') this.coordinatorUnknown();
      if (++this.blockingAttempts < 5) {
        this.blockingCommit = -2;
        this.ctx.setTimer(this.config.retryBackoff, 'commit-retry');
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

  // ------------------------------------------------------------------ the poll loop

  private schedulePoll(delay: number): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = this.ctx.setTimer(delay, 'poll');
  }

  /** New records were fetched. */
  dataArrived(): void {
    if (this.waiting) this.poll();
  }

  /** The application's poll(): rebalance work, auto-commit, then up to max.poll.records records. */
  poll(): void {
    if (this.inBatch || this.blockingCommit !== 0 || this.closed || this.consumer.idle || this.flushing) return;
    if (this.closeRequested !== null) return this.finishClose();
    this.waiting = false;
    const now = this.ctx.trueNow();
    this.lastPoll = now;
    if (this.pattern !== null && this.pattern.paused.size > 0) this.resumeDue();
    if (this.coordinator === null) {
      this.findCoordinator();
      this.waiting = true;
      return;
    }
    if (this.rejoinNeeded && this.joinPending === 0 && this.syncPending === 0) {
      this.startJoin();
      if (this.blockingCommit !== 0) return;
    }
    if (this.commitMode === 'auto' && this.stable && now >= this.nextAutoCommit) {
      this.commitAsync(this.consumedOffsets());
      this.nextAutoCommit = now + this.config.autoCommitInterval;
    }
    // Eager: nothing is consumed until the rebalance completes; cooperative: owned partitions go on.
    const canConsume = this.stable || (this.cooperative && this.generation >= 0);
    if (this.processingMode === 'async-pool' && this.pool.length - this.poolHead >= this.config.maxPollRecords) {
      this.waiting = true; // the hand-off queue is full: the poll thread is blocked in put()
      return;
    }
    const batch: Work[] = [];
    if (canConsume && this.buffer.length > 0) {
      const max = this.config.maxPollRecords;
      let taken = 0;
      for (; taken < this.buffer.length && batch.length < max; taken++) {
        const item = this.buffer[taken]!;
        if (!this.cursors.owns(item.cursor)) continue;
        batch.push(item);
        item.cursor.consumed = item.record.offset + 1;
      }
      this.buffer.splice(0, taken);
      for (const item of batch) {
        item.cursor.buffered--;
        if (item.cursor.buffered === 0) this.consumer.next(item.cursor);
      }
    }
    if (batch.length === 0) {
      this.waiting = true;
      if (this.commitMode === 'auto' && this.stable) this.schedulePoll(Math.max(1, this.nextAutoCommit - now));
      // poll(Duration) returns empty after its timeout: the loop then checks its paused partitions.
      if (this.pattern !== null && this.pattern.pollTimeout > 0) this.schedulePoll(this.pattern.pollTimeout);
      return;
    }
    if (this.processingMode === 'async-pool') {
      for (const item of batch) this.pool.push(item);
      this.startWorkers();
      this.schedulePoll(0);
      return;
    }
    this.batch = batch;
    this.batchIndex = 0;
    this.inBatch = true;
    if (this.commitMode === 'manual-before') {
      this.commitSync(this.consumedOffsets(), () => this.processNext());
      return;
    }
    this.processNext();
  }

  private processNext(): void {
    if (this.pattern !== null) {
      // Records behind a paused (sought back) partition's head are dropped, not processed.
      while (this.batchIndex < this.batch.length && this.batch[this.batchIndex]!.cursor.paused) this.batchIndex++;
    }
    if (this.batchIndex >= this.batch.length) return this.batchDone();
    if (this.options.processing === undefined) {
      // No processing time: every record at once, without a timer per record.
      while (this.batchIndex < this.batch.length) {
        const item = this.batch[this.batchIndex++]!;
        if (!item.cursor.paused) this.delivered(item);
      }
      return this.batchDone();
    }
    this.ctx.setTimer(Math.max(0, Math.round(this.processing())), 'group-processed');
  }

  private onProcessed(): void {
    this.delivered(this.batch[this.batchIndex++]!);
    this.processNext();
  }

  private batchDone(): void {
    this.batch = [];
    this.inBatch = false;
    if (this.pattern !== null && !this.pattern.forwarder.idle) {
      // producer.flush() before committing what was forwarded.
      this.flushing = true;
      this.pattern.forwarder.flush(() => {
        this.flushing = false;
        if (!this.closed) this.afterBatch();
      });
      return;
    }
    this.afterBatch();
  }

  private afterBatch(): void {
    if (this.commitMode === 'manual-sync-after') {
      this.commitSync(this.processedOffsets(), () => this.poll());
      return;
    }
    if (this.commitMode === 'manual-async-after') this.commitAsync(this.processedOffsets());
    this.poll();
  }

  private startWorkers(): void {
    while (this.busyWorkers < this.workers && this.poolHead < this.pool.length) {
      const item = this.pool[this.poolHead++]!;
      if (this.poolHead > 1024 && this.poolHead * 2 > this.pool.length) {
        this.pool.splice(0, this.poolHead);
        this.poolHead = 0;
      }
      this.busyWorkers++;
      this.ctx.setTimer(this.options.processing === undefined ? 0 : Math.max(0, Math.round(this.processing())), 'worker-done', item);
    }
  }

  private onWorkerDone(item: Work): void {
    this.busyWorkers--;
    this.delivered(item);
    this.startWorkers();
    if (this.waiting) this.poll();
  }

  /** The application finished processing a record: that is its delivery. */
  private delivered(item: Work): void {
    const { record, cursor } = item;
    if (this.pattern !== null) {
      const outcome = this.pattern.handle(item, this.ctx.now());
      if (outcome !== 'forwarded') return this.pauseAndSeek(cursor, record.offset, outcome);
      cursor.lastEpoch = record.epoch;
      if (this.cursors.owns(cursor) && record.offset + 1 > cursor.processed) cursor.processed = record.offset + 1;
      return;
    }
    const op: NewHistoryOp = {
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'receive', msg: record.msg, queue: cursor.queue,
      offset: record.offset, group: this.options.group, node: item.node,
    };
    if (record.key !== undefined) op.key = record.key;
    this.options.history.record(op);
    cursor.lastEpoch = record.epoch;
    if (this.cursors.owns(cursor) && record.offset + 1 > cursor.processed) cursor.processed = record.offset + 1;
  }

  /**
   * The delay scheduler's pause(partition) and seek(partition, offset) at a record not yet due:
   * what was fetched behind it is dropped, the fetch in flight forgotten; resumed when due.
   */
  private pauseAndSeek(cursor: PartitionCursor, offset: number, dueAt: number): void {
    if (!this.cursors.owns(cursor)) return;
    cursor.paused = true;
    cursor.dueAt = dueAt;
    this.pattern!.paused.add(cursor);
    cursor.position = offset;
    if (cursor.consumed > offset) cursor.consumed = offset;
    if (cursor.pending !== 0) {
      this.ctx.cancelTimer(cursor.timer);
      cursor.timer = null;
      cursor.pending = 0;
      cursor.pendingKind = null;
    }
    let w = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const item = this.buffer[i]!;
      if (item.cursor !== cursor) this.buffer[w++] = item;
    }
    this.buffer.length = w;
    cursor.buffered = 0;
    this.ctx.note('partition-paused', { group: this.options.group, partition: cursor.queue, offset, dueIn: dueAt - this.ctx.now() });
  }

  /** After poll() returns: resume() the paused partitions whose head is due. */
  private resumeDue(): void {
    const now = this.ctx.now();
    for (const cursor of [...this.pattern!.paused]) {
      if (!this.cursors.owns(cursor)) {
        this.pattern!.paused.delete(cursor);
        continue;
      }
      if (now < cursor.dueAt) continue;
      cursor.paused = false;
      this.pattern!.paused.delete(cursor);
      this.consumer.next(cursor);
    }
  }

  /** close(): auto-commit, LeaveGroup (dynamic members only), stop. */
  close(): void {
    if (this.closed) return;
    if (this.commitMode === 'auto' && this.stable) this.commitAsync(this.consumedOffsets());
    if (this.coordinator !== null && this.memberId !== '' && this.instanceId === null) {
      this.send({ type: 'LeaveGroup', groupId: this.options.group, memberId: this.memberId, id: this.nextId++ });
    }
    this.resetMember('left');
    this.closed = true;
  }

  /**
   * The application's close() (a `close` step): the loop finishes the batch it is in (processing,
   * its commit), then close() commits synchronously with auto-commit, sends LeaveGroup unless the
   * member is static, and the process exits.
   */
  closeGracefully(done: () => void): void {
    if (this.closed) return done();
    this.closeRequested = done;
    if (!this.inBatch && this.blockingCommit === 0 && !this.flushing) this.finishClose();
  }

  private finishClose(): void {
    const done = this.closeRequested!;
    this.closeRequested = null;
    this.ctx.cancelTimer(this.pollTimer);
    this.pollTimer = null;
    const leave = () => {
      if (this.coordinator !== null && this.memberId !== '' && this.instanceId === null) {
        this.send({ type: 'LeaveGroup', groupId: this.options.group, memberId: this.memberId, id: this.nextId++ });
      }
      this.resetMember('left');
      this.joinPending = 0;
      this.syncPending = 0;
      this.closed = true;
      done();
    };
    if (this.commitMode === 'auto' && this.stable) this.commitSync(this.consumedOffsets(), leave);
    else leave();
  }

  /** FencedInstanceIdException: another consumer with this group.instance.id took over; this one stops. */
  private fenced(): void {
    if (this.closed) return;
    this.ctx.note('fenced-instance-id', { group: this.options.group, instance: this.instanceId, member: this.memberId });
    this.resetMember('lost');
    this.closed = true;
    this.fencedOut = true;
    this.consumer.idle = true;
  }
}

function parsePartition(text: string): { topic: string; partition: number } {
  const dash = text.lastIndexOf('-');
  return { topic: text.slice(0, dash), partition: Number.parseInt(text.slice(dash + 1), 10) };
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
