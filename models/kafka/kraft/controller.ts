import type { Timer } from '../../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import {
  partitionChangesOnFailure, electPartitionLeader, preferredLeaderElections, reportElection, validateAlterPartition, type TopicAssignment,
} from '../controller.js';
import type { AlterPartition, AlterPartitionResponse, CreatePartitions, CreatePartitionsResponse, KafkaError, PartitionState } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { MetadataImage } from './image.js';
import {
  KRAFT_HEADER_BYTES, METADATA_TOPIC, sendKraft,
  type AllocateProducerIds, type BeginQuorumEpoch, type BeginQuorumEpochResponse, type BrokerHeartbeat, type BrokerRegistration,
  type EndQuorumEpoch, type MetadataEntry, type MetadataFetch, type MetadataFetchResponse, type MetadataRecord, type Vote, type VoteResponse,
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
 * The active controller: once the leader's epoch start has committed, it replays the log into
 * its image (QuorumController's claim) and serves BrokerRegistration (RegisterBrokerRecord, the
 * broker epoch being the record's offset; refused with DUPLICATE_BROKER_REGISTRATION while an
 * older incarnation's session is live), BrokerHeartbeat (unfences a broker caught up to its
 * registration; fences a broker without a heartbeat for broker.session.timeout.ms, moving its
 * leaderships with the leader election shared with ZooKeeper mode and taking it out of every
 * ISR), AlterPartition and AllocateProducerIds. Every change is a record committed to the log by
 * a majority before the request is answered; brokers learn it by fetching the log. Counts
 * (elections, ISR changes, fencings) are taken when records commit (kraft/publisher.ts), so the
 * decisions of a leader cut off in a minority, which never commit, are not counted.
 *
 * The log and the quorum state (epoch, vote) are fsynced by KRaft before they count; the model
 * keeps them in `RaftData`, outside the actor, so they survive a crash.
 */

export interface RaftData {
  log: MetadataEntry[];
  epoch: number;
  votedFor: string | null;
}

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

/** The timer tags of a KraftController (a combined-mode broker routes these to the controller it hosts). */
export function isControllerTimer(tag: string): boolean {
  return tag.startsWith('raft-') || tag.startsWith('qc-');
}

/** The message types a KraftController takes (a combined-mode broker routes these to it). */
export const CONTROLLER_MESSAGES: ReadonlySet<string> = new Set([
  'Vote', 'VoteResponse', 'BeginQuorumEpoch', 'BeginQuorumEpochResponse', 'EndQuorumEpoch', 'EndQuorumEpochResponse',
  'BrokerRegistration', 'BrokerHeartbeat', 'AllocateProducerIds',
]);

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
  private active = false;
  private image: MetadataImage | null = null;
  private readonly sessions = new Map<string, Micros>();
  private fenceTimer: Timer | null = null;
  private topicsCreated = false;
  private activatedAt: Micros = 0;

  constructor(private readonly data: RaftData, private readonly options: KraftOptions) {}

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

  receive(from: string, message: Message): void {
    switch (message.type) {
      case 'Vote': return this.onVote(from, message as Vote);
      case 'VoteResponse': return this.onVoteResponse(from, message as VoteResponse);
      case 'BeginQuorumEpoch': return this.onBeginQuorumEpoch(from, message as BeginQuorumEpoch);
      case 'BeginQuorumEpochResponse': return this.onBeginQuorumEpochResponse(from, message as BeginQuorumEpochResponse);
      case 'EndQuorumEpoch': return this.onEndQuorumEpoch(message as EndQuorumEpoch);
      case 'Fetch': return this.onFetch(from, message as MetadataFetch);
      case 'FetchResponse': return this.onFetchResponse(message as MetadataFetchResponse);
      case 'BrokerRegistration': return this.onBrokerRegistration(from, message as BrokerRegistration);
      case 'BrokerHeartbeat': return this.onBrokerHeartbeat(from, message as BrokerHeartbeat);
      case 'AlterPartition': return this.onAlterPartition(from, message as AlterPartition);
      case 'AllocateProducerIds': return this.onAllocateProducerIds(from, message as AllocateProducerIds);
      case 'CreatePartitions': return this.onCreatePartitions(from, message as CreatePartitions);
      default:
    }
  }

  onTimer(tag: string, data: unknown): void {
    switch (tag) {
      case 'raft-election':
        this.electionTimer = null;
        if (this.role === 'candidate') {
          // Lost (or split) election: back off, then try again with a new epoch.
          const backoff = Math.floor(this.ctx.random('election').next() * this.config.quorumElectionBackoffMax);
          this.electionTimer = this.ctx.setTimer(backoff, 'raft-backoff');
        } else if (this.role !== 'leader' && this.role !== 'follower') this.becomeCandidate();
        return;
      case 'raft-backoff':
        this.electionTimer = null;
        if (this.role === 'candidate' || this.role === 'resigned' || this.role === 'unattached' || this.role === 'voted') this.becomeCandidate();
        return;
      case 'raft-fetch-timeout':
        this.fetchTimer = null;
        if (this.role === 'follower') {
          this.ctx.note('raft-fetch-timeout', { leader: this.leader, epoch: this.data.epoch });
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
      case 'raft-fetch-wait': return this.onFetchWait(data as ParkedFetch);
      case 'qc-fence-stale-brokers':
        this.fenceTimer = null;
        this.fenceStaleBrokers();
        return;
      case 'qc-leader-rebalance':
        if (data === this.data.epoch) this.rebalanceLeaders();
        return;
      case 'qc-create-topics':
        if (this.active && !this.topicsCreated) this.createTopics();
        return;
      default:
    }
  }

  // ------------------------------------------------------------------ quorum state transitions

  private resetElectionTimer(): void {
    this.ctx.cancelTimer(this.electionTimer);
    const t = this.config.quorumElectionTimeout;
    this.electionTimer = this.ctx.setTimer(t + Math.floor(this.ctx.random('election').next() * t), 'raft-election');
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
    this.ctx.note('raft-candidate', { epoch: this.data.epoch, lastOffset: this.logEnd, lastEpoch: this.lastEpoch });
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
    this.ctx.note('raft-follower', { epoch, leader });
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
    this.ctx.note('raft-leader', { epoch: this.data.epoch, epochStartOffset: this.epochStartOffset, votes: [...this.votes] });
    this.options.leaderChanged?.(this.me, this.data.epoch);
    this.appendEntries([{ type: 'LeaderChangeMessage', leader: this.me, voters: [...this.options.voters] }]);
    this.unacknowledged = new Set(this.others);
    this.sendBeginQuorumEpochs();
    this.ctx.setTimer(this.checkQuorumTimeout, 'raft-check-quorum', this.data.epoch);
    this.maybeAdvanceHighWatermark();
  }

  private get checkQuorumTimeout(): Micros {
    return Math.floor(this.config.quorumFetchTimeout * CHECK_QUORUM_FACTOR);
  }

  /** Leaving the leader role (or a resigned one): waiters are dropped, parked fetches answered. */
  private leaveLeadership(): void {
    if (this.role !== 'leader' && this.role !== 'resigned') return;
    if (this.active) this.ctx.note('controller-resigned', { epoch: this.data.epoch });
    this.active = false;
    this.image = null;
    this.waiters = [];
    this.sessions.clear();
    this.ctx.cancelTimer(this.fenceTimer);
    this.fenceTimer = null;
    for (const p of this.parked) this.ctx.cancelTimer(p.timer);
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.fetchError(p.from, p.request, 'NOT_LEADER_OR_FOLLOWER');
  }

  private resign(why: string): void {
    this.ctx.note('raft-resigned', { epoch: this.data.epoch, why });
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
    if (this.unacknowledged.size > 0) this.ctx.setTimer(this.config.quorumRequestTimeout, 'raft-begin-epoch', this.data.epoch);
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
    this.electionTimer = this.ctx.setTimer(backoff, 'raft-backoff');
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
      const end = this.endOffsetForEpoch(request.lastFetchedEpoch);
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
    parked.timer = this.ctx.setTimer(request.maxWait, 'raft-fetch-wait', parked);
    this.parked.push(parked);
  }

  /** The largest epoch <= `epoch` in the log and the offset where it ends (KIP-595's diverging-epoch check). */
  private endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    const log = this.log;
    let found = -1;
    for (let i = log.length - 1; i >= 0; i--) {
      if (log[i]!.epoch <= epoch) {
        found = i;
        break;
      }
    }
    if (found < 0) return { epoch: 0, endOffset: 0 };
    return { epoch: log[found]!.epoch, endOffset: found + 1 };
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
    if (!this.active) this.activate();
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
    this.ctx.setTimer(expiry - now, 'raft-check-quorum', this.data.epoch);
  }

  // ------------------------------------------------------------------ Fetch (follower side)

  private stopFetching(): void {
    this.fetchId = 0;
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = null;
  }

  private resetFetchTimeout(): void {
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = this.ctx.setTimer(this.config.quorumFetchTimeout, 'raft-fetch-timeout');
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
    this.ctx.setTimer(this.config.quorumRequestTimeout, 'raft-fetch-request-timeout', id);
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
      this.ctx.setTimer(100_000, 'raft-fetch-retry');
      return;
    }
    this.resetFetchTimeout();
    if (response.divergingEpoch) {
      const mine = this.endOffsetForEpoch(response.divergingEpoch.epoch);
      const to = Math.min(response.divergingEpoch.endOffset, mine.endOffset);
      if (to < this.logEnd) {
        this.ctx.note('raft-log-truncated', { to, removed: this.logEnd - to, epoch: this.data.epoch });
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
      this.image?.apply(entry);
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

  /** The epoch start committed: this leader is now the active controller. */
  private activate(): void {
    this.active = true;
    this.activatedAt = this.ctx.trueNow();
    this.image = MetadataImage.replay(this.log);
    this.options.stats.controllerElections++;
    this.ctx.note('became-controller', { epoch: this.data.epoch, metadataOffset: this.logEnd });
    // A new active controller gives every registered broker a fresh session.
    const now = this.ctx.trueNow();
    for (const [broker, b] of this.image.brokers) if (!b.fenced) this.sessions.set(broker, now);
    this.scheduleFenceCheck();
    this.topicsCreated = this.options.topics.every((t) => this.image!.partitions.has(`${t.topic}-0`));
    if (!this.topicsCreated) this.ctx.setTimer(this.config.brokerSessionTimeout, 'qc-create-topics');
    if (this.config.autoLeaderRebalance) this.ctx.setTimer(this.config.leaderImbalanceCheckInterval, 'qc-leader-rebalance', this.data.epoch);
  }

  private notController(): boolean {
    return !this.active || this.role !== 'leader';
  }

  private topicOf(name: string): TopicAssignment | undefined {
    return this.options.topics.find((t) => t.topic === name);
  }

  /**
   * The scenario's topics (CreateTopics at start-up): once every broker is registered and
   * unfenced (or broker.session.timeout.ms after activation, with those that are), one
   * PartitionRecord per partition: leader the first unfenced replica, ISR the unfenced replicas.
   */
  private createTopics(): void {
    const image = this.image!;
    this.topicsCreated = true;
    const records: MetadataRecord[] = [];
    for (const topic of this.options.topics) {
      topic.partitions.forEach((replicas, partition) => {
        if (image.partitions.has(`${topic.topic}-${partition}`)) return;
        const isr = replicas.filter((r) => image.isUnfenced(r));
        const state: PartitionState = { topic: topic.topic, partition, replicas, leader: isr[0] ?? null, leaderEpoch: 0, isr, partitionEpoch: 0 };
        records.push({ type: 'PartitionRecord', state });
      });
    }
    if (records.length > 0) {
      this.ctx.note('topics-created', { partitions: records.length });
      this.appendEntries(records);
    }
  }

  private onBrokerRegistration(from: string, request: BrokerRegistration): void {
    const reply = (error: 'NONE' | 'NOT_CONTROLLER' | 'DUPLICATE_BROKER_REGISTRATION', brokerEpoch: number) => sendKraft(this.ctx, from, {
      type: 'BrokerRegistrationResponse', id: request.id, error, brokerEpoch, leader: this.leader,
    });
    if (this.notController()) return reply('NOT_CONTROLLER', -1);
    const image = this.image!;
    const existing = image.brokers.get(request.broker);
    const now = this.ctx.trueNow();
    if (existing && existing.incarnation !== request.incarnation && this.hasSession(request.broker, now)) {
      this.ctx.note('duplicate-broker-registration', { broker: request.broker });
      return reply('DUPLICATE_BROKER_REGISTRATION', -1);
    }
    const records: MetadataRecord[] = [];
    if (existing && !existing.fenced) records.push(...this.fencingRecords(request.broker, existing.brokerEpoch));
    records.push({ type: 'RegisterBrokerRecord', broker: request.broker, incarnation: request.incarnation, brokerEpoch: -1 });
    this.sessions.set(request.broker, now);
    const brokerEpoch = this.logEnd + records.length - 1;
    this.appendEntries(records, () => reply('NONE', brokerEpoch));
  }

  private hasSession(broker: string, now: Micros): boolean {
    const last = this.sessions.get(broker);
    return last !== undefined && now - last < this.config.brokerSessionTimeout;
  }

  private onBrokerHeartbeat(from: string, request: BrokerHeartbeat): void {
    const reply = (error: 'NONE' | 'NOT_CONTROLLER' | 'STALE_BROKER_EPOCH', fenced: boolean) => sendKraft(this.ctx, from, {
      type: 'BrokerHeartbeatResponse', id: request.id, error, isCaughtUp: !fenced, isFenced: fenced, leader: this.leader,
    });
    if (this.notController()) return reply('NOT_CONTROLLER', true);
    const image = this.image!;
    const registration = image.brokers.get(request.broker);
    if (!registration || registration.brokerEpoch !== request.brokerEpoch) return reply('STALE_BROKER_EPOCH', true);
    const now = this.ctx.trueNow();
    if (registration.fenced) {
      // Unfenced once it has caught up with the metadata log to its own registration (KIP-631).
      if (request.currentMetadataOffset <= registration.brokerEpoch) return reply('NONE', true);
      this.sessions.set(request.broker, now);
      const records: MetadataRecord[] = [{ type: 'BrokerRegistrationChangeRecord', broker: request.broker, brokerEpoch: registration.brokerEpoch, fenced: false }];
      const live = (b: string) => b === request.broker || image.isUnfenced(b);
      for (const state of image.partitions.values()) {
        if (state.leader !== null || !state.replicas.includes(request.broker)) continue;
        const result = electPartitionLeader(state, live, this.topicOf(state.topic)?.uncleanLeaderElection ?? this.config.uncleanLeaderElection);
        if (result) {
          reportElection(this.ctx, this.options.stats, state, result, false);
          records.push({ type: 'PartitionChangeRecord', state: result.state });
        }
      }
      this.ctx.note('broker-unfenced', { broker: request.broker, brokerEpoch: registration.brokerEpoch });
      this.appendEntries(records, () => reply('NONE', false));
      this.scheduleFenceCheck();
      if (!this.topicsCreated && this.options.brokers.every((b) => image.isUnfenced(b))) this.createTopics();
      return;
    }
    this.sessions.set(request.broker, now);
    reply('NONE', false);
  }

  /** Records that fence a broker: its registration fenced, its leaderships moved, it leaves every ISR. */
  private fencingRecords(broker: string, brokerEpoch: number): MetadataRecord[] {
    const image = this.image!;
    const records: MetadataRecord[] = [{ type: 'BrokerRegistrationChangeRecord', broker, brokerEpoch, fenced: true }];
    const dead = (b: string) => b === broker;
    const live = (b: string) => b !== broker && image.isUnfenced(b);
    const unclean = (t: string) => this.topicOf(t)?.uncleanLeaderElection ?? this.config.uncleanLeaderElection;
    for (const { before, result } of partitionChangesOnFailure([...image.partitions.values()], dead, live, unclean, false)) {
      if (before.leader === broker) reportElection(this.ctx, this.options.stats, before, result, false);
      records.push({ type: 'PartitionChangeRecord', state: result.state });
    }
    return records;
  }

  private scheduleFenceCheck(): void {
    if (this.fenceTimer !== null || !this.active) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [broker, last] of this.sessions) if (this.image!.isUnfenced(broker)) earliest = Math.min(earliest, last + this.config.brokerSessionTimeout);
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.fenceTimer = this.ctx.setTimer(Math.max(0, earliest - this.ctx.trueNow()), 'qc-fence-stale-brokers');
  }

  private fenceStaleBrokers(): void {
    if (this.notController()) return;
    const image = this.image!;
    const now = this.ctx.trueNow();
    for (const broker of image.unfencedBrokers()) {
      const last = this.sessions.get(broker) ?? this.activatedAt;
      if (now - last < this.config.brokerSessionTimeout) continue;
      const registration = image.brokers.get(broker)!;
      this.ctx.note('broker-fenced', { broker, brokerEpoch: registration.brokerEpoch, sinceHeartbeatMs: (now - last) / 1000 });
      this.sessions.delete(broker);
      this.appendEntries(this.fencingRecords(broker, registration.brokerEpoch));
    }
    this.scheduleFenceCheck();
  }

  private onAlterPartition(from: string, request: AlterPartition): void {
    const reply = (response: Omit<AlterPartitionResponse, 'type' | 'topic' | 'partition'>) => {
      const message: AlterPartitionResponse = { type: 'AlterPartitionResponse', topic: request.topic, partition: request.partition, ...response };
      this.ctx.send(from, message, KRAFT_HEADER_BYTES);
    };
    if (this.notController()) return reply({ error: 'NOT_LEADER_OR_FOLLOWER' });
    const image = this.image!;
    const state = image.partitions.get(`${request.topic}-${request.partition}`);
    const checked = validateAlterPartition(state, request, (b) => image.isUnfenced(b));
    if (checked.error !== 'NONE' || !state) return reply({ error: checked.error, ...(checked.state ? { state: checked.state } : {}) });
    const next = checked.state;
    this.appendEntries([{ type: 'PartitionChangeRecord', state: next }], () => reply({ error: 'NONE', state: next }));
  }

  private onAllocateProducerIds(from: string, request: AllocateProducerIds): void {
    if (this.notController()) {
      sendKraft(this.ctx, from, { type: 'AllocateProducerIdsResponse', error: 'NOT_CONTROLLER', first: -1, count: 0 });
      return;
    }
    const first = this.image!.nextProducerId;
    const count = 1000;
    this.appendEntries([{ type: 'ProducerIdsRecord', broker: request.broker, nextProducerId: first + count }], () => {
      sendKraft(this.ctx, from, { type: 'AllocateProducerIdsResponse', error: 'NONE', first, count });
    });
  }

  /**
   * CreatePartitions (forwarded by a broker, KIP-590): one PartitionRecord per new partition,
   * leader the first unfenced replica, ISR the unfenced replicas; answered once committed.
   */
  private onCreatePartitions(from: string, request: CreatePartitions): void {
    const reply = (error: KafkaError, message?: string) => {
      const response: CreatePartitionsResponse = { type: 'CreatePartitionsResponse', id: request.id, error, ...(message !== undefined ? { message } : {}) };
      this.ctx.send(from, response, KRAFT_HEADER_BYTES);
    };
    if (this.notController()) return reply('NOT_CONTROLLER');
    const image = this.image!;
    if (!this.topicOf(request.topic)) return reply('UNKNOWN_TOPIC_OR_PARTITION');
    let current = 0;
    while (image.partitions.has(`${request.topic}-${current}`)) current++;
    if (request.count <= current) return reply('INVALID_PARTITIONS', `Topic currently has ${current} partitions, ${request.count} would not increase the count.`);
    if (request.assignments.length !== request.count - current) return reply('INVALID_PARTITIONS', `${request.count - current} new partitions need ${request.count - current} replica assignments.`);
    const records: MetadataRecord[] = request.assignments.map((assigned, i) => {
      const replicas = [...assigned];
      const isr = replicas.filter((r) => image.isUnfenced(r));
      return { type: 'PartitionRecord', state: { topic: request.topic, partition: current + i, replicas, leader: isr[0] ?? null, leaderEpoch: 0, isr, partitionEpoch: 0 } };
    });
    this.ctx.note('partitions-created', { topic: request.topic, from: current, to: request.count });
    this.appendEntries(records, () => reply('NONE'));
  }

  private rebalanceLeaders(): void {
    if (this.notController()) return;
    const image = this.image!;
    const changed = preferredLeaderElections(image.partitions.values(), (b) => image.isUnfenced(b), this.config.leaderImbalancePercentage);
    for (const next of changed) {
      this.ctx.note('preferred-leader-elected', { partition: `${next.topic}-${next.partition}`, leader: next.leader, leaderEpoch: next.leaderEpoch });
    }
    if (changed.length > 0) this.appendEntries(changed.map((state) => ({ type: 'PartitionChangeRecord', state })));
    this.ctx.setTimer(this.config.leaderImbalanceCheckInterval, 'qc-leader-rebalance', this.data.epoch);
  }

  /** For tests and the invariant checker: the node's Raft view. */
  inspect(): { role: Role; epoch: number; leader: string | null; logEnd: number; highWatermark: number; active: boolean; log: readonly MetadataEntry[] } {
    return { role: this.role, epoch: this.data.epoch, leader: this.leader, logEnd: this.logEnd, highWatermark: this.highWatermark, active: this.active, log: this.data.log };
  }
}
