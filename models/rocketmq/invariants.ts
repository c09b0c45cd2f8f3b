import { SimulationError } from '../../sim/kernel.js';
import { formatTimestamp, type Micros } from '../../sim/time.js';
import type { BrokerController } from './broker/broker-controller.js';

/**
 * RocketMQ's store and replication invariants, checked after every step of every broker (each
 * request, timer and fsync completion it handles) when a scenario sets `cluster.invariants: true`:
 *
 * - FlushedWithinWritten: the commit log's flushed offset is at most its written (max) offset.
 * - ConfirmWithinCommitLog: the confirm offset (how far the dispatcher has confirmed records to
 *   the consume queues; a DLedger leader's commit point) is at most the commit log's max offset.
 * - ConsumeQueueWithinCommitLog: no consume queue entry points past the end of the commit log.
 * - ConsumerOffsetWithinQueue: on the broker taking writes, no group's committed offset of a queue
 *   is past that consume queue's max offset (the number of entries). A new DLedger leader's
 *   consume queues wait for its first commit while the offsets it copied from the old leader do
 *   not, so in a DLedger group the bound is the queue offset its log has reached.
 * - SlaveWithinMaster: a slave's commit log is never ahead of its master's, and its last record is
 *   the master's record at that offset (the same data). In a DLedger group: a follower's
 *   committed (dispatched) records end within the leader's log, on the leader's record.
 *
 * As in the real broker, a machine crash that loses unflushed commit log records breaks the last
 * two by design: consumers may have committed offsets past what survived (the broker answers them
 * PULL_OFFSET_MOVED), and a slave may hold records its master lost. This happens with ASYNC_FLUSH,
 * and in a DLedger group whose members crash together (a follower counts towards the commit
 * before it flushes, so a committed entry can be lost and a shorter log elected). A broker group
 * one of whose members came back from a restart with a shorter commit log than it had is "lossy":
 * its consumer offsets and its slave-vs-master relation are not asserted from then on.
 */

export type RocketInvariantName = 'FlushedWithinWritten' | 'ConfirmWithinCommitLog' | 'ConsumeQueueWithinCommitLog' | 'ConsumerOffsetWithinQueue' | 'SlaveWithinMaster';

export interface QueueView {
  readonly topic: string;
  readonly queueId: number;
  /** Entries in the queue: its max offset. */
  readonly length: number;
  /** Where the last entry's record ends in the commit log (phy + size), 0 when empty. */
  readonly lastEnd: number;
}

export interface RecordView {
  readonly phy: number;
  readonly size: number;
  readonly msg: string;
}

/** The part of one broker's state the invariants read (BrokerController through `viewOf`, or a test's hand-built state). */
export interface BrokerView {
  readonly node: string;
  readonly brokerName: string;
  /** The master (brokerId 0) or the DLedger leader. */
  readonly acceptsWrites: boolean;
  /** In a DLedger group: its current term, and `leaderTerm` the same when it is the leader, else null. */
  readonly dledger: boolean;
  readonly term: number;
  readonly leaderTerm: number | null;
  readonly maxPhy: number;
  readonly flushedPhy: number;
  readonly confirmPhy: number;
  queues(): Iterable<QueueView>;
  /** The max offset of a consume queue (0 when the broker has none). */
  queueLength(topic: string, queueId: number): number;
  /** Committed offsets: `topic@group@queueId` -> offset. */
  consumerOffsets(): Iterable<readonly [string, number]>;
  lastRecord(): RecordView | undefined;
  /** The last record the dispatcher confirmed (DLedger: committed), if any. */
  lastConfirmed(): RecordView | undefined;
  recordAt(phy: number): RecordView | undefined;
}

export interface RocketViolation {
  invariant: RocketInvariantName;
  node: string;
  message: string;
  state: Record<string, unknown>;
}

function brokerState(b: BrokerView): Record<string, unknown> {
  return { node: b.node, acceptsWrites: b.acceptsWrites, maxPhy: b.maxPhy, flushedPhy: b.flushedPhy, confirmPhy: b.confirmPhy };
}

/** The single-broker invariants. `lossy`: its group lost commit log records in a crash (see above). */
export function checkBroker(b: BrokerView, lossy = false): RocketViolation | null {
  const fail = (invariant: RocketInvariantName, message: string, extra: Record<string, unknown> = {}): RocketViolation => ({
    invariant, node: b.node, message, state: { ...brokerState(b), ...extra },
  });
  if (b.flushedPhy > b.maxPhy) return fail('FlushedWithinWritten', `flushed offset ${b.flushedPhy} is past the written offset ${b.maxPhy}`);
  if (b.confirmPhy > b.maxPhy) return fail('ConfirmWithinCommitLog', `confirm offset ${b.confirmPhy} is past the commit log's max offset ${b.maxPhy}`);
  for (const q of b.queues()) {
    if (q.lastEnd > b.maxPhy) {
      return fail('ConsumeQueueWithinCommitLog', `consume queue ${q.topic}/${q.queueId} has an entry ending at ${q.lastEnd}, past the commit log's max offset ${b.maxPhy}`, { queueLength: q.length });
    }
  }
  if (b.acceptsWrites && !lossy) {
    for (const [key, offset] of b.consumerOffsets()) {
      const first = key.indexOf('@');
      const last = key.lastIndexOf('@');
      const topic = key.slice(0, first);
      const queueId = Number(key.slice(last + 1));
      const max = b.queueLength(topic, queueId);
      if (offset > max) return fail('ConsumerOffsetWithinQueue', `consumer offset ${key} = ${offset} is past the consume queue's max offset ${max}`);
    }
  }
  return null;
}

/**
 * SlaveWithinMaster over one broker group's live members. Master/slave: every slave against the
 * master. DLedger: every follower's committed records against the leader of the highest term,
 * except a follower already in a newer term (that leader is a deposed one that has not heard yet).
 */
export function checkGroup(members: readonly BrokerView[]): RocketViolation | null {
  let master: BrokerView | undefined;
  for (const m of members) {
    if (!m.acceptsWrites) continue;
    if (!master || (m.leaderTerm ?? 0) > (master.leaderTerm ?? 0)) master = m;
  }
  if (!master) return null;
  for (const s of members) {
    if (s === master || (s.dledger && s.term > (master.leaderTerm ?? 0))) continue;
    const last = s.dledger ? s.lastConfirmed() : s.lastRecord();
    const end = last ? last.phy + last.size : 0;
    const fail = (message: string): RocketViolation => ({
      invariant: 'SlaveWithinMaster', node: s.node, message, state: { master: brokerState(master), slave: brokerState(s) },
    });
    if (!s.dledger && s.maxPhy > master.maxPhy) return fail(`slave ${s.node} has commit log up to ${s.maxPhy}, past its master ${master.node}'s ${master.maxPhy}`);
    if (!last) continue;
    if (end > master.maxPhy) return fail(`follower ${s.node} committed records up to ${end}, past leader ${master.node}'s log end ${master.maxPhy}`);
    const theirs = master.recordAt(last.phy);
    if (!theirs || theirs.msg !== last.msg || theirs.size !== last.size) {
      return fail(`${s.node} has ${last.msg || '(blank)'} at offset ${last.phy} where ${master.node} has ${theirs ? theirs.msg || '(blank)' : 'no record boundary'}`);
    }
  }
  return null;
}

/** A violated invariant stops the run: which one, on which broker, when, after which event, and the state. */
export class RocketInvariantViolation extends SimulationError {
  override name = 'InvariantViolation';
  constructor(readonly violation: RocketViolation, time: Micros, node: string, event: string) {
    super(
      `invariant ${violation.invariant} violated on ${violation.node} at ${formatTimestamp(time)}, after ${event} on ${node}: ${violation.message}\n`
      + `state: ${JSON.stringify(violation.state)}`,
      time, node, event,
    );
  }
}

/** What a broker calls after each step; absent when invariants are off, so the checks cost nothing. */
export interface RocketInvariantProbe {
  check(broker: BrokerController, event: string): void;
}

/** A BrokerController seen as a BrokerView (no copy: each read goes to the live state). */
export function viewOf(b: BrokerController): BrokerView {
  const store = b.store;
  const deferred = store.deferDispatch;
  const asRecord = (r: { phy: number; size: number; msg: string } | undefined): RecordView | undefined => r;
  return {
    node: b.ctx.name,
    brokerName: b.brokerName,
    acceptsWrites: b.acceptsWrites,
    dledger: b.dledger !== null,
    term: b.dledger?.term ?? 0,
    leaderTerm: b.dledger !== null && b.dledger.role === 'leader' ? b.dledger.term : null,
    maxPhy: store.maxPhy,
    flushedPhy: flushedOffset(b),
    confirmPhy: Math.max(
      deferred ? endOf(store.records[store.dispatched - 1]) : store.maxPhy,
      b.dledger !== null && b.dledger.role === 'leader' ? b.dledger.commitPhy : 0,
    ),
    queues: function* () {
      for (const cq of store.queues.values()) {
        const lastEntry = cq.file.records[cq.length - 1];
        yield { topic: cq.topic, queueId: cq.queueId, length: cq.length, lastEnd: endOf(lastEntry) };
      }
    },
    queueLength: (topic, queueId) => {
      let next = store.findQueue(topic, queueId)?.length ?? 0;
      if (b.dledger === null) return next;
      // Records in the log not dispatched yet (uncommitted as far as this member knows) count too.
      for (let i = store.dispatched; i < store.records.length; i++) {
        const r = store.records[i]!;
        if (!r.blank && r.topic === topic && r.queueId === queueId) next = Math.max(next, r.queueOffset + 1);
      }
      return next;
    },
    consumerOffsets: () => b.offsets.table.entries(),
    lastRecord: () => asRecord(store.records[store.records.length - 1]),
    lastConfirmed: () => asRecord(deferred ? store.records[store.dispatched - 1] : store.records[store.records.length - 1]),
    recordAt: (phy) => asRecord(store.lookup(phy)),
  };
}

function endOf(r: { phy: number; size: number } | undefined): number {
  return r ? r.phy + r.size : 0;
}

/** The commit log's flushed offset: where the durable records of the first not wholly durable mapped file end. */
function flushedOffset(b: BrokerController): number {
  for (const f of b.store.files) {
    if (f.file.durableLength >= f.file.length) continue;
    return f.file.durableLength === 0 ? f.start : endOf(f.file.records[f.file.durableLength - 1]);
  }
  return b.store.maxPhy;
}

export interface RocketCheckerSource {
  now(): Micros;
  /** The live brokers of a group (crashed ones are absent). */
  groupMembers(brokerName: string): readonly BrokerController[];
}

/**
 * The checker a run uses: checks the stepping broker and its group after each step, follows
 * which brokers lost records in a crash, and throws a RocketInvariantViolation (a
 * SimulationError: the run stops) at the first violation.
 */
export class RocketInvariantChecker implements RocketInvariantProbe {
  checks = 0;
  /** Each broker's commit log end at its last step (read after a restart: did it come back shorter?). */
  private readonly lastMaxPhy = new Map<string, number>();
  /** Broker groups a member of which lost commit log records in a crash (see above). */
  private readonly lossyGroups = new Set<string>();

  constructor(private readonly source: RocketCheckerSource) {}

  check(broker: BrokerController, event: string): void {
    this.checks++;
    const node = broker.ctx.name;
    const view = viewOf(broker);
    this.lastMaxPhy.set(node, view.maxPhy);
    const lossy = this.lossyGroups.has(broker.brokerName);
    const violation = checkBroker(view, lossy) ?? (lossy ? null : checkGroup(this.source.groupMembers(broker.brokerName).map(viewOf)));
    if (violation) throw new RocketInvariantViolation(violation, this.source.now(), node, event);
  }

  /** After a broker's restart (its store recovered): a shorter commit log than before the crash lost records. */
  afterRestart(broker: BrokerController): void {
    const before = this.lastMaxPhy.get(broker.ctx.name) ?? 0;
    if (broker.store.maxPhy < before) this.lossyGroups.add(broker.brokerName);
  }
}
