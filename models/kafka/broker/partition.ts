import type { Timer } from '../../../sim/kernel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import type { InvariantProbe } from '../invariants.js';
import { note } from '../notes.js';
import type { AlterPartition, AlterPartitionResponse, Fetch, KafkaError, PartitionState, Produce } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import { brokerTimers } from './timers.js';
import type { PartitionLog } from './log.js';

/**
 * One partition replica on a broker (Kafka's Partition): its leader / follower state from the
 * controller, and on the leader the followers' progress, the ISR and the high watermark.
 *
 * - HW = the smallest log end offset over the ISR (plus a pending expansion: KIP-497's maximal
 *   ISR); each advance completes the delayed produces and wakes the parked fetches (the host).
 * - ISR shrink: a follower not caught up for replica.lag.time.max.ms is proposed out, through
 *   AlterPartition to the controller; ISR expand: a follower that reached the HW and this
 *   leader's epoch is proposed in. One proposal at a time (`pendingIsr`), retried every 5 s.
 */

export interface FollowerState {
  leo: number;
  lastCaughtUp: Micros;
  lastFetchLeaderLeo: number;
  lastFetchTime: Micros;
}

/** An acks=all Produce waiting for the high watermark (the produce purgatory's DelayedProduce). */
export interface DelayedProduce {
  from: string;
  request: Produce;
  baseOffset: number;
  requiredOffset: number;
  timer: Timer;
}

/** An internal append (offset commit, group metadata) waiting for the high watermark. */
export interface InternalWaiter {
  requiredOffset: number;
  done: (error: KafkaError) => void;
  timer: Timer;
}

/** A Fetch with nothing to read yet, parked up to its maxWait (the fetch purgatory's DelayedFetch). */
export interface ParkedFetch {
  from: string;
  request: Fetch;
  timer: Timer;
}

/** What a partition needs from its broker. */
export interface PartitionHost {
  readonly ctx: NodeContext;
  readonly config: BrokerConfig;
  readonly invariants: InvariantProbe | undefined;
  /** The HW may have moved: complete delayed produces and internal appends. */
  completeDelayed(partition: Partition): void;
  /** New data or a new HW: answer the parked fetches that can now read something. */
  wakeParked(partition: Partition): void;
  /** Sends an AlterPartition to the controller (or hands it to the local one). */
  alterPartition(request: AlterPartition): void;
}

export class Partition {
  leader: string | null = null;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: string[] = [];
  pendingIsr: string[] | null = null;
  pendingIsrTimer: Timer | null = null;
  replicas: string[] = [];
  hw = 0;
  /**
   * The last stable offset (KIP-98): below it every transaction is decided; READ_COMMITTED
   * consumers read up to it. min(HW, the first offset of a transaction still open here).
   */
  get lastStableOffset(): number {
    return Math.min(this.hw, this.log.txns.firstUnstableOffset);
  }

  /** Log end offset when this broker became leader (the start of its epoch). */
  epochStartOffset = 0;
  readonly followers = new Map<string, FollowerState>();
  delayed: DelayedProduce[] = [];
  internal: InternalWaiter[] = [];
  parked: ParkedFetch[] = [];
  /** Follower side (replica-fetcher.ts): the Fetch or OffsetsForLeaderEpoch in flight, by id; 0 none. */
  fetchId = 0;
  fetchTimer: Timer | null = null;
  truncating = false;

  constructor(
    private readonly host: PartitionHost,
    readonly topic: string,
    readonly partition: number,
    readonly key: string,
    readonly log: PartitionLog,
  ) {}

  isLeaderOn(me: string): boolean {
    return this.leader === me;
  }

  // ------------------------------------------------------------------ leader / follower transitions

  /** Takes leadership for `state`'s leader epoch (the caller stopped this replica's fetching first). */
  makeLeader(state: PartitionState): void {
    const { ctx, config } = this.host;
    const me = ctx.name;
    this.leader = me;
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.isr = [...state.isr];
    this.pendingIsr = null;
    this.epochStartOffset = this.log.logEndOffset;
    if (config.leaderEpochs) this.log.assignEpoch(state.leaderEpoch, this.log.logEndOffset);
    this.followers.clear();
    const now = ctx.trueNow();
    for (const r of state.replicas) {
      if (r === me) continue;
      this.followers.set(r, { leo: -1, lastCaughtUp: state.isr.includes(r) ? now : 0, lastFetchLeaderLeo: -1, lastFetchTime: 0 });
    }
    if (this.hw > this.log.logEndOffset) this.hw = this.log.logEndOffset;
    note(ctx, 'became-leader', { partition: this.key, leaderEpoch: state.leaderEpoch, leo: this.log.logEndOffset, hw: this.hw, isr: state.isr });
    this.maybeAdvanceHw();
  }

  /** Takes the follower state for `state`; true when this broker was the leader until now. */
  makeFollower(state: PartitionState): boolean {
    const wasLeader = this.isLeaderOn(this.host.ctx.name);
    this.leader = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.isr = [...state.isr];
    this.pendingIsr = null;
    this.followers.clear();
    return wasLeader;
  }

  // ------------------------------------------------------------------ followers' progress and the high watermark

  /** A follower fetched from `fetchOffset` (its log end): its progress, ISR expansion, the HW. */
  updateFollower(follower: string, fetchOffset: number): void {
    const state = this.followers.get(follower);
    if (!state) return;
    const now = this.host.ctx.trueNow();
    const leo = this.log.logEndOffset;
    state.leo = fetchOffset;
    if (fetchOffset >= leo) state.lastCaughtUp = now;
    else if (fetchOffset >= state.lastFetchLeaderLeo && state.lastFetchLeaderLeo >= 0) state.lastCaughtUp = Math.max(state.lastCaughtUp, state.lastFetchTime);
    state.lastFetchLeaderLeo = leo;
    state.lastFetchTime = now;
    // ISR expansion: caught up to the HW and into this leader's epoch.
    if (!this.isr.includes(follower) && this.pendingIsr === null && fetchOffset >= this.hw && fetchOffset >= this.epochStartOffset) {
      this.sendAlterPartition([...this.isr, follower]);
    }
    this.maybeAdvanceHw();
  }

  /** The ISR used for the HW: committed ISR plus a pending expansion (KIP-497's maximal ISR). */
  private maximalIsr(): string[] {
    if (this.pendingIsr === null) return this.isr;
    const out = [...this.isr];
    for (const r of this.pendingIsr) if (!out.includes(r)) out.push(r);
    return out;
  }

  /** HW = min LEO over the (maximal) ISR; when it moves, delayed requests complete. */
  maybeAdvanceHw(): void {
    const host = this.host;
    const me = host.ctx.name;
    let hw = this.log.logEndOffset;
    for (const r of this.maximalIsr()) {
      if (r === me) continue;
      const f = this.followers.get(r);
      const leo = f ? f.leo : -1;
      if (leo < hw) hw = leo;
    }
    if (hw > this.hw) {
      this.hw = hw;
      if (host.invariants !== undefined) host.invariants.hwAdvanced(me, this.key);
      host.completeDelayed(this);
      host.wakeParked(this);
    }
  }

  // ------------------------------------------------------------------ ISR changes (AlterPartition)

  /** ISR shrink (every replica.lag.time.max.ms / 2): proposes the followers that lagged too long out. */
  maybeShrinkIsr(now: Micros): void {
    const { ctx, config } = this.host;
    const me = ctx.name;
    if (!this.isLeaderOn(me) || this.pendingIsr !== null) return;
    const out = this.isr.filter((r) => {
      if (r === me) return false;
      const f = this.followers.get(r);
      return !f || now - f.lastCaughtUp > config.replicaLagTimeMax;
    });
    if (out.length === 0) return;
    note(ctx, 'isr-shrink-proposed', { partition: this.key, out });
    this.sendAlterPartition(this.isr.filter((r) => !out.includes(r)));
  }

  /** Proposes `newIsr` to the controller; retried every 5 s until answered. */
  sendAlterPartition(newIsr: string[]): void {
    const ctx = this.host.ctx;
    this.pendingIsr = newIsr;
    this.host.alterPartition({
      type: 'AlterPartition', broker: ctx.name, topic: this.topic, partition: this.partition,
      leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch, newIsr,
    });
    ctx.cancelTimer(this.pendingIsrTimer);
    this.pendingIsrTimer = brokerTimers.set(ctx, 5_000_000, 'alter-partition-retry', this);
  }

  /** 'alter-partition-retry': no answer yet, propose again. */
  retryAlterPartition(): void {
    this.pendingIsrTimer = null;
    if (this.pendingIsr && this.isLeaderOn(this.host.ctx.name)) this.sendAlterPartition(this.pendingIsr);
  }

  onAlterPartitionResponse(response: AlterPartitionResponse): void {
    const host = this.host;
    if (this.pendingIsr === null) return;
    host.ctx.cancelTimer(this.pendingIsrTimer);
    this.pendingIsrTimer = null;
    const proposed = this.pendingIsr;
    this.pendingIsr = null;
    if (response.error !== 'NONE' || !response.state) {
      if (response.error === 'INVALID_UPDATE_VERSION' && response.state && response.state.leaderEpoch === this.leaderEpoch) {
        this.isr = [...response.state.isr];
        this.partitionEpoch = response.state.partitionEpoch;
      }
      return;
    }
    const before = this.isr;
    this.isr = [...response.state.isr];
    this.partitionEpoch = response.state.partitionEpoch;
    note(host.ctx, this.isr.length < before.length ? 'isr-shrink' : 'isr-expand', { partition: this.key, isr: this.isr, proposed });
    this.maybeAdvanceHw();
    host.completeDelayed(this);
    host.invariants?.changed(host.ctx.name, `ISR change of ${this.key}`);
  }

  /** Writes to disk once log.flush.interval.messages records are unflushed. */
  maybeFlush(): void {
    if (this.log.unflushedRecords >= this.host.config.flushMessages) this.log.flush();
  }
}
