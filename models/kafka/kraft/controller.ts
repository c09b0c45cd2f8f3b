import type { Timer } from '../../../sim/kernel.js';
import type { Actor, NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import { note } from '../notes.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import type { TopicAssignment } from '../controller.js';
import { endOffsetForEpoch, type RaftData } from './metadata-log.js';
import { QuorumController, type QuorumControllerTimer } from './quorum-controller.js';

export type { RaftData } from './metadata-log.js';
import {
  KRAFT_HEADER_BYTES, METADATA_TOPIC, sendKraft,
  type BeginQuorumEpoch, type BeginQuorumEpochResponse, type ControllerInbound, type EndQuorumEpoch, type MetadataEntry, type MetadataFetch,
  type MetadataFetchResponse, type MetadataRecord, type Vote, type VoteResponse,
} from './protocol.js';

/**
 * A KRaft controller node (`controller-N`, process.roles=controller): a voter of the metadata
 * quorum (KIP-595) and, while it is the Raft leader of `__cluster_metadata`, the active
 * controller (KIP-631's QuorumController).
 *
 * Raft, as KIP-595 specifies it:
 * - every voter starts unattached; without hearing from a leader within
 *   controller.quorum.election.timeout.ms (randomised in [T, 2T)) it becomes a candidate: epoch + 1,
 *   votes for itself, sends Vote (with its last epoch and log end offset) to the other voters;
 * - a voter grants one vote per epoch, to a candidate whose log is at least as up to date as its
 *   own; a candidate with a majority becomes leader, appends a LeaderChangeMessage at the start of
 *   its epoch and sends BeginQuorumEpoch; a candidate that does not win within the election
 *   timeout backs off (random, up to controller.quorum.election.backoff.max.ms) and tries again;
 * - followers Fetch from the leader (long poll, 500 ms) with their log end offset and last
 *   fetched epoch; the leader answers with a diverging epoch when their logs differ (the follower
 *   truncates) or with the records; a follower that gets no successful response for
 *   controller.quorum.fetch.timeout.ms starts an election;
 * - the high watermark is the largest offset a majority of voters hold, counted only once it
 *   passes the start of the leader's own epoch (Raft's rule: a leader commits entries of earlier
 *   epochs only through one of its own);
 * - check quorum (KAFKA-15489): a leader that has not been fetched from by a majority for
 *   1.5 x controller.quorum.fetch.timeout.ms resigns, sending EndQuorumEpoch, so a leader cut off
 *   in a minority stops acting as one. Until then it can append but never commit.
 *
 * The active controller (quorum-controller.ts): once the leader's epoch start has committed,
 * it serves broker registrations and heartbeats (fencing), AlterPartition, AllocateProducerIds
 * and CreatePartitions, each change a record committed by a majority before it is answered;
 * brokers learn it by fetching the log. Counts are taken when records commit (publisher.ts), so
 * the decisions of a leader cut off in a minority, which never commit, are not counted.
 *
 * The log and the quorum state (epoch, vote) are fsynced by KRaft before they count; the model
 * keeps them in `RaftData`, outside the actor, so they survive a crash.
 */

export interface KraftOptions {
  voters: readonly string[];
  brokers: readonly string[];
  topics: readonly TopicAssignment[];
  config: BrokerConfig;
  stats: KafkaStats;
  /** Called with the log and the new high watermark whenever this node learns of commits. */
  publish(log: readonly MetadataEntry[], highWatermark: number): void;
  /** Combined mode: the leader this voter knows changed (the broker of the same process shares it). */
  leaderChanged?(leader: string | null, epoch: number): void;
}

type Role = 'unattached' | 'voted' | 'follower' | 'candidate' | 'leader' | 'resigned';

/** KafkaRaftClient's fetch max wait (hard-coded 500 ms). */
const FETCH_MAX_WAIT: Micros = 500_000;
const CHECK_QUORUM_FACTOR = 1.5;

interface VoterProgress {
  /** Its log end offset from its last Fetch (-1 unknown). */
  endOffset: number;
  /** When it last fetched (the leader's election time before its first Fetch). */
  lastFetch: Micros;
}

interface ParkedFetch {
  from: string;
  request: MetadataFetch;
  timer: Timer;
}

interface CommitWaiter {
  offset: number;
  then: () => void;
}

/** A controller node's timers: Raft's, and the active controller's (a combined-mode broker routes these to the voter it hosts). */
export type KraftControllerTimer =
  | { tag: 'raft-election'; data: undefined }
  | { tag: 'raft-backoff'; data: undefined }
  | { tag: 'raft-fetch-timeout'; data: undefined }
  | { tag: 'raft-fetch-retry'; data: undefined }
  | { tag: 'raft-fetch-request-timeout'; data: number }
  | { tag: 'raft-check-quorum'; data: number }
  | { tag: 'raft-begin-epoch'; data: number }
  | { tag: 'raft-fetch-wait'; data: ParkedFetch }
  | QuorumControllerTimer;
const timers = timersOf<KraftControllerTimer>();

export class KraftController implements Actor {
  private ctx!: NodeContext;
  private role: Role = 'unattached';
  private leader: string | null = null;
  private electionTimer: Timer | null = null;
  private fetchTimer: Timer | null = null;
  private fetchId = 0;
  private nextId = 1;
  private highWatermark = 0;
  private votes = new Set<string>();
  // leader state
  private epochStartOffset = 0;
  private readonly progress = new Map<string, VoterProgress>();
  private unacknowledged = new Set<string>();
  private parked: ParkedFetch[] = [];
  private waiters: CommitWaiter[] = [];
  /** The active controller's duties, while this voter leads (quorum-controller.ts). */
  private readonly quorum: QuorumController;

  constructor(private readonly data: RaftData, private readonly options: KraftOptions) {
    const self = this;
    this.quorum = new QuorumController({
      get ctx() { return self.ctx; },
      get epoch() { return self.data.epoch; },
      get leader() { return self.leader; },
      get logEnd() { return self.logEnd; },
      get log() { return self.data.log; },
      isLeader: () => this.role === 'leader',
      append: (records, then) => this.appendEntries(records, then),
    }, options);
  }

  private get config(): BrokerConfig {
    return this.options.config;
  }

  private get me(): string {
    return this.ctx.name;
  }

  private get log(): MetadataEntry[] {
    return this.data.log;
  }

  private get logEnd(): number {
    return this.data.log.length;
  }

  private get lastEpoch(): number {
    const last = this.data.log[this.data.log.length - 1];
    return last ? last.epoch : 0;
  }

  /** Voters other than this one. */
  private get others(): string[] {
    return this.options.voters.filter((v) => v !== this.me);
  }

  private get majority(): number {
    return Math.floor(this.options.voters.length / 2) + 1;
  }

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    // Back as a voter of its stored epoch: unattached (or voted), waiting to hear from a leader.
    this.role = this.data.votedFor !== null ? 'voted' : 'unattached';
    this.resetElectionTimer();
  }

  receive(from: string, message: ControllerInbound): void {
    const quorum = this.quorum;
    switch (message.type) {
      case 'Vote': return this.onVote(from, message);
      case 'VoteResponse': return this.onVoteResponse(from, message);
      case 'BeginQuorumEpoch': return this.onBeginQuorumEpoch(from, message);
      case 'BeginQuorumEpochResponse': return this.onBeginQuorumEpochResponse(from, message);
      case 'EndQuorumEpoch': return this.onEndQuorumEpoch(message);
      case 'EndQuorumEpochResponse': return;
      case 'Fetch': return this.onFetch(from, message);
      case 'FetchResponse': return this.onFetchResponse(message);
      case 'BrokerRegistration': return quorum.onBrokerRegistration(from, message);
      case 'BrokerHeartbeat': return quorum.onBrokerHeartbeat(from, message);
      case 'AlterPartition': return quorum.onAlterPartition(from, message);
      case 'AllocateProducerIds': return quorum.onAllocateProducerIds(from, message);
      case 'CreatePartitions': return quorum.onCreatePartitions(from, message);
      default: return unreachable(message, 'controller message');
    }
  }

  onTimer(...[tag, data]: TimerArgs<KraftControllerTimer>): void {
    switch (tag) {
      case 'raft-election':
        this.electionTimer = null;
        if (this.role === 'candidate') {
          // Lost (or split) election: back off, then try again with a new epoch.
          const backoff = Math.floor(this.ctx.random('election').next() * this.config.quorumElectionBackoffMax);
          this.electionTimer = timers.set(this.ctx, backoff, 'raft-backoff', undefined);
        } else if (this.role !== 'leader' && this.role !== 'follower') this.becomeCandidate();
        return;
      case 'raft-backoff':
        this.electionTimer = null;
        if (this.role === 'candidate' || this.role === 'resigned' || this.role === 'unattached' || this.role === 'voted') this.becomeCandidate();
        return;
      case 'raft-fetch-timeout':
        this.fetchTimer = null;
        if (this.role === 'follower') {
          note(this.ctx, 'raft-fetch-timeout', { leader: this.leader, epoch: this.data.epoch });
          this.becomeCandidate();
        }
        return;
      case 'raft-fetch-retry':
        if (this.role === 'follower') this.sendFetch();
        return;
      case 'raft-fetch-request-timeout':
        if (this.role === 'follower' && this.fetchId === data) this.sendFetch();
        return;
      case 'raft-check-quorum':
        if (data === this.data.epoch) this.checkQuorum();
        return;
      case 'raft-begin-epoch':
        if (data === this.data.epoch) this.sendBeginQuorumEpochs();
        return;
      case 'raft-fetch-wait': return this.onFetchWait(data);
      case 'qc-fence-stale-brokers': return this.quorum.onFenceTimer();
      case 'qc-leader-rebalance':
        if (data === this.data.epoch) this.quorum.rebalanceLeaders();
        return;
      case 'qc-create-topics': return this.quorum.onCreateTopicsTimer();
      default: return unreachable(tag, 'controller timer');
    }
  }

  // ------------------------------------------------------------------ quorum state transitions

  private resetElectionTimer(): void {
    this.ctx.cancelTimer(this.electionTimer);
    const t = this.config.quorumElectionTimeout;
    this.electionTimer = timers.set(this.ctx, t + Math.floor(this.ctx.random('election').next() * t), 'raft-election', undefined);
  }

  /** A higher epoch seen: leave whatever role this node had, without a vote in the new epoch. */
  private transitionToUnattached(epoch: number): void {
    this.leaveLeadership();
    this.data.epoch = epoch;
    this.data.votedFor = null;
    this.role = 'unattached';
    this.leader = null;
    this.stopFetching();
    this.resetElectionTimer();
    this.options.leaderChanged?.(null, epoch);
  }

  private becomeCandidate(): void {
    this.leaveLeadership();
    this.stopFetching();
    this.data.epoch++;
    this.data.votedFor = this.me;
    this.role = 'candidate';
    this.leader = null;
    this.votes = new Set([this.me]);
    note(this.ctx, 'raft-candidate', { epoch: this.data.epoch, lastOffset: this.logEnd, lastEpoch: this.lastEpoch });
    if (this.votes.size >= this.majority) {
      this.becomeLeader();
      return;
    }
    for (const v of this.others) {
      sendKraft(this.ctx, v, { type: 'Vote', candidateEpoch: this.data.epoch, candidate: this.me, lastOffsetEpoch: this.lastEpoch, lastOffset: this.logEnd });
    }
    this.resetElectionTimer();
  }

  private becomeFollower(epoch: number, leader: string): void {
    if (this.role === 'follower' && this.data.epoch === epoch && this.leader === leader) return;
    this.leaveLeadership();
    if (epoch > this.data.epoch) this.data.votedFor = null;
    this.data.epoch = epoch;
    this.role = 'follower';
    this.leader = leader;
    this.ctx.cancelTimer(this.electionTimer);
    this.electionTimer = null;
    note(this.ctx, 'raft-follower', { epoch, leader });
    this.options.leaderChanged?.(leader, epoch);
    this.stopFetching();
    this.resetFetchTimeout();
    this.sendFetch();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.me;
    this.ctx.cancelTimer(this.electionTimer);
    this.electionTimer = null;
    this.epochStartOffset = this.logEnd;
    this.progress.clear();
    const now = this.ctx.trueNow();
    for (const v of this.others) this.progress.set(v, { endOffset: -1, lastFetch: now });
    note(this.ctx, 'raft-leader', { epoch: this.data.epoch, epochStartOffset: this.epochStartOffset, votes: [...this.votes] });
    this.options.leaderChanged?.(this.me, this.data.epoch);
    this.appendEntries([{ type: 'LeaderChangeMessage', leader: this.me, voters: [...this.options.voters] }]);
    this.unacknowledged = new Set(this.others);
    this.sendBeginQuorumEpochs();
    timers.set(this.ctx, this.checkQuorumTimeout, 'raft-check-quorum', this.data.epoch);
    this.maybeAdvanceHighWatermark();
  }

  private get checkQuorumTimeout(): Micros {
    return Math.floor(this.config.quorumFetchTimeout * CHECK_QUORUM_FACTOR);
  }

  /** Leaving the leader role (or a resigned one): waiters are dropped, parked fetches answered. */
  private leaveLeadership(): void {
    if (this.role !== 'leader' && this.role !== 'resigned') return;
    this.quorum.deactivate();
    this.waiters = [];
    for (const p of this.parked) this.ctx.cancelTimer(p.timer);
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.fetchError(p.from, p.request, 'NOT_LEADER_OR_FOLLOWER');
  }

  private resign(why: string): void {
    note(this.ctx, 'raft-resigned', { epoch: this.data.epoch, why });
    this.leaveLeadership();
    this.role = 'resigned';
    this.leader = null;
    const successors = [...this.progress.entries()].sort((a, b) => b[1].endOffset - a[1].endOffset).map(([v]) => v);
    for (const v of this.others) sendKraft(this.ctx, v, { type: 'EndQuorumEpoch', leaderEpoch: this.data.epoch, leader: this.me, preferredSuccessors: successors });
    this.resetElectionTimer();
  }

  // ------------------------------------------------------------------ Vote

  private onVote(from: string, vote: Vote): void {
    if (vote.candidateEpoch > this.data.epoch) this.transitionToUnattached(vote.candidateEpoch);
    const reply = (granted: boolean) => sendKraft(this.ctx, from, {
      type: 'VoteResponse', error: 'NONE', leaderEpoch: this.data.epoch, leader: this.leader, voteGranted: granted,
    });
    if (vote.candidateEpoch < this.data.epoch) return reply(false);
    const upToDate = vote.lastOffsetEpoch > this.lastEpoch || (vote.lastOffsetEpoch === this.lastEpoch && vote.lastOffset >= this.logEnd);
    const free = this.data.votedFor === null || this.data.votedFor === vote.candidate;
    const noLeader = this.role === 'unattached' || this.role === 'voted';
    if (!upToDate || !free || !noLeader) return reply(false);
    this.data.votedFor = vote.candidate;
    this.role = 'voted';
    this.resetElectionTimer();
    reply(true);
  }

  private onVoteResponse(from: string, response: VoteResponse): void {
    if (response.leaderEpoch > this.data.epoch) {
      if (response.leader !== null) this.becomeFollower(response.leaderEpoch, response.leader);
      else this.transitionToUnattached(response.leaderEpoch);
      return;
    }
    if (this.role !== 'candidate' || response.leaderEpoch !== this.data.epoch || !response.voteGranted) return;
    this.votes.add(from);
    if (this.votes.size >= this.majority) this.becomeLeader();
  }

  // ------------------------------------------------------------------ BeginQuorumEpoch / EndQuorumEpoch

  private sendBeginQuorumEpochs(): void {
    if (this.role !== 'leader') return;
    for (const v of this.unacknowledged) sendKraft(this.ctx, v, { type: 'BeginQuorumEpoch', leaderEpoch: this.data.epoch, leader: this.me });
    // Resent until every voter answered (controller.quorum.request.timeout.ms).
    if (this.unacknowledged.size > 0) timers.set(this.ctx, this.config.quorumRequestTimeout, 'raft-begin-epoch', this.data.epoch);
  }

  private onBeginQuorumEpoch(from: string, begin: BeginQuorumEpoch): void {
    if (begin.leaderEpoch < this.data.epoch) {
      sendKraft(this.ctx, from, { type: 'BeginQuorumEpochResponse', error: 'FENCED_LEADER_EPOCH', leaderEpoch: this.data.epoch, leader: this.leader });
      return;
    }
    this.becomeFollower(begin.leaderEpoch, begin.leader);
    sendKraft(this.ctx, from, { type: 'BeginQuorumEpochResponse', error: 'NONE', leaderEpoch: this.data.epoch, leader: this.leader });
  }

  private onBeginQuorumEpochResponse(from: string, response: BeginQuorumEpochResponse): void {
    if (response.leaderEpoch > this.data.epoch) {
      if (response.leader !== null) this.becomeFollower(response.leaderEpoch, response.leader);
      else this.transitionToUnattached(response.leaderEpoch);
      return;
    }
    if (this.role === 'leader' && response.error === 'NONE') this.unacknowledged.delete(from);
  }

  private onEndQuorumEpoch(end: EndQuorumEpoch): void {
    if (end.leaderEpoch < this.data.epoch || this.leader !== end.leader) return;
    // The leader resigned: its preferred successor runs at once, the others after a backoff.
    this.role = 'unattached';
    this.leader = null;
    this.stopFetching();
    this.ctx.cancelTimer(this.electionTimer);
    const position = end.preferredSuccessors.indexOf(this.me);
    const backoff = position === 0 ? 0 : Math.floor(this.ctx.random('election').next() * this.config.quorumElectionBackoffMax);
    this.electionTimer = timers.set(this.ctx, backoff, 'raft-backoff', undefined);
  }

  // ------------------------------------------------------------------ Fetch (leader side)

  private onFetch(from: string, request: MetadataFetch): void {
    if (request.topic !== METADATA_TOPIC) return;
    if (request.currentLeaderEpoch > this.data.epoch && request.voter) {
      // A voter knows of a newer epoch than ours: we are behind; leave and learn it.
      this.transitionToUnattached(request.currentLeaderEpoch);
    }
    if (this.role !== 'leader') return this.fetchError(from, request, 'NOT_LEADER_OR_FOLLOWER');
    if (request.currentLeaderEpoch >= 0 && request.currentLeaderEpoch < this.data.epoch) return this.fetchError(from, request, 'FENCED_LEADER_EPOCH');
    // Diverging log: the fetcher's last fetched epoch ends earlier here (or is unknown).
    if (request.fetchOffset > 0) {
      const end = endOffsetForEpoch(this.log, request.lastFetchedEpoch);
      if (end.epoch !== request.lastFetchedEpoch || end.endOffset < request.fetchOffset) {
        this.respondFetch(from, request, { epoch: end.epoch, endOffset: end.endOffset });
        return;
      }
    }
    if (request.voter) {
      const p = this.progress.get(from);
      if (p) {
        p.endOffset = request.fetchOffset;
        p.lastFetch = this.ctx.trueNow();
        this.maybeAdvanceHighWatermark();
      }
    }
    const upTo = request.voter ? this.logEnd : this.highWatermark;
    if (request.fetchOffset < upTo || request.maxWait <= 0) {
      this.respondFetch(from, request, null);
      return;
    }
    const parked: ParkedFetch = { from, request, timer: null as unknown as Timer };
    parked.timer = timers.set(this.ctx, request.maxWait, 'raft-fetch-wait', parked);
    this.parked.push(parked);
  }

  private respondFetch(from: string, request: MetadataFetch, diverging: { epoch: number; endOffset: number } | null): void {
    const upTo = request.voter ? this.logEnd : this.highWatermark;
    const entries = diverging ? [] : this.log.slice(request.fetchOffset, upTo);
    const response: MetadataFetchResponse = {
      type: 'FetchResponse', topic: METADATA_TOPIC, id: request.id, voter: request.voter, error: 'NONE', leaderEpoch: this.data.epoch, leader: this.me,
      highWatermark: this.highWatermark, divergingEpoch: diverging, entries,
    };
    sendKraft(this.ctx, from, response, KRAFT_HEADER_BYTES + 64 * entries.length);
  }

  private fetchError(from: string, request: MetadataFetch, error: 'NOT_LEADER_OR_FOLLOWER' | 'FENCED_LEADER_EPOCH'): void {
    sendKraft(this.ctx, from, {
      type: 'FetchResponse', topic: METADATA_TOPIC, id: request.id, voter: request.voter, error, leaderEpoch: this.data.epoch, leader: this.leader,
      highWatermark: -1, divergingEpoch: null, entries: [],
    });
  }

  private onFetchWait(parked: ParkedFetch): void {
    const index = this.parked.indexOf(parked);
    if (index < 0) return;
    this.parked.splice(index, 1);
    if (this.role === 'leader') this.respondFetch(parked.from, parked.request, null);
  }

  private wakeParked(): void {
    if (this.parked.length === 0) return;
    const keep: ParkedFetch[] = [];
    for (const p of this.parked) {
      const upTo = p.request.voter ? this.logEnd : this.highWatermark;
      if (p.request.fetchOffset < upTo) {
        this.ctx.cancelTimer(p.timer);
        this.respondFetch(p.from, p.request, null);
      } else keep.push(p);
    }
    this.parked = keep;
  }

  private maybeAdvanceHighWatermark(): void {
    if (this.role !== 'leader') return;
    const offsets = [this.logEnd];
    for (const p of this.progress.values()) offsets.push(p.endOffset);
    offsets.sort((a, b) => b - a);
    const candidate = offsets[this.majority - 1]!;
    // Only once the leader's own epoch start (its LeaderChangeMessage) is on a majority.
    if (candidate <= this.epochStartOffset || candidate <= this.highWatermark) return;
    this.highWatermark = candidate;
    this.options.publish(this.log, candidate);
    if (!this.quorum.active) this.quorum.activate();
    this.runCommitted();
    this.wakeParked();
  }

  /** Check quorum: resign when no majority (this leader included) has fetched within 1.5 x the fetch timeout. */
  private checkQuorum(): void {
    if (this.role !== 'leader') return;
    // The latest time at which a majority had been in touch: the (majority-1)-th most recent other voter's fetch.
    const times = [...this.progress.values()].map((p) => p.lastFetch).sort((a, b) => b - a);
    const majorityContact = this.majority <= 1 ? this.ctx.trueNow() : times[this.majority - 2]!;
    const expiry = majorityContact + this.checkQuorumTimeout;
    const now = this.ctx.trueNow();
    if (now >= expiry) {
      this.resign('check-quorum: no Fetch from a majority of voters');
      return;
    }
    timers.set(this.ctx, expiry - now, 'raft-check-quorum', this.data.epoch);
  }

  // ------------------------------------------------------------------ Fetch (follower side)

  private stopFetching(): void {
    this.fetchId = 0;
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = null;
  }

  private resetFetchTimeout(): void {
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = timers.set(this.ctx, this.config.quorumFetchTimeout, 'raft-fetch-timeout', undefined);
  }

  private sendFetch(): void {
    if (this.role !== 'follower' || this.leader === null) return;
    const id = this.nextId++;
    this.fetchId = id;
    sendKraft(this.ctx, this.leader, {
      type: 'Fetch', topic: METADATA_TOPIC, replica: this.me, voter: true, fetchOffset: this.logEnd, lastFetchedEpoch: this.lastEpoch,
      currentLeaderEpoch: this.data.epoch, maxWait: FETCH_MAX_WAIT, id,
    });
    // Unanswered for controller.quorum.request.timeout.ms: send it again (the fetch timeout decides the election).
    timers.set(this.ctx, this.config.quorumRequestTimeout, 'raft-fetch-request-timeout', id);
  }

  private onFetchResponse(response: MetadataFetchResponse): void {
    if (response.topic !== METADATA_TOPIC) return;
    if (response.leaderEpoch > this.data.epoch) {
      if (response.leader !== null) this.becomeFollower(response.leaderEpoch, response.leader);
      else this.transitionToUnattached(response.leaderEpoch);
      return;
    }
    if (this.role !== 'follower' || response.id !== this.fetchId) return;
    this.fetchId = 0;
    if (response.error !== 'NONE') {
      timers.set(this.ctx, 100_000, 'raft-fetch-retry', undefined);
      return;
    }
    this.resetFetchTimeout();
    if (response.divergingEpoch) {
      const mine = endOffsetForEpoch(this.log, response.divergingEpoch.epoch);
      const to = Math.min(response.divergingEpoch.endOffset, mine.endOffset);
      if (to < this.logEnd) {
        note(this.ctx, 'raft-log-truncated', { to, removed: this.logEnd - to, epoch: this.data.epoch });
        this.options.stats.metadataRecordsTruncated += this.logEnd - to;
        this.data.log.length = to;
      }
      this.sendFetch();
      return;
    }
    const entries = response.entries;
    if (entries.length > 0 && entries[0]!.offset === this.logEnd) for (const e of entries) this.data.log.push(e);
    const hw = Math.min(response.highWatermark, this.logEnd);
    if (hw > this.highWatermark) {
      this.highWatermark = hw;
      this.options.publish(this.log, hw);
    }
    this.sendFetch();
  }

  // ------------------------------------------------------------------ the active controller

  private appendEntries(records: MetadataRecord[], then?: () => void): number {
    let offset = this.logEnd;
    for (const record of records) {
      offset = this.logEnd;
      const entry: MetadataEntry = { offset, epoch: this.data.epoch, record };
      // Kafka sets the broker epoch to the registration record's offset.
      if (record.type === 'RegisterBrokerRecord') record.brokerEpoch = offset;
      this.data.log.push(entry);
      this.quorum.apply(entry);
    }
    if (then) this.waiters.push({ offset, then });
    this.wakeParked();
    this.maybeAdvanceHighWatermark();
    return offset;
  }

  private runCommitted(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.offset < this.highWatermark);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset >= this.highWatermark);
    for (const w of ready) w.then();
  }

  /** For tests and the invariant checker: the node's Raft view. */
  inspect(): { role: Role; epoch: number; leader: string | null; logEnd: number; highWatermark: number; active: boolean; log: readonly MetadataEntry[] } {
    return { role: this.role, epoch: this.data.epoch, leader: this.leader, logEnd: this.logEnd, highWatermark: this.highWatermark, active: this.quorum.active, log: this.data.log };
  }
}
