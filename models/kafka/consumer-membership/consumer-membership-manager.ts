import { membershipTimers } from '../consumer-coordinator.js';
import { GroupMembership } from '../membership.js';
import { note } from '../notes.js';
import { assignFromSubscribed } from '../subscription-state.js';
import type { ConsumerGroupHeartbeat, ConsumerGroupHeartbeatResponse } from '../protocol.js';

/**
 * The member side of the consumer group protocol (KIP-848, `group.protocol: consumer`): Kafka 4.x's
 * ConsumerMembershipManager and ConsumerHeartbeatRequestManager, under the same poll loop as the
 * classic member (membership.ts).
 *
 * - Joining is a ConsumerGroupHeartbeat with MemberEpoch 0, its own member id (v1: the client makes
 *   it; here `<client>-<start time>`), the subscription, the rebalance timeout (max.poll.interval.ms)
 *   and, with group.remote.assignor, the server assignor it wants. Then a heartbeat every
 *   HeartbeatIntervalMs the coordinator returns (group.consumer.heartbeat.interval.ms, 5 s).
 * - No group-wide barrier: a response with an assignment is reconciled on its own. At the next
 *   poll() (where the application's rebalance listener runs), the partitions not in it are revoked
 *   first (with enable.auto.commit, a commitSync of what was consumed), the new ones added (their
 *   committed offsets fetched), and a heartbeat goes out at once listing the partitions now owned:
 *   the acknowledgement the coordinator waits for before it gives the revoked partitions to another
 *   member. Partitions kept are consumed throughout.
 * - FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: the partitions are lost (no commit) and the member
 *   joins again with epoch 0; UNRELEASED_INSTANCE_ID (a static member whose old process has not
 *   left) is fatal, as in Kafka.
 * - close(): with auto-commit a commitSync, then a heartbeat with epoch -1 (leave), or -2 for a
 *   static member (group.instance.id), which keeps its partitions in the group until it comes back
 *   or group.consumer.session.timeout.ms passes.
 * - max.poll.interval.ms without a poll(): the member leaves (epoch -1) and joins again at its next poll.
 */
export class ConsumerMembershipManager extends GroupMembership {
  private memberEpoch = 0;
  private heartbeatInterval = 5_000_000;
  private hbPending = 0;
  private readonly ownMemberId = `${this.ctx.name}-${this.ctx.trueNow().toString(36)}${this.nextId > 1 ? `-${this.nextId}` : ''}`;
  /** The latest assignment from the coordinator not yet reconciled (null: none). */
  private pendingAssignment: string[] | null = null;
  private reconciling = false;
  /** A reconciled assignment not yet acknowledged (its heartbeat waits for the one in flight). */
  private ackNeeded = false;
  /** What the last heartbeat said the member owns, and the subscription it last sent. */
  private sentOwned: string | null = null;
  private sentSubscription: string | null = null;
  private joined = false;

  protected override get cooperative(): boolean {
    return true;
  }

  override start(): void {
    this.memberId = this.ownMemberId;
    super.start();
  }

  /** poll() joins: the first heartbeat, epoch 0. */
  protected override startJoin(): void {
    this.rejoinNeeded = false;
    if (this.joined || this.hbPending !== 0) return;
    this.joined = true;
    this.memberEpoch = 0;
    this.generation = -1;
    this.sentOwned = null;
    this.sentSubscription = null;
    this.sendHeartbeat();
  }

  override subscribe(topics: readonly string[]): void {
    this.subscription = [...new Set(topics)].sort();
    // The next heartbeat carries the new subscription; the coordinator bumps the group epoch.
    if (this.memberEpoch > 0 && this.hbPending === 0) this.sendHeartbeat();
  }

  override poll(): void {
    if (this.canReconcile()) return this.reconcile();
    super.poll();
  }

  /**
   * Reconciliation runs in the consumer's background thread (AsyncKafkaConsumer without a rebalance
   * listener), so it does not wait for the application's batch; it waits for a commitSync in flight.
   */
  private canReconcile(): boolean {
    return this.pendingAssignment !== null && !this.reconciling && this.blockingCommit === 0 && !this.closed;
  }

  // ------------------------------------------------------------------ heartbeats

  protected override heartbeat(): void {
    this.heartbeatTimer = null;
    if (this.closed || !this.joined) return;
    const now = this.ctx.trueNow();
    if (now - this.lastPoll > this.config.maxPollInterval && this.memberEpoch > 0) {
      this.options.stats && this.options.stats.maxPollLeaves++;
      note(this.ctx, 'max-poll-interval-exceeded', { group: this.options.group, member: this.memberId, sincePoll: now - this.lastPoll });
      this.sendLeaveHeartbeat(-1);
      this.lose();
      this.joined = false;
      this.rejoinNeeded = true;
      return;
    }
    if (this.hbPending === 0) this.sendHeartbeat();
  }

  private scheduleHeartbeat(delay: number): void {
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = membershipTimers.set(this.ctx, delay, 'heartbeat', undefined);
  }

  private sendHeartbeat(): void {
    if (this.coordinator === null) return this.findCoordinator();
    const joining = this.memberEpoch === 0;
    const owned = [...this.cursors.values()].map((c) => c.queue).sort();
    const ownedKey = owned.join(',');
    const subscriptionKey = this.subscription.join(',');
    const id = this.nextId++;
    this.hbPending = id;
    const request: ConsumerGroupHeartbeat = {
      type: 'ConsumerGroupHeartbeat', groupId: this.options.group, memberId: this.memberId, memberEpoch: this.memberEpoch,
      instanceId: joining ? this.instanceId : null,
      rebalanceTimeoutMs: joining ? this.config.maxPollInterval / 1000 : -1,
      subscribedTopicNames: joining || subscriptionKey !== this.sentSubscription ? [...this.subscription] : null,
      serverAssignor: joining ? this.config.remoteAssignor : null,
      topicPartitions: joining || ownedKey !== this.sentOwned ? owned : null,
      id,
    };
    this.sentOwned = ownedKey;
    this.sentSubscription = subscriptionKey;
    this.ackNeeded = false;
    this.send(request, 64 + 16 * (request.topicPartitions?.length ?? 0));
    membershipTimers.set(this.ctx, this.config.requestTimeout, 'cg-heartbeat-timeout', id);
    this.scheduleHeartbeat(this.config.requestTimeout + 1);
  }

  /** 'cg-heartbeat-timeout': no answer within request.timeout.ms. */
  override onHeartbeatTimeout(id: number): void {
    if (this.hbPending !== id) return;
    this.coordinatorRequestTimedOut();
  }

  /** The heartbeat in flight to the old coordinator failed with the connection: the next goes to the new one. */
  protected override coordinatorRequestsFailed(): void {
    this.hbPending = 0;
  }

  protected override onConsumerGroupHeartbeat(response: ConsumerGroupHeartbeatResponse): void {
    if (response.id !== this.hbPending) return;
    this.hbPending = 0;
    if (this.closed) return;
    switch (response.error) {
      case 'NONE': break;
      case 'FENCED_MEMBER_EPOCH': case 'UNKNOWN_MEMBER_ID':
        note(this.ctx, 'member-fenced', { group: this.options.group, member: this.memberId, error: response.error });
        this.lose();
        this.joined = false;
        // The background thread joins again at once, same member id, epoch 0.
        return this.startJoin();
      case 'UNRELEASED_INSTANCE_ID': case 'GROUP_ID_NOT_FOUND':
        // Fatal in Kafka's consumer: the poll loop gets the error and the application stops.
        return this.fenced();
      case 'NOT_COORDINATOR': case 'COORDINATOR_NOT_AVAILABLE': case 'COORDINATOR_LOAD_IN_PROGRESS':
        this.coordinatorUnknown();
        return;
      default:
        this.scheduleHeartbeat(this.config.retryBackoff);
        return;
    }
    this.lastHeartbeatOk = this.ctx.trueNow();
    this.heartbeatInterval = response.heartbeatIntervalMs * 1000;
    this.memberEpoch = response.memberEpoch;
    this.generation = response.memberEpoch;
    this.stable = true;
    if (this.options.stats && response.memberEpoch > this.options.stats.generationMax) this.options.stats.generationMax = response.memberEpoch;
    if (response.assignment !== null) {
      this.pendingAssignment = response.assignment;
      if (this.canReconcile()) this.reconcile();
    }
    if (this.hbPending !== 0) return;
    if (this.ackNeeded) this.sendHeartbeat();
    else this.scheduleHeartbeat(this.heartbeatInterval);
  }

  /** A coordinator was found: a member that was joined heartbeats to it at once. */
  protected override coordinatorFound(): void {
    if (this.joined && this.hbPending === 0) this.sendHeartbeat();
  }

  // ------------------------------------------------------------------ reconciliation

  private reconcile(): void {
    const target = this.pendingAssignment!;
    this.pendingAssignment = null;
    const wanted = new Set(target);
    const revoked = [...this.cursors.values()].filter((c) => !wanted.has(c.queue));
    const added = target.filter((q) => !this.cursors.get(q));
    if (revoked.length === 0 && added.length === 0) {
      this.acknowledge();
      return this.poll();
    }
    this.reconciling = true;
    note(this.ctx, 'member-reconciling', { group: this.options.group, member: this.memberId, epoch: this.memberEpoch, revoked: revoked.map((c) => c.queue), added });
    const finish = () => {
      this.reconciling = false;
      if (this.closed) return;
      if (revoked.length > 0) {
        this.options.stats && this.options.stats.revocations++;
        this.revoke(revoked.filter((c) => this.cursors.owns(c)), 'revoked', false);
      }
      if (this.options.stats && this.lastAssignment.length > 0) {
        const held = new Set(this.lastAssignment);
        for (const q of added) if (!held.has(q)) this.options.stats.partitionsMovedOnRebalance++;
      }
      assignFromSubscribed(this.consumer, this.cursors, added);
      this.lastAssignment = [...target];
      this.recordAssign();
      if (added.length > 0) this.fetchCommitted();
      this.acknowledge();
      this.poll();
    };
    // Revocation: auto-commit commits what was consumed before the partitions go (commitSync).
    if (revoked.length > 0 && this.commitMode === 'auto') this.commitSync(this.consumedOffsets(), finish);
    else finish();
  }

  /**
   * The acknowledgement: a heartbeat at once listing the partitions now owned (sent even when they
   * did not change, as the client's local assignment epoch did), or right after the one in flight.
   */
  private acknowledge(): void {
    this.sentOwned = null;
    if (this.hbPending === 0) {
      this.ackNeeded = false;
      this.sendHeartbeat();
    } else this.ackNeeded = true;
  }

  /** The partitions are lost (fenced): no commit, no callback that could commit. */
  private lose(): void {
    this.pendingAssignment = null;
    if (this.cursors.size > 0) this.revoke([...this.cursors.values()], 'lost');
    this.lastAssignment = [];
  }

  // ------------------------------------------------------------------ leaving

  protected override sendLeave(): void {
    if (this.coordinator === null || !this.joined || this.memberEpoch <= 0) return;
    this.sendLeaveHeartbeat(this.instanceId !== null ? -2 : -1);
  }

  private sendLeaveHeartbeat(epoch: -1 | -2): void {
    if (this.coordinator === null) return;
    note(this.ctx, 'member-leaving', { group: this.options.group, member: this.memberId, epoch });
    this.send({
      type: 'ConsumerGroupHeartbeat', groupId: this.options.group, memberId: this.memberId, memberEpoch: epoch, instanceId: this.instanceId,
      rebalanceTimeoutMs: -1, subscribedTopicNames: null, serverAssignor: null, topicPartitions: null, id: this.nextId++,
    });
    this.memberEpoch = 0;
    this.generation = -1;
  }

  /** Keeps the member id (v1): resetMember would clear it. */
  protected override resetMember(why: 'lost' | 'left'): void {
    super.resetMember(why);
    this.memberId = this.ownMemberId;
  }
}
