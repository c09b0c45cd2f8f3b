import type { DiskFile } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import { unreachable } from '../../../sim/timers.js';
import type { RabbitNote } from '../notes.js';

/**
 * Raft for one quorum queue member (RabbitMQ runs quorum queues on Ra, its Raft library; this
 * is the algorithm of the Raft paper, with Ra's names where they exist). A member is one of the
 * queue's replicas on one broker node; the broker owns it, routes its messages and timers to it,
 * and gives it the state machine to apply committed commands to (quorum/fifo.ts).
 *
 * - Terms, a persisted `currentTerm` and `votedFor`: written to the member's log file and fsynced
 *   before a vote is granted or a higher term acted on.
 * - Leader election: a follower that hears nothing from a leader for its election timeout
 *   (randomized in [timeout, 2 x timeout) from the node's random stream, drawn anew each time)
 *   becomes a candidate, votes for itself and asks the others (`ra.request_vote`). A vote goes
 *   only to a candidate whose log is at least as up to date (last term, then last index) as the
 *   voter's, so a new leader always holds every committed entry. A majority of votes makes a
 *   leader, which appends a no-op of its term at once (committing it commits everything before).
 * - Log replication: the leader sends `ra.append_entries` (prev index/term, entries, its commit
 *   index) to each follower, at most one batch in flight each, and an empty one every heartbeat;
 *   a follower whose log does not match at prev answers false with its last index so the leader
 *   backs up; a matching follower drops any conflicting suffix (a `truncate` record), appends,
 *   fsyncs, and only then answers success with its match index.
 * - Commit: the highest index stored (fsynced) on a majority, counting the leader's own fsynced
 *   index, whose entry is of the leader's current term. Every member applies committed entries in
 *   order to its copy of the state machine; only the leader performs the side effects
 *   (confirms, deliveries, dead letters).
 * - A restarted member rebuilds term, vote and log from what its file kept (what was fsynced, for
 *   a machine crash); its commit index starts at 0 and is learned again from a leader.
 */

export type RaftRole = 'follower' | 'candidate' | 'leader';

/** Ra's DEFAULT_BROADCAST_TIME (100 ms; RabbitMQ leaves it) and DEFAULT_ELECTION_MULT (5), which size its election timeouts. */
export const RA_BROADCAST_TIME: Micros = 100_000;
export const RA_ELECTION_MULT = 5;

export interface LogEntry<C> {
  readonly term: number;
  readonly cmd: C;
}

export type RaftRecord<C> =
  | { readonly t: 'meta'; readonly term: number; readonly votedFor: string | null }
  | { readonly t: 'entry'; readonly index: number; readonly term: number; readonly cmd: C }
  | { readonly t: 'truncate'; readonly from: number };

export interface AppendEntries<C> {
  readonly type: 'ra.append_entries';
  readonly queue: string;
  readonly term: number;
  readonly leader: string;
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly LogEntry<C>[];
  readonly leaderCommit: number;
}
export interface AppendEntriesReply {
  readonly type: 'ra.append_entries_reply';
  readonly queue: string;
  readonly term: number;
  readonly success: boolean;
  /** On success the follower's match index; on failure its last index (where the leader backs up to). */
  readonly index: number;
}
export interface RequestVote {
  readonly type: 'ra.request_vote';
  readonly queue: string;
  readonly term: number;
  readonly candidate: string;
  readonly lastIndex: number;
  readonly lastTerm: number;
}
export interface RequestVoteReply {
  readonly type: 'ra.request_vote_reply';
  readonly queue: string;
  readonly term: number;
  readonly granted: boolean;
}
/** Leadership transfer (Raft thesis 3.10, Ra's transfer_leadership): the leader tells an up-to-date follower to start an election now. */
export interface TimeoutNow {
  readonly type: 'ra.timeout_now';
  readonly queue: string;
  readonly term: number;
}
export type RaftMessage<C> = AppendEntries<C> | AppendEntriesReply | RequestVote | RequestVoteReply | TimeoutNow;


export interface RaftTiming {
  /** The base election timeout; each wait is drawn uniformly in [electionTimeout, 2 x electionTimeout). */
  electionTimeout: Micros;
  /** How often a leader sends (empty) append_entries to each follower. */
  heartbeat: Micros;
  /** Most entries in one append_entries. */
  maxBatch: number;
}

/** What a member needs from its broker: the network, timers, randomness, the disk, and the state machine. */
export interface RaftHost<C> {
  send(to: string, message: RaftMessage<C>, bytes: number): void;
  /** Calls member.onTimer(kind) after delay (unless the broker is gone); returns a handle for cancel. */
  setTimer(delay: Micros, kind: 'election' | 'heartbeat'): unknown;
  cancelTimer(handle: unknown): void;
  /** Uniform in [0, 1) from the member's own stream. */
  random(): number;
  readonly file: DiskFile<RaftRecord<C>>;
  fsync(done: () => void): void;
  /** Applies a committed command; `leader` says whether this member performs side effects. */
  apply(index: number, cmd: C, leader: boolean): void;
  /** Role or leader changed (a new term's leader known, this member elected, stepped down). */
  onRoleChange(role: RaftRole, term: number, leader: string | null): void;
  note(what: RabbitNote, detail: Record<string, unknown>): void;
  /** The command a new leader appends at the start of its term. */
  noop(): C;
  /** Size on the wire and on disk of a command. */
  bytes(cmd: C): number;
}

export class RaftMember<C> {
  role: RaftRole = 'follower';
  term = 0;
  votedFor: string | null = null;
  leader: string | null = null;
  /** log[i - 1] is the entry at index i. */
  readonly log: LogEntry<C>[] = [];
  commitIndex = 0;
  lastApplied = 0;
  /** Highest index this member has fsynced. */
  durableIndex = 0;
  /** As leader: the index of this term's no-op (entries before it were a previous leader's to act on). */
  leaderSince = 0;
  private votes = new Set<string>();
  private readonly nextIndex = new Map<string, number>();
  private readonly matchIndex = new Map<string, number>();
  private readonly inflight = new Map<string, boolean>();
  private electionTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  /** Appends not yet fsynced: (index written, then what to do). */
  private syncing = false;
  private syncedTo = 0;
  private readonly afterSync: { upTo: number; done: () => void }[] = [];
  private stopped = false;
  /** A leadership transfer to this member is under way: no new commands. */
  private transferring: string | null = null;

  constructor(
    readonly queue: string,
    readonly self: string,
    readonly members: readonly string[],
    private readonly timing: RaftTiming,
    private readonly host: RaftHost<C>,
  ) {}

  get lastIndex(): number {
    return this.log.length;
  }

  get lastTerm(): number {
    return this.log.length === 0 ? 0 : this.log[this.log.length - 1]!.term;
  }

  private termAt(index: number): number {
    return index === 0 ? 0 : (this.log[index - 1]?.term ?? -1);
  }

  private get majority(): number {
    return Math.floor(this.members.length / 2) + 1;
  }

  private get peers(): string[] {
    return this.members.filter((m) => m !== this.self);
  }

  /** Starts the member: rebuilds from its file (after a restart) and arms the election timer. */
  start(restarted: boolean, initialLeader: string | null): void {
    if (restarted) {
      for (const record of this.host.file.records) {
        if (record.t === 'meta') {
          this.term = record.term;
          this.votedFor = record.votedFor;
        } else if (record.t === 'entry') {
          this.log.length = record.index - 1;
          this.log.push({ term: record.term, cmd: record.cmd });
        } else {
          this.log.length = Math.min(this.log.length, record.from - 1);
        }
      }
      this.durableIndex = this.log.length;
      this.syncedTo = this.log.length;
      this.host.note('ra-recovered', { queue: this.queue, term: this.term, lastIndex: this.lastIndex });
    }
    if (!restarted && initialLeader === this.self) {
      // The declaring node's member starts the first election at once (as a new queue's does).
      this.startElection();
      return;
    }
    this.resetElectionTimer();
  }

  /** The broker is going away (pause, restart of the app): no more timers or messages. */
  stop(): void {
    this.stopped = true;
    this.host.cancelTimer(this.electionTimer);
    this.host.cancelTimer(this.heartbeatTimer);
  }

  onTimer(kind: 'election' | 'heartbeat'): void {
    if (this.stopped) return;
    switch (kind) {
      case 'election':
        this.electionTimer = null;
        if (this.role !== 'leader') this.startElection();
        return;
      case 'heartbeat':
        return this.onHeartbeatTimer();
      default:
        return unreachable(kind, 'raft timer');
    }
  }

  private onHeartbeatTimer(): void {
    this.heartbeatTimer = null;
    if (this.role !== 'leader') return;
    for (const peer of this.peers) {
      this.inflight.set(peer, false);
      this.sendAppend(peer, true);
    }
    this.heartbeatTimer = this.host.setTimer(this.timing.heartbeat, 'heartbeat');
  }

  /**
   * Leadership transfer before the node stops (Raft thesis 3.10): the leader takes no more
   * commands, picks the follower that has the most of its log (the first in member order on a
   * tie), brings it up to date and then tells it to elect itself now (`ra.timeout_now`).
   * Returns the chosen follower, or null when this member does not lead.
   */
  transferLeadership(): string | null {
    if (this.stopped || this.role !== 'leader') return null;
    let target: string | null = null;
    for (const p of this.peers) if (target === null || (this.matchIndex.get(p) ?? 0) > (this.matchIndex.get(target) ?? 0)) target = p;
    if (target === null) return null;
    this.transferring = target;
    this.host.note('ra-transfer-leadership', { queue: this.queue, from: this.self, to: target, term: this.term });
    this.maybeTimeoutNow();
    return target;
  }

  /** The transfer target has the whole log: it may elect itself. */
  private maybeTimeoutNow(): void {
    const target = this.transferring;
    if (target === null || this.role !== 'leader' || (this.matchIndex.get(target) ?? 0) < this.lastIndex) return;
    this.host.send(target, { type: 'ra.timeout_now', queue: this.queue, term: this.term }, 48);
  }

  /** A command from a client (via the broker): appended when leader. Returns its index, or 0 when not leader. */
  propose(cmd: C): number {
    if (this.stopped || this.role !== 'leader' || this.transferring !== null) return 0;
    return this.appendAsLeader(cmd);
  }

  receive(from: string, message: RaftMessage<C>): void {
    if (this.stopped) return;
    if (message.term > this.term) {
      const leader = message.type === 'ra.append_entries' ? message.leader : null;
      this.becomeFollower(message.term, leader);
    }
    switch (message.type) {
      case 'ra.request_vote':
        return this.onRequestVote(from, message);
      case 'ra.request_vote_reply':
        return this.onVoteReply(from, message);
      case 'ra.append_entries':
        return this.onAppend(from, message);
      case 'ra.append_entries_reply':
        return this.onAppendReply(from, message);
      case 'ra.timeout_now':
        // The leader hands over: elect at once, without waiting for an election timeout.
        if (message.term === this.term && this.role === 'follower') this.startElection();
        return;
      default:
        return unreachable(message, 'raft message');
    }
  }

  // ------------------------------------------------------------------ election

  /**
   * Ra's follower monitors its leader's process; the monitor fires with `noconnection` when the
   * distribution connection to the leader's node closes (its process was killed: the kernel reset
   * the connection; or net_ticktime gave it up). The follower then waits Ra's `short` election
   * timeout, broadcast_time + uniform(5 x broadcast_time) (100 ms + 1..500 ms), not the silence.
   */
  leaderNodeDown(node: string): void {
    if (this.stopped || this.role !== 'follower' || this.leader !== node) return;
    this.host.cancelTimer(this.electionTimer);
    // rand:uniform(N) is a whole number of milliseconds in 1..N.
    const spreadMs = RA_ELECTION_MULT * (RA_BROADCAST_TIME / 1000);
    const wait = RA_BROADCAST_TIME + (1 + Math.floor(spreadMs * this.host.random())) * 1000;
    this.electionTimer = this.host.setTimer(wait, 'election');
  }

  private resetElectionTimer(): void {
    this.host.cancelTimer(this.electionTimer);
    const t = this.timing.electionTimeout;
    this.electionTimer = this.host.setTimer(Math.round(t + t * this.host.random()), 'election');
  }

  private startElection(): void {
    this.role = 'candidate';
    this.term++;
    this.votedFor = this.self;
    this.leader = null;
    this.votes = new Set([this.self]);
    this.host.note('ra-election', { queue: this.queue, candidate: this.self, term: this.term });
    this.host.onRoleChange('candidate', this.term, null);
    const term = this.term;
    this.persistMeta(() => {
      if (this.stopped || this.term !== term || this.role !== 'candidate') return;
      if (this.votes.size >= this.majority) return this.becomeLeader();
      for (const peer of this.peers) {
        this.host.send(peer, {
          type: 'ra.request_vote', queue: this.queue, term, candidate: this.self, lastIndex: this.lastIndex, lastTerm: this.lastTerm,
        }, 64);
      }
    });
    this.resetElectionTimer();
  }

  private onRequestVote(from: string, m: RequestVote): void {
    const upToDate = m.lastTerm > this.lastTerm || (m.lastTerm === this.lastTerm && m.lastIndex >= this.lastIndex);
    const grant = m.term === this.term && upToDate && (this.votedFor === null || this.votedFor === m.candidate);
    if (!grant) {
      this.host.send(from, { type: 'ra.request_vote_reply', queue: this.queue, term: this.term, granted: false }, 48);
      return;
    }
    this.votedFor = m.candidate;
    this.resetElectionTimer();
    const term = this.term;
    // The vote is on disk before it is given.
    this.persistMeta(() => {
      if (this.stopped) return;
      this.host.send(from, { type: 'ra.request_vote_reply', queue: this.queue, term, granted: true }, 48);
    });
  }

  private onVoteReply(from: string, m: RequestVoteReply): void {
    if (this.role !== 'candidate' || m.term !== this.term || !m.granted) return;
    this.votes.add(from);
    if (this.votes.size >= this.majority) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.self;
    this.host.cancelTimer(this.electionTimer);
    this.electionTimer = null;
    for (const peer of this.peers) {
      this.nextIndex.set(peer, this.lastIndex + 1);
      this.matchIndex.set(peer, 0);
      this.inflight.set(peer, false);
    }
    this.host.note('ra-leader-elected', { queue: this.queue, leader: this.self, term: this.term, lastIndex: this.lastIndex });
    this.host.onRoleChange('leader', this.term, this.self);
    this.leaderSince = this.appendAsLeader(this.host.noop());
    this.host.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = this.host.setTimer(this.timing.heartbeat, 'heartbeat');
  }

  private becomeFollower(term: number, leader: string | null): void {
    const was = this.role;
    this.transferring = null;
    const changed = term !== this.term || leader !== this.leader || was !== 'follower';
    this.term = term;
    this.role = 'follower';
    this.votedFor = null;
    this.leader = leader;
    this.host.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.persistMeta(() => undefined);
    if (was === 'leader') this.host.note('ra-step-down', { queue: this.queue, node: this.self, term });
    if (changed) this.host.onRoleChange('follower', term, leader);
    this.resetElectionTimer();
  }

  private persistMeta(done: () => void): void {
    this.host.file.append({ t: 'meta', term: this.term, votedFor: this.votedFor }, 32);
    this.host.fsync(done);
  }

  // ------------------------------------------------------------------ replication

  private appendAsLeader(cmd: C): number {
    this.log.push({ term: this.term, cmd });
    const index = this.log.length;
    this.host.file.append({ t: 'entry', index, term: this.term, cmd }, this.host.bytes(cmd));
    this.sync(index, () => this.advanceCommit());
    for (const peer of this.peers) if (!this.inflight.get(peer)) this.sendAppend(peer, false);
    return index;
  }

  /** fsyncs the log (one fsync covers every append before it); `done` runs once index is durable. */
  private sync(index: number, done: () => void): void {
    if (index <= this.syncedTo) {
      done();
      return;
    }
    this.afterSync.push({ upTo: index, done });
    if (this.syncing) return;
    this.syncing = true;
    const target = this.log.length;
    this.host.fsync(() => this.onSynced(target));
  }

  private onSynced(target: number): void {
    this.syncing = false;
    if (this.stopped) return;
    this.syncedTo = Math.max(this.syncedTo, Math.min(target, this.log.length));
    this.durableIndex = this.syncedTo;
    const ready = this.afterSync.filter((w) => w.upTo <= this.syncedTo);
    const rest = this.afterSync.filter((w) => w.upTo > this.syncedTo);
    this.afterSync.length = 0;
    this.afterSync.push(...rest);
    for (const w of ready) w.done();
    if (rest.length > 0 && !this.syncing) {
      this.syncing = true;
      const next = this.log.length;
      this.host.fsync(() => this.onSynced(next));
    }
  }

  private sendAppend(peer: string, heartbeat: boolean): void {
    const next = this.nextIndex.get(peer) ?? this.lastIndex + 1;
    const prevIndex = next - 1;
    const entries = this.log.slice(prevIndex, prevIndex + this.timing.maxBatch);
    if (entries.length === 0 && !heartbeat) return;
    this.inflight.set(peer, entries.length > 0);
    let bytes = 64;
    for (const e of entries) bytes += this.host.bytes(e.cmd);
    this.host.send(peer, {
      type: 'ra.append_entries', queue: this.queue, term: this.term, leader: this.self, prevIndex, prevTerm: this.termAt(prevIndex),
      entries, leaderCommit: this.commitIndex,
    }, bytes);
  }

  private onAppend(from: string, m: AppendEntries<C>): void {
    if (m.term < this.term) {
      this.host.send(from, { type: 'ra.append_entries_reply', queue: this.queue, term: this.term, success: false, index: this.lastIndex }, 48);
      return;
    }
    if (this.role !== 'follower' || this.leader !== m.leader) {
      this.role = 'follower';
      this.leader = m.leader;
      this.host.cancelTimer(this.heartbeatTimer);
      this.heartbeatTimer = null;
      this.host.onRoleChange('follower', this.term, m.leader);
    }
    this.resetElectionTimer();
    if (m.prevIndex > this.lastIndex || this.termAt(m.prevIndex) !== m.prevTerm) {
      const hint = Math.min(this.lastIndex, Math.max(0, m.prevIndex - 1));
      this.host.send(from, { type: 'ra.append_entries_reply', queue: this.queue, term: this.term, success: false, index: hint }, 48);
      return;
    }
    let index = m.prevIndex;
    let truncated = false;
    for (const entry of m.entries) {
      index++;
      if (index <= this.lastIndex) {
        if (this.termAt(index) === entry.term) continue;
        // A conflicting suffix (entries of a deposed leader, never committed) goes.
        this.log.length = index - 1;
        this.host.file.append({ t: 'truncate', from: index }, 16);
        this.syncedTo = Math.min(this.syncedTo, index - 1);
        this.durableIndex = Math.min(this.durableIndex, index - 1);
        truncated = true;
      }
      this.log.push(entry);
      this.host.file.append({ t: 'entry', index, term: entry.term, cmd: entry.cmd }, this.host.bytes(entry.cmd));
    }
    if (truncated) this.host.note('ra-truncate', { queue: this.queue, node: this.self, to: this.lastIndex });
    const match = index;
    const term = this.term;
    const leaderCommit = m.leaderCommit;
    this.sync(match, () => {
      if (this.stopped) return;
      this.host.send(from, { type: 'ra.append_entries_reply', queue: this.queue, term, success: true, index: match }, 48);
      // Only entries this member holds as the leader's are committed for it.
      if (term === this.term) this.commitTo(Math.min(leaderCommit, match));
    });
    if (m.entries.length === 0) this.commitTo(Math.min(m.leaderCommit, match, this.syncedTo));
  }

  private onAppendReply(from: string, m: AppendEntriesReply): void {
    if (this.role !== 'leader' || m.term !== this.term) return;
    this.inflight.set(from, false);
    if (m.success) {
      if (m.index > (this.matchIndex.get(from) ?? 0)) this.matchIndex.set(from, m.index);
      this.nextIndex.set(from, Math.max(this.nextIndex.get(from) ?? 1, m.index + 1));
      this.advanceCommit();
      if (from === this.transferring) this.maybeTimeoutNow();
    } else {
      this.nextIndex.set(from, Math.max(1, Math.min((this.nextIndex.get(from) ?? 1) - 1, m.index + 1)));
    }
    if ((this.nextIndex.get(from) ?? 1) <= this.lastIndex) this.sendAppend(from, false);
  }

  private advanceCommit(): void {
    if (this.role !== 'leader') return;
    const stored = [this.durableIndex, ...this.peers.map((p) => this.matchIndex.get(p) ?? 0)].sort((a, b) => b - a);
    const candidate = stored[this.majority - 1]!;
    if (candidate > this.commitIndex && this.termAt(candidate) === this.term) this.commitTo(candidate);
  }

  private commitTo(index: number): void {
    if (index <= this.commitIndex) return;
    this.commitIndex = Math.min(index, this.lastIndex);
    while (this.lastApplied < this.commitIndex && !this.stopped) {
      this.lastApplied++;
      this.host.apply(this.lastApplied, this.log[this.lastApplied - 1]!.cmd, this.role === 'leader');
    }
  }
}
