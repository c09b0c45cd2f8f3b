import type { CloseReason } from '../../../sim/connection.js';
import { DiskFullError } from '../../../sim/disk.js';
import { logDirFailure } from './log-dir-failure-channel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { InvariantProbe } from '../invariants.js';
import { note } from '../notes.js';
import { sendTo, HEADER_BYTES, type Fetch, type FetchResponse, type OffsetsForLeaderEpochResponse } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { epochTruncationOffset } from './leader-epoch-cache.js';
import type { Partition } from './partition.js';
import { brokerTimers } from './timers.js';

/**
 * The follower side of replication (Kafka's ReplicaFetcherThread), one fetch loop per partition
 * this broker follows:
 *
 * - with leader epochs (inter.broker.protocol.version >= 0.11.0, KIP-101/KIP-279) it first asks
 *   the leader where its latest epoch ends (OffsetsForLeaderEpoch) and truncates there;
 *   without, the replica manager truncated to the local high watermark (the old way);
 * - then Fetch from its log end offset, append what comes back, take the HW from the response;
 *   OFFSET_OUT_OF_RANGE truncates to the leader's log end (or restarts at its log start);
 * - requests go on the follower's connection to the leader (ReplicaFetcherBlockingSend's
 *   NetworkClient, no reconnect back-off of its own). A Fetch unanswered for
 *   replica.socket.timeout.ms closes that connection; a closed connection (the leader's process
 *   was killed: RST; it stopped: FIN; or the connect is refused) fails every request in flight on
 *   it. Either way the fetcher thread puts its partitions in error and delays them
 *   replica.fetch.backoff.ms (AbstractFetcherThread.handlePartitionsWithErrors), then fetches
 *   again from the leader it knows; the controller's LeaderAndIsr (KRaft: the metadata log) moves
 *   it to a new leader. A crashed, paused or cut-off leader is silence: the Fetch waits for the
 *   timeout (or is retransmitted and answered late once the path is back). An error answer
 *   backs off replica.fetch.backoff.ms too.
 *
 * The kernel keeps one connection per pair of brokers, which both sides' fetchers share (the real
 * brokers hold one per direction): a follower closing it on a timeout also fails the other
 * side's fetches in flight on it, which then back off once.
 */

export interface ReplicaFetcherHost {
  readonly ctx: NodeContext;
  readonly config: BrokerConfig;
  readonly stats: KafkaStats;
  readonly invariants: InvariantProbe | undefined;
  partition(key: string): Partition | undefined;
  /** Every partition this broker holds a replica of (the fetcher skips those it leads). */
  following(): Iterable<Partition>;
  nextId(): number;
}

export class ReplicaFetcher {
  constructor(private readonly host: ReplicaFetcherHost) {}

  private get ctx(): NodeContext {
    return this.host.ctx;
  }

  stopFetching(replica: Partition): void {
    replica.fetchId = 0;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.fetchTimer = null;
    replica.truncating = false;
  }

  /** Cuts the log at `offset` (why: hw, leader-epoch, no-epoch, out-of-range). */
  truncate(replica: Partition, offset: number, reason: string): void {
    const removed = replica.log.truncateTo(offset);
    if (replica.hw > replica.log.logEndOffset) replica.hw = replica.log.logEndOffset;
    if (removed > 0) {
      this.host.stats.truncatedRecords += removed;
      note(this.ctx, 'log-truncated', { partition: replica.key, to: offset, removed, reason });
      this.host.invariants?.changed(this.ctx.name, `truncation of ${replica.key} (${reason})`);
    }
  }

  /** Starts (or restarts) the follower loop: with leader epochs, OffsetsForLeaderEpoch first. */
  startFollowing(replica: Partition): void {
    const { ctx, config } = this.host;
    if (replica.leader === null || replica.isLeaderOn(ctx.name)) return;
    if (config.leaderEpochs && replica.log.latestEpoch >= 0) {
      const id = this.host.nextId();
      replica.fetchId = id;
      replica.truncating = true;
      ctx.connect(replica.leader);
      sendTo(ctx, replica.leader, {
        type: 'OffsetsForLeaderEpoch', topic: replica.topic, partition: replica.partition,
        leaderEpoch: replica.log.latestEpoch, currentLeaderEpoch: replica.leaderEpoch, id,
      }, HEADER_BYTES);
      replica.fetchTimer = brokerTimers.set(ctx, config.replicaSocketTimeout, 'replica-fetch-timeout', { replica, id });
      return;
    }
    this.sendReplicaFetch(replica);
  }

  /** 'replica-follow': the backoff after an OffsetsForLeaderEpoch error is over. */
  onFollowTimer(replica: Partition): void {
    replica.fetchTimer = null;
    this.startFollowing(replica);
  }

  /**
   * 'replica-fetch-timeout': the request went unanswered for replica.socket.timeout.ms.
   * ReplicaFetcherBlockingSend closes its connection to the leader on any failure, which fails
   * the leader's other requests in flight too; all of them back off.
   */
  onFetchTimeout(replica: Partition, id: number): void {
    if (replica.fetchId !== id || replica.leader === null) return;
    replica.fetchTimer = null;
    const leader = replica.leader;
    this.ctx.disconnect(leader);
    this.leaderDisconnected(leader, 'timeout');
  }

  /**
   * The connection to `leader` closed (or this broker closed it on a timeout): every fetch in
   * flight to it fails and its partition waits replica.fetch.backoff.ms before trying again.
   */
  leaderDisconnected(leader: string, reason: CloseReason): void {
    const failed: string[] = [];
    for (const replica of this.host.following()) {
      if (replica.fetchId === 0 || replica.leader !== leader) continue;
      failed.push(replica.key);
      this.backoffFetch(replica);
    }
    if (failed.length > 0) note(this.ctx, 'replica-fetch-failed', { leader, reason, partitions: failed.length, backoffMs: this.host.config.replicaFetchBackoff / 1000 });
  }

  sendReplicaFetch(replica: Partition): void {
    const { ctx, config } = this.host;
    replica.fetchTimer = null;
    if (replica.leader === null || replica.isLeaderOn(ctx.name)) return;
    const id = this.host.nextId();
    replica.fetchId = id;
    const fetch: Fetch = {
      type: 'Fetch', replica: ctx.name, topic: replica.topic, partition: replica.partition,
      fetchOffset: replica.log.logEndOffset, currentLeaderEpoch: replica.leaderEpoch,
      maxWait: config.replicaFetchWaitMax, maxBytes: config.replicaFetchMaxBytes, id,
    };
    ctx.connect(replica.leader);
    sendTo(ctx, replica.leader, fetch, HEADER_BYTES);
    replica.fetchTimer = brokerTimers.set(ctx, config.replicaSocketTimeout, 'replica-fetch-timeout', { replica, id });
  }

  /** The partition is in error: fetch (or, mid-truncation, ask for the epoch's end) again after replica.fetch.backoff.ms. */
  private backoffFetch(replica: Partition): void {
    replica.fetchId = 0;
    this.ctx.cancelTimer(replica.fetchTimer);
    const backoff = this.host.config.replicaFetchBackoff;
    replica.fetchTimer = replica.truncating
      ? brokerTimers.set(this.ctx, backoff, 'replica-follow', replica)
      : brokerTimers.set(this.ctx, backoff, 'replica-fetch', replica);
    replica.truncating = false;
  }

  onOffsetsForLeaderEpochResponse(response: OffsetsForLeaderEpochResponse): void {
    const replica = this.host.partition(`${response.topic}-${response.partition}`);
    if (!replica || replica.fetchId !== response.id || !replica.truncating) return;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.truncating = false;
    if (response.error !== 'NONE') {
      replica.fetchId = 0;
      replica.fetchTimer = brokerTimers.set(this.ctx, this.host.config.replicaFetchBackoff, 'replica-follow', replica);
      return;
    }
    const target = epochTruncationOffset(replica.log, response.leaderEpoch, response.endOffset);
    if (target === undefined) this.truncate(replica, replica.hw, 'no-epoch');
    else this.truncate(replica, target.offset, 'leader-epoch');
    // KIP-279: the leader answered an epoch this log never saw; truncated to the end of the
    // epoch before it, ask again with the new latest epoch.
    if (target !== undefined && !target.done) return this.startFollowing(replica);
    this.sendReplicaFetch(replica);
  }

  onFetchResponse(response: FetchResponse): void {
    const replica = this.host.partition(`${response.topic}-${response.partition}`);
    if (!replica || replica.fetchId !== response.id || replica.truncating) return;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.fetchTimer = null;
    replica.fetchId = 0;
    if (response.error === 'OFFSET_OUT_OF_RANGE') {
      // Our log end is past the leader's (it was elected uncleanly, or we kept more than its HW).
      if (replica.log.logEndOffset > response.logEndOffset) this.truncate(replica, response.logEndOffset, 'out-of-range');
      else {
        // Behind the leader's log start (retention deleted what we lack): start over there.
        const removed = replica.log.truncateFullyAndStartAt(response.logStartOffset);
        this.host.stats.truncatedRecords += removed;
        replica.hw = response.logStartOffset;
        note(this.ctx, 'log-reset', { partition: replica.key, to: response.logStartOffset, removed });
        this.host.invariants?.changed(this.ctx.name, `truncation of ${replica.key} (log reset)`);
      }
      this.sendReplicaFetch(replica);
      return;
    }
    if (response.error !== 'NONE') {
      this.backoffFetch(replica);
      return;
    }
    if (response.records.length > 0) {
      if (response.records[0]!.offset !== replica.log.logEndOffset) {
        this.sendReplicaFetch(replica);
        return;
      }
      try {
        replica.log.append(response.records);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        note(this.ctx, 'disk-full', { partition: replica.key });
        return logDirFailure(this.ctx, replica.key, 'replica-fetch');
      }
      replica.maybeFlush();
    }
    replica.hw = Math.min(response.highWatermark, replica.log.logEndOffset);
    this.sendReplicaFetch(replica);
  }
}
