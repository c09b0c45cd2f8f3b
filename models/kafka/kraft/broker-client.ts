import type { Timer } from '../../../sim/kernel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { PartitionState } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import { note } from '../notes.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import { MetadataImage } from './image.js';
import {
  METADATA_TOPIC, sendKraft,
  type AllocateProducerIdsResponse, type BrokerHeartbeatResponse, type BrokerRegistrationResponse, type MetadataFetchResponse,
} from './protocol.js';

/**
 * A KRaft-mode broker's side of the metadata quorum: its BrokerLifecycleManager (KIP-631) and
 * its metadata fetcher.
 *
 * - It fetches `__cluster_metadata` as an observer from the quorum leader (found by asking any
 *   voter: a non-leader answers NOT_LEADER_OR_FOLLOWER with the leader it knows), applies the
 *   committed records to its metadata image and hands the partition changes to the replica
 *   manager (the KRaft replacement of LeaderAndIsr / UpdateMetadata). A fetch unanswered for
 *   controller.quorum.request.timeout.ms moves to the next voter. In combined mode the broker
 *   shares its node's Raft client: it hears of a new leader as soon as its voter does.
 * - It registers (BrokerRegistration with this incarnation's id) with the active controller,
 *   retrying while the controller refuses (DUPLICATE_BROKER_REGISTRATION: an older incarnation's
 *   session is still live) or is unknown, then sends BrokerHeartbeat every
 *   broker.heartbeat.interval.ms with its metadata offset; the controller unfences it once it has
 *   caught up to its own registration, and fences it when heartbeats stop for
 *   broker.session.timeout.ms. STALE_BROKER_EPOCH makes it register again.
 * - Partition states are applied to its replicas only once its own registration is in its
 *   image (before that, the states may still name its previous incarnation as leader).
 */

export interface BrokerKraftHooks {
  /** Partition states changed (or, at registration, every state for this broker's replicas). */
  applyPartitions(states: PartitionState[]): void;
  /** The metadata cache for Metadata / FindCoordinator requests. */
  metadataChanged(states: PartitionState[]): void;
  /** The active controller as this broker knows it (AlterPartition goes there). */
  controllerChanged(controller: string | null): void;
  producerIds(first: number, count: number): void;
}

/** The KRaft broker client's timers (fired on the broker node, which routes them here). */
export type KraftBrokerTimer =
  | { tag: 'kraft-fetch'; data: undefined }
  | { tag: 'kraft-fetch-timeout'; data: number }
  | { tag: 'kraft-heartbeat'; data: undefined }
  | { tag: 'kraft-register-timeout'; data: number }
  | { tag: 'kraft-register-retry'; data: undefined }
  | { tag: 'kraft-pid-retry'; data: undefined };
const timers = timersOf<KraftBrokerTimer>();

const FETCH_MAX_WAIT = 500_000;
/** controller.quorum.retry.backoff.ms default. */
const RETRY_BACKOFF = 20_000;

export class BrokerKraftClient {
  readonly image = new MetadataImage();
  private leader: string | null = null;
  private leaderEpoch = -1;
  private voterIndex = 0;
  private fetchId = 0;
  private fetchTimer: Timer | null = null;
  private nextId = 1;
  private brokerEpoch = -1;
  private registering = 0;
  /** This incarnation's registration is in the image: partition states may be applied. */
  private registered = false;
  fenced = true;
  private heartbeatId = 0;
  private pidPending = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly voters: readonly string[],
    private readonly config: BrokerConfig,
    private readonly incarnation: number,
    private readonly hooks: BrokerKraftHooks,
  ) {}

  start(): void {
    this.voterIndex = this.voters.length > 0 ? Math.floor(this.ctx.random('kraft').next() * this.voters.length) : 0;
    this.sendFetch();
    timers.set(this.ctx, this.config.brokerHeartbeatInterval, 'kraft-heartbeat', undefined);
  }

  /** The active controller's broker epoch for this incarnation (-1 until registered). */
  get epoch(): number {
    return this.brokerEpoch;
  }

  get controller(): string | null {
    return this.leader;
  }

  onTimer(...[tag, data]: TimerArgs<KraftBrokerTimer>): void {
    switch (tag) {
      case 'kraft-fetch-timeout':
        if (data !== this.fetchId) return;
        // No answer: try another voter.
        this.leader = null;
        this.voterIndex = (this.voterIndex + 1) % this.voters.length;
        this.sendFetch();
        return;
      case 'kraft-fetch':
        this.sendFetch();
        return;
      case 'kraft-heartbeat':
        timers.set(this.ctx, this.config.brokerHeartbeatInterval, 'kraft-heartbeat', undefined);
        if (this.brokerEpoch < 0) this.register();
        else this.heartbeat();
        return;
      case 'kraft-register-timeout':
        if (data === this.registering) this.registering = 0;
        return;
      case 'kraft-register-retry':
        if (this.brokerEpoch < 0) this.register();
        return;
      case 'kraft-pid-retry':
        if (this.pidPending) this.sendAllocate();
        return;
      default:
        unreachable(tag, 'KRaft broker timer');
    }
  }

  private target(): string {
    return this.leader ?? this.voters[this.voterIndex]!;
  }

  private sendFetch(): void {
    const id = this.nextId++;
    this.fetchId = id;
    sendKraft(this.ctx, this.target(), {
      type: 'Fetch', topic: METADATA_TOPIC, replica: this.ctx.name, voter: false, fetchOffset: this.image.offset,
      lastFetchedEpoch: this.image.lastEpoch, currentLeaderEpoch: this.leaderEpoch, maxWait: FETCH_MAX_WAIT, id,
    });
    this.ctx.cancelTimer(this.fetchTimer);
    // A request unanswered for controller.quorum.request.timeout.ms fails: the next fetch goes elsewhere.
    this.fetchTimer = timers.set(this.ctx, this.config.quorumRequestTimeout, 'kraft-fetch-timeout', id);
  }

  private setLeader(leader: string | null, epoch: number): void {
    if (epoch < this.leaderEpoch) return;
    const changed = leader !== this.leader;
    this.leader = leader;
    this.leaderEpoch = epoch;
    if (leader !== null) {
      const i = this.voters.indexOf(leader);
      if (i >= 0) this.voterIndex = i;
    } else this.voterIndex = (this.voterIndex + 1) % this.voters.length;
    if (changed) this.hooks.controllerChanged(leader);
    if (changed && leader !== null && this.brokerEpoch < 0) this.register();
  }

  /**
   * Combined mode: the broker and the controller of one process share the Raft client, so the
   * broker knows at once when its voter learns of a new leader (or becomes it).
   */
  leaderHint(leader: string | null, epoch: number): void {
    if (leader === null || epoch < this.leaderEpoch || (leader === this.leader && epoch === this.leaderEpoch)) return;
    this.setLeader(leader, epoch);
    this.ctx.cancelTimer(this.fetchTimer);
    this.sendFetch();
  }

  onFetchResponse(response: MetadataFetchResponse): void {
    if (response.id !== this.fetchId) return;
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = null;
    this.fetchId = 0;
    if (response.error !== 'NONE') {
      this.setLeader(response.leader, response.leaderEpoch);
      if (response.leader === null) this.leader = null;
      // controller.quorum.retry.backoff.ms (20) before following a redirect; longer without a leader hint.
      this.fetchTimer = timers.set(this.ctx, response.leader !== null ? RETRY_BACKOFF : 100_000, 'kraft-fetch', undefined);
      return;
    }
    this.setLeader(response.leader, response.leaderEpoch);
    // Observers fetch committed records only, so their image never has to be truncated.
    const changed = new Map<string, PartitionState>();
    let registeredNow = false;
    for (const entry of response.entries) {
      if (entry.offset !== this.image.offset) break;
      this.image.apply(entry);
      const record = entry.record;
      if (record.type === 'PartitionRecord' || record.type === 'PartitionChangeRecord') {
        changed.set(`${record.state.topic}-${record.state.partition}`, record.state);
      } else if (record.type === 'RegisterBrokerRecord' && record.broker === this.ctx.name && record.incarnation === this.incarnation) {
        if (!this.registered) registeredNow = true;
        this.registered = true;
      }
    }
    if (changed.size > 0) this.hooks.metadataChanged([...changed.values()]);
    if (registeredNow) {
      note(this.ctx, 'broker-registration-seen', { brokerEpoch: this.brokerEpoch, metadataOffset: this.image.offset });
      this.hooks.applyPartitions([...this.image.partitions.values()]);
      // Caught up to its own registration: heartbeat now, so the controller can unfence it.
      if (this.brokerEpoch >= 0) this.heartbeat();
    } else if (this.registered && changed.size > 0) this.hooks.applyPartitions([...changed.values()]);
    this.sendFetch();
  }

  private register(): void {
    if (this.registering !== 0 || this.leader === null) return;
    const id = this.nextId++;
    this.registering = id;
    sendKraft(this.ctx, this.leader, { type: 'BrokerRegistration', broker: this.ctx.name, incarnation: this.incarnation, id });
    timers.set(this.ctx, this.config.quorumRequestTimeout, 'kraft-register-timeout', id);
  }

  onRegistrationResponse(response: BrokerRegistrationResponse): void {
    if (response.id !== this.registering) return;
    this.registering = 0;
    if (response.error !== 'NONE') {
      if (response.error === 'DUPLICATE_BROKER_REGISTRATION') note(this.ctx, 'broker-registration-refused', { error: response.error });
      // Not (yet) the active controller: ask again shortly (an older registration waits for the next heartbeat tick).
      else timers.set(this.ctx, RETRY_BACKOFF * 5, 'kraft-register-retry', undefined);
      return;
    }
    this.brokerEpoch = response.brokerEpoch;
    note(this.ctx, 'broker-registered', { brokerEpoch: response.brokerEpoch });
    this.heartbeat();
  }

  private heartbeat(): void {
    if (this.leader === null) return;
    const id = this.nextId++;
    this.heartbeatId = id;
    sendKraft(this.ctx, this.leader, {
      type: 'BrokerHeartbeat', broker: this.ctx.name, brokerEpoch: this.brokerEpoch, currentMetadataOffset: this.image.offset, wantFence: false, id,
    });
  }

  onHeartbeatResponse(response: BrokerHeartbeatResponse): void {
    if (response.id !== this.heartbeatId) return;
    if (response.error === 'STALE_BROKER_EPOCH') {
      note(this.ctx, 'broker-epoch-stale', { brokerEpoch: this.brokerEpoch });
      this.brokerEpoch = -1;
      return;
    }
    if (response.error !== 'NONE') return;
    if (this.fenced !== response.isFenced) note(this.ctx, response.isFenced ? 'broker-fenced-seen' : 'broker-unfenced-seen', { brokerEpoch: this.brokerEpoch });
    this.fenced = response.isFenced;
  }

  /** InitProducerId needs a block of producer ids: AllocateProducerIds to the active controller. */
  allocateProducerIds(): void {
    if (this.pidPending) return;
    this.pidPending = true;
    this.sendAllocate();
  }

  private sendAllocate(): void {
    if (this.leader !== null) sendKraft(this.ctx, this.leader, { type: 'AllocateProducerIds', broker: this.ctx.name, brokerEpoch: this.brokerEpoch });
    timers.set(this.ctx, this.config.quorumRequestTimeout, 'kraft-pid-retry', undefined);
  }

  onAllocateResponse(response: AllocateProducerIdsResponse): void {
    if (!this.pidPending || response.error !== 'NONE') return;
    this.pidPending = false;
    this.hooks.producerIds(response.first, response.count);
  }
}
