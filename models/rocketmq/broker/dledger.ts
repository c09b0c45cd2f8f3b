import { DiskFullError, type DiskFile } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf } from '../../../sim/timers.js';
import { notes } from '../notes.js';
import { HEADER_BYTES, type DledgerAppend, type DledgerAppendAck, type DledgerVote, type DledgerVoteAck, type StoredMessage } from '../protocol.js';
import type { BrokerController, BrokerTimer } from './broker-controller.js';
import { HA_TRANSFER_BATCH_SIZE } from './ha-service.js';

/**
 * DLedger (enableDLegerCommitLog, 4.5+): the broker group is a Raft group (DLedgerServer) that
 * elects its master.
 *
 * - DLedgerLeaderElector: terms and votes (persisted in dledger/term), a heartbeat from the leader
 *   every heartBeatTimeIntervalMs (2 s), an election after maxHeartBeatLeak (3) missed ones; a
 *   vote goes to a candidate whose log is at least as up to date.
 * - The leader registers as brokerId 0 and takes writes (the controller's master services start);
 *   a leader that sees a higher term steps down.
 * - DLedgerEntryPusher: the leader sends each follower its missing entries (DLEDGER_APPEND,
 *   32 KiB at a time, one in flight); a follower truncates a tail the leader does not have.
 *   QuorumAckChecker: the commit point is the offset a majority has; consume queues get
 *   committed entries only, and a put is answered SEND_OK once committed (commit-log.ts).
 */

/**
 * DLedgerConfig's timings, at their defaults (DLedger 0.3.1.2, the one RocketMQ 5.3.3 ships; the
 * same in 4.x): heartBeatTimeIntervalMs 2000, maxHeartBeatLeak 3, a candidate's next vote after
 * minVoteIntervalMs..maxVoteIntervalMs (300..1000 ms). Constants, not scenario keys: a broker
 * builds its DLedgerConfig in DLedgerCommitLog from MessageStoreConfig and copies only
 * dLegerGroup, dLegerPeers, dLegerSelfId, the store paths and sizes, preferredLeaderId and
 * enableBatchPush, so broker.conf cannot change these. The election check runs every 100 ms.
 */
const DLEDGER_HEARTBEAT: Micros = 2_000_000;
const DLEDGER_MAX_HEARTBEAT_LEAK = 3;
const DLEDGER_MIN_VOTE_INTERVAL: Micros = 300_000;
const DLEDGER_MAX_VOTE_INTERVAL: Micros = 1_000_000;
export const DLEDGER_TICK: Micros = 100_000;
const timers = timersOf<BrokerTimer>();

export type RaftRole = 'follower' | 'candidate' | 'leader';

export class DLedger {
  term = 0;
  private votedFor: string | null = null;
  role: RaftRole = 'follower';
  /** The leader this member follows (itself when leader), or null. */
  leader: string | null = null;
  private votes = new Set<string>();
  private lastLeaderContact: Micros = 0;
  private nextVoteAt: Micros = 0;
  private lastHeartbeat: Micros = 0;
  /** The commit point (leader): the offset a majority of the group has. */
  commitPhy = 0;
  private readonly peerState = new Map<string, { next: number; match: number; inFlight: boolean }>();

  constructor(private readonly b: BrokerController, private readonly termFile: DiskFile<{ term: number; votedFor: string | null }>) {}

  /** After the store's recovery: the persisted term and vote; the first election check. */
  start(restarted: boolean): void {
    const ctx = this.b.ctx;
    const last = this.termFile.records[this.termFile.length - 1];
    if (last) {
      this.term = last.term;
      this.votedFor = last.votedFor;
    }
    // A fresh group elects at once (after a random 0-1 s); a restarted member first waits for the leader's heartbeat.
    this.lastLeaderContact = restarted ? ctx.trueNow() : ctx.trueNow() - DLEDGER_HEARTBEAT * DLEDGER_MAX_HEARTBEAT_LEAK;
    this.nextVoteAt = ctx.trueNow() + ctx.random('election').int(1_000_000);
    timers.set(ctx, DLEDGER_TICK, 'dledger-tick', undefined);
  }

  private peers(): string[] {
    return this.b.o.groupNodes.filter((n) => n !== this.b.ctx.name);
  }

  private lastTerm(): number {
    const records = this.b.store.records;
    return records.length === 0 ? 0 : records[records.length - 1]!.term ?? 0;
  }

  private persistTerm(): void {
    this.b.writeConfig(this.termFile, { term: this.term, votedFor: this.votedFor }, 16);
  }

  /** Heartbeats (leader), or an election when the leader has been silent for 3 heartbeats. */
  tick(): void {
    const b = this.b;
    const now = b.ctx.trueNow();
    if (this.role === 'leader') {
      if (now - this.lastHeartbeat >= DLEDGER_HEARTBEAT) {
        this.lastHeartbeat = now;
        for (const peer of this.peers()) this.push(peer, true);
      }
      return;
    }
    if (now - this.lastLeaderContact < DLEDGER_HEARTBEAT * DLEDGER_MAX_HEARTBEAT_LEAK || now < this.nextVoteAt) return;
    // Candidate: a new term, a vote for itself, and a vote request to every peer.
    this.term++;
    this.role = 'candidate';
    this.votedFor = b.ctx.name;
    this.leader = null;
    this.votes = new Set([b.ctx.name]);
    this.persistTerm();
    this.nextVoteAt = now + DLEDGER_MIN_VOTE_INTERVAL + b.ctx.random('election').int(DLEDGER_MAX_VOTE_INTERVAL - DLEDGER_MIN_VOTE_INTERVAL);
    notes.note(b.ctx, 'dledger-candidate', { term: this.term });
    for (const peer of this.peers()) {
      const vote: DledgerVote = { type: 'DLEDGER_VOTE', term: this.term, lastPhy: b.store.maxPhy, lastTerm: this.lastTerm() };
      b.ctx.connect(peer);
      b.ctx.send(peer, vote, 64);
    }
    if (this.votes.size * 2 > b.o.groupNodes.length) this.becomeLeader();
  }

  onVote(from: string, v: DledgerVote): void {
    const b = this.b;
    if (v.term > this.term) this.becomeFollower(v.term, null);
    const mine = { lastTerm: this.lastTerm(), lastPhy: b.store.maxPhy };
    const upToDate = v.lastTerm > mine.lastTerm || (v.lastTerm === mine.lastTerm && v.lastPhy >= mine.lastPhy);
    const granted = v.term === this.term && (this.votedFor === null || this.votedFor === from) && upToDate;
    if (granted) {
      this.votedFor = from;
      this.persistTerm();
      this.lastLeaderContact = b.ctx.trueNow();
    }
    const ack: DledgerVoteAck = { type: 'DLEDGER_VOTE_ACK', term: this.term, granted };
    b.ctx.send(from, ack, 32);
  }

  onVoteAck(from: string, a: DledgerVoteAck): void {
    if (a.term > this.term) {
      this.becomeFollower(a.term, null);
      return;
    }
    if (this.role !== 'candidate' || a.term !== this.term || !a.granted) return;
    this.votes.add(from);
    if (this.votes.size * 2 > this.b.o.groupNodes.length) this.becomeLeader();
  }

  private becomeLeader(): void {
    const b = this.b;
    this.role = 'leader';
    this.leader = b.ctx.name;
    this.peerState.clear();
    for (const peer of this.peers()) this.peerState.set(peer, { next: b.store.maxPhy, match: 0, inFlight: false });
    b.o.stats.dledgerElections++;
    b.becameMaster();
    notes.note(b.ctx, 'dledger-leader', { term: this.term, maxPhy: b.store.maxPhy });
    b.o.onLeader?.(b.o.brokerName, b.ctx.name, this.term);
    this.lastHeartbeat = b.ctx.trueNow();
    for (const peer of this.peers()) this.push(peer, true);
    b.startMasterServices();
    b.registerAll();
  }

  private becomeFollower(term: number, leader: string | null): void {
    const b = this.b;
    const wasLeader = this.role === 'leader';
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
      this.persistTerm();
    }
    this.role = 'follower';
    this.leader = leader;
    if (wasLeader) {
      b.stoppedBeingMaster();
      notes.note(b.ctx, 'dledger-step-down', { term: this.term, leader });
      b.registerAll();
    }
  }

  /** After a put on the leader: every peer gets the new entries. */
  pushAll(): void {
    for (const peer of this.peers()) this.push(peer);
  }

  /** Leader: sends the peer its missing entries (32 KiB at a time, one append in flight), or a heartbeat. */
  private push(peer: string, heartbeat = false): void {
    if (this.role !== 'leader') return;
    const st = this.peerState.get(peer);
    if (!st) return;
    const store = this.b.store;
    const all = store.records;
    let from = store.indexAt(st.next);
    if (from < all.length && all[from]!.phy !== st.next) from = all.length; // not a boundary: send nothing, only prev
    let records: StoredMessage[] = [];
    if (!st.inFlight && st.next < store.maxPhy && from < all.length) {
      let to = from;
      let bytes = 0;
      while (to < all.length && (to === from || bytes + all[to]!.size <= HA_TRANSFER_BATCH_SIZE)) bytes += all[to++]!.size;
      records = all.slice(from, to);
      st.inFlight = true;
    } else if (!heartbeat) return;
    const prev = from > 0 ? all[from - 1] : undefined;
    const prevPhy = prev ? prev.phy + prev.size : 0;
    let bytes = HEADER_BYTES;
    for (const r of records) bytes += r.size;
    const append: DledgerAppend = { type: 'DLEDGER_APPEND', term: this.term, prevPhy, prevTerm: prev?.term ?? 0, records, commitPhy: this.commitPhy };
    this.b.ctx.connect(peer);
    this.b.ctx.send(peer, append, bytes);
  }

  /** Follower: entries (or a heartbeat) from the leader; answers with its end, or where to back up to. */
  onAppend(from: string, a: DledgerAppend): void {
    const b = this.b;
    const store = b.store;
    if (a.term < this.term) {
      this.ack(from, { type: 'DLEDGER_APPEND_ACK', term: this.term, ok: false, maxPhy: store.maxPhy, data: a.records.length > 0 });
      return;
    }
    if (a.term > this.term || this.role !== 'follower' || this.leader !== from) this.becomeFollower(a.term, from);
    this.lastLeaderContact = b.ctx.trueNow();
    const records = store.records;
    let ok = true;
    let hint = store.maxPhy;
    if (a.prevPhy > store.maxPhy) {
      ok = false;
    } else if (a.prevPhy > 0) {
      const i = store.indexAt(a.prevPhy) - 1;
      const prev = records[i];
      if (!prev || prev.phy + prev.size !== a.prevPhy || (prev.term ?? 0) !== a.prevTerm) {
        ok = false;
        hint = prev ? prev.phy : 0;
      }
    }
    if (ok && a.records.length > 0) {
      if (a.prevPhy < store.maxPhy) {
        const dropped = store.truncateTo(a.prevPhy);
        if (dropped > 0) notes.note(b.ctx, 'dledger-truncate', { from: a.prevPhy, records: dropped });
      }
      try {
        for (const record of a.records) store.appendReplica(record);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        notes.note(b.ctx, 'disk-full', { replica: true });
      }
    }
    // Raft: commit only up to the last entry known to match the leader's log (the appended entries, or a
    // heartbeat's prevPhy), never into a tail of this member's own that the leader has not confirmed.
    const matched = a.records.length > 0 ? store.maxPhy : a.prevPhy;
    if (ok) store.dispatchUpTo(Math.min(a.commitPhy, matched));
    this.ack(from, { type: 'DLEDGER_APPEND_ACK', term: this.term, ok, maxPhy: ok ? store.maxPhy : hint, data: a.records.length > 0 });
  }

  private ack(to: string, ack: DledgerAppendAck): void {
    this.b.ctx.send(to, ack, 32);
  }

  onAppendAck(from: string, a: DledgerAppendAck): void {
    if (a.term > this.term) {
      this.becomeFollower(a.term, null);
      return;
    }
    const st = this.peerState.get(from);
    if (this.role !== 'leader' || !st) return;
    // Only the answer to the append carrying entries ends the one in flight (a heartbeat's answer may come first).
    if (a.data || !a.ok) st.inFlight = false;
    if (a.ok) {
      st.match = Math.max(st.match, a.maxPhy);
      st.next = a.maxPhy;
      this.advanceCommit();
    } else st.next = Math.min(st.next, a.maxPhy);
    this.push(from);
  }

  /** QuorumAckChecker: the commit point is the offset a majority (the leader included) has. */
  advanceCommit(): void {
    if (this.role !== 'leader') return;
    const b = this.b;
    const acked = [b.store.maxPhy, ...[...this.peerState.values()].map((p) => p.match)].sort((x, y) => y - x);
    const quorum = acked[Math.floor(b.o.groupNodes.length / 2)]!;
    if (quorum > this.commitPhy) {
      this.commitPhy = quorum;
      b.store.dispatchUpTo(quorum);
      b.ha.resolve();
    }
  }

  /**
   * The RPC channel to `peer` closed (DLedgerRpcNettyService over rocketmq-remoting): the append in
   * flight to it failed at once instead of waiting for an answer, so the next push (the heartbeat)
   * sends from the peer's last known position again. Followers and candidates do nothing: the
   * election waits for maxHeartBeatLeak missed heartbeats whether the leader died or went silent.
   */
  onChannelClosed(peer: string): void {
    const st = this.peerState.get(peer);
    if (st) st.inFlight = false;
  }
}
