import { SimulationError } from '../../sim/kernel.js';
import { formatTimestamp, type Micros } from '../../sim/time.js';

/**
 * Kafka's replication invariants, after the published TLA+ specifications of Kafka's replication
 * protocol (KafkaReplication / the KIP-101 and KIP-279 models), checked over the model's state
 * after every control-plane change when a scenario sets `cluster.invariants: true`:
 *
 * - LeaderInIsr: the committed leader of a partition is a member of its committed ISR, and a
 *   broker acting as leader counts itself in its own ISR.
 * - StrongIsr: every live member of the committed ISR holds every committed record (each record
 *   below a high watermark some leader reached).
 * - NoCommittedLoss: the current leader holds every committed record.
 * - LogMatching: every live replica's log agrees with the committed log below its own high
 *   watermark, so any two replicas agree up to their common high watermark; and no two leaders
 *   ever commit different records at one offset.
 * - ConsumerBelowHw: a leader hands a consumer only records below its high watermark.
 *
 * "Committed" is ghost state the checker keeps per partition: the records below the high
 * watermark of every broker acting as leader, gathered whenever a leader's high watermark
 * advances (a null check on the hot path when the checker is off) and at each check.
 *
 * Which invariants hold depends on the configuration, as in Kafka itself:
 * - LeaderInIsr and ConsumerBelowHw hold in every configuration.
 * - StrongIsr, NoCommittedLoss and LogMatching hold only with unclean.leader.election.enable=false
 *   (an unclean leader outside the ISR lacks committed records, by design) and with leader-epoch
 *   truncation (inter.broker.protocol.version >= 0.11.0: with the old high-watermark truncation a
 *   follower cuts committed records off its log and replicas can diverge below their HWs, the
 *   KIP-101 cases). Under an unsafe configuration the checker only follows the committed log
 *   (it is rebased on the current leader when they disagree) so ConsumerBelowHw stays checked.
 * - They also assume a replica keeps what it wrote: a machine crash that loses a broker's page
 *   cache (unflushed records) breaks them for that broker's partitions. Such a replica is
 *   "tainted" from its restart until the committed ISR no longer names it; while a partition has
 *   a tainted ISR member, the three are not asserted for it (the unflushed-crash scenarios lose
 *   acknowledged records for exactly this reason), and the committed log is rebased afterwards.
 */

export type InvariantName = 'LeaderInIsr' | 'StrongIsr' | 'NoCommittedLoss' | 'LogMatching' | 'ConsumerBelowHw';

/** The part of a partition log the invariants read (PartitionLog satisfies it). */
export interface LogView {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  read(from: number, to: number, maxBytes: number): readonly { offset: number; epoch: number; msg: string }[];
}

/** A broker's replica of one partition. */
export interface ReplicaView {
  leader: string | null;
  leaderEpoch: number;
  isr: readonly string[];
  hw: number;
  log: LogView;
}

/** The committed control-plane state of a partition (ZooKeeper's znode, or the committed metadata log). */
export interface CommittedPartition {
  leader: string | null;
  leaderEpoch: number;
  isr: readonly string[];
}

/** The model state the invariants are stated over. */
export interface ReplicationView {
  partitions: Readonly<Record<string, CommittedPartition>>;
  replicasOf(partition: string): readonly string[];
  isUp(broker: string): boolean;
  replica(broker: string, partition: string): ReplicaView | undefined;
  /** Whether StrongIsr, NoCommittedLoss and LogMatching hold for the partition's configuration. */
  safe(partition: string): boolean;
  /** Brokers whose replica of the partition lost unflushed records in a crash (see above). */
  tainted(partition: string): ReadonlySet<string>;
}

export interface Violation {
  invariant: InvariantName;
  partition: string;
  message: string;
  /** The partition's state: committed, and each live replica's (LEO, HW, leader, epoch). */
  state: Record<string, unknown>;
}

/** Per partition, the committed records: msg ids from offset `start` on. */
export interface CommittedLog {
  start: number;
  msgs: string[];
}

export type Ghost = Map<string, CommittedLog>;

const ALL = Number.POSITIVE_INFINITY;

function stateOf(view: ReplicationView, partition: string): Record<string, unknown> {
  const replicas: Record<string, unknown> = {};
  for (const b of view.replicasOf(partition)) {
    if (!view.isUp(b)) {
      replicas[b] = 'down';
      continue;
    }
    const r = view.replica(b, partition);
    replicas[b] = r ? { leader: r.leader, leaderEpoch: r.leaderEpoch, isr: r.isr, leo: r.log.logEndOffset, hw: r.hw, logStart: r.log.logStartOffset } : 'no replica';
  }
  return { committed: view.partitions[partition], replicas, tainted: [...view.tainted(partition)] };
}

/** The first offset in [from, to) where `log` differs from the committed log, or -1. */
function firstMismatch(log: LogView, committed: CommittedLog, from: number, to: number): { offset: number; have: string | undefined; want: string } | null {
  const lo = Math.max(from, log.logStartOffset, committed.start);
  const hi = Math.min(to, committed.start + committed.msgs.length);
  if (hi <= lo) return null;
  if (log.logEndOffset < hi) {
    const offset = Math.max(lo, log.logEndOffset);
    return { offset, have: undefined, want: committed.msgs[offset - committed.start]! };
  }
  const records = log.read(lo, hi, ALL);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const want = committed.msgs[r.offset - committed.start]!;
    if (r.msg !== want) return { offset: r.offset, have: r.msg, want };
  }
  return null;
}

/**
 * Checks every invariant over `view`, extending the committed log `ghost` with what the leaders
 * have committed. Returns the first violation, or null.
 */
export function checkInvariants(view: ReplicationView, ghost: Ghost): Violation | null {
  for (const [partition, committed] of Object.entries(view.partitions)) {
    const fail = (invariant: InvariantName, message: string): Violation => ({ invariant, partition, message, state: stateOf(view, partition) });
    // LeaderInIsr: the controller's state, and each acting leader's own view.
    if (committed.leader !== null && !committed.isr.includes(committed.leader)) {
      return fail('LeaderInIsr', `the committed leader ${committed.leader} (epoch ${committed.leaderEpoch}) is not in the ISR [${committed.isr.join(', ')}]`);
    }
    const replicas = view.replicasOf(partition);
    for (const b of replicas) {
      if (!view.isUp(b)) continue;
      const r = view.replica(b, partition);
      if (r && r.leader === b && !r.isr.includes(b)) return fail('LeaderInIsr', `${b} acts as leader (epoch ${r.leaderEpoch}) but is not in its own ISR [${r.isr.join(', ')}]`);
    }

    const tainted = view.tainted(partition);
    const taintedInIsr = committed.isr.some((b) => tainted.has(b));
    const asserted = view.safe(partition) && !taintedInIsr;
    let log = ghost.get(partition);
    if (!log) ghost.set(partition, (log = { start: 0, msgs: [] }));

    // The committed log grows with every acting leader's records below its high watermark.
    for (const b of replicas) {
      if (!view.isUp(b)) continue;
      const r = view.replica(b, partition);
      if (!r || r.leader !== b) continue;
      const mismatch = firstMismatch(r.log, log, 0, r.hw);
      if (mismatch) {
        if (asserted) {
          return fail('LogMatching', `leader ${b} (epoch ${r.leaderEpoch}) has ${mismatch.have ?? 'nothing'} at offset ${mismatch.offset} below its high watermark ${r.hw}, where ${mismatch.want} was committed`);
        }
        // Unsafe configuration or a tainted replica: committed records were lost; follow the leader from here.
        log.msgs.length = Math.max(0, mismatch.offset - log.start);
      }
      extend(log, r);
    }
    if (!asserted) continue;
    const end = log.start + log.msgs.length;

    // NoCommittedLoss: the leader the controller elected holds the committed log.
    if (committed.leader !== null && view.isUp(committed.leader)) {
      const r = view.replica(committed.leader, partition);
      if (r && r.leader === committed.leader && r.leaderEpoch === committed.leaderEpoch) {
        const mismatch = firstMismatch(r.log, log, 0, end);
        if (mismatch) {
          return fail('NoCommittedLoss', `leader ${committed.leader} (epoch ${committed.leaderEpoch}) lacks committed offset ${mismatch.offset} (${mismatch.want}; it has ${mismatch.have ?? 'nothing'}, log end ${r.log.logEndOffset})`);
        }
      }
    }
    // StrongIsr: every live ISR member holds the committed log.
    for (const b of committed.isr) {
      if (!view.isUp(b)) continue;
      const r = view.replica(b, partition);
      const logView: LogView = r ? r.log : { logStartOffset: 0, logEndOffset: 0, read: () => [] };
      const mismatch = firstMismatch(logView, log, 0, end);
      if (mismatch) {
        return fail('StrongIsr', `${b} is in the ISR [${committed.isr.join(', ')}] but ${mismatch.have === undefined ? `its log ends at ${logView.logEndOffset}` : `has ${mismatch.have}`} at committed offset ${mismatch.offset} (${mismatch.want}; committed up to ${end})`);
      }
    }
    // LogMatching: every live replica agrees with the committed log below its own high watermark.
    for (const b of replicas) {
      if (!view.isUp(b)) continue;
      const r = view.replica(b, partition);
      if (!r) continue;
      const mismatch = firstMismatch(r.log, log, 0, r.hw);
      if (mismatch && mismatch.have !== undefined) {
        return fail('LogMatching', `${b} has ${mismatch.have} at offset ${mismatch.offset} below its high watermark ${r.hw}, where ${mismatch.want} was committed`);
      }
    }
  }
  return null;
}

/** Appends a leader's records from the committed log's end up to its high watermark. */
function extend(log: CommittedLog, r: ReplicaView): void {
  const end = log.start + log.msgs.length;
  if (r.hw <= end) return;
  if (log.msgs.length === 0 && r.log.logStartOffset > log.start) log.start = r.log.logStartOffset;
  const from = Math.max(end, r.log.logStartOffset);
  if (from > log.start + log.msgs.length) return; // a gap: records deleted by retention before they were seen
  for (const record of r.log.read(from, r.hw, ALL)) log.msgs.push(record.msg);
}

/** ConsumerBelowHw for one consumer fetch answered by a leader. */
export function checkConsumerRead(partition: string, records: readonly { offset: number; msg: string }[], hw: number): Violation | null {
  for (const r of records) {
    if (r.offset >= hw) {
      return { invariant: 'ConsumerBelowHw', partition, message: `a consumer was handed offset ${r.offset} (${r.msg}) at or past the high watermark ${hw}`, state: { hw, offsets: [records[0]!.offset, records[records.length - 1]!.offset] } };
    }
  }
  return null;
}

/** A violated invariant stops the run: which one, for which partition, when, after which event, and the state. */
export class InvariantViolation extends SimulationError {
  override name = 'InvariantViolation';
  constructor(readonly violation: Violation, time: Micros, node: string, event: string) {
    super(
      `invariant ${violation.invariant} violated for ${violation.partition} at ${formatTimestamp(time)}, after ${event} on ${node}: ${violation.message}\n`
      + `state: ${JSON.stringify(violation.state)}`,
      time, node, event,
    );
  }
}

/** What the brokers and controllers call; absent when invariants are off, so the checks cost nothing. */
export interface InvariantProbe {
  /** A control-plane change happened on `node` (LeaderAndIsr, ISR change, election, truncation, metadata record). */
  changed(node: string, event: string): void;
  /** A leader's high watermark advanced: the records below it are committed. */
  hwAdvanced(node: string, partition: string): void;
  /** A leader answered a consumer fetch with `records`. */
  consumerRead(node: string, partition: string, records: readonly { offset: number; msg: string }[], hw: number): void;
}

export interface CheckerSource {
  now(): Micros;
  partitions(): Readonly<Record<string, CommittedPartition>>;
  replicasOf(partition: string): readonly string[];
  isUp(broker: string): boolean;
  replica(broker: string, partition: string): ReplicaView | undefined;
  safe(partition: string): boolean;
}

/**
 * The checker a run uses: keeps the committed log and the tainted replicas, and throws an
 * InvariantViolation (a SimulationError: the run stops) at the first violation.
 */
export class InvariantChecker implements InvariantProbe {
  readonly ghost: Ghost = new Map();
  private readonly taint = new Map<string, Set<string>>();
  /** Log end offsets of each broker's replicas when it crashed. */
  private readonly atCrash = new Map<string, Map<string, number>>();
  checks = 0;

  constructor(private readonly source: CheckerSource, private readonly stats?: { invariantChecks: number }) {}

  private view(): ReplicationView {
    const s = this.source;
    const empty: ReadonlySet<string> = new Set();
    return {
      partitions: s.partitions(),
      replicasOf: (p) => s.replicasOf(p),
      isUp: (b) => s.isUp(b),
      replica: (b, p) => s.replica(b, p),
      safe: (p) => s.safe(p),
      tainted: (p) => this.taint.get(p) ?? empty,
    };
  }

  changed(node: string, event: string): void {
    this.checks++;
    if (this.stats) this.stats.invariantChecks++;
    const view = this.view();
    // A tainted replica stops being tainted once the committed ISR no longer names it.
    for (const [partition, brokers] of this.taint) {
      const isr = view.partitions[partition]?.isr ?? [];
      for (const b of [...brokers]) if (!isr.includes(b)) brokers.delete(b);
      if (brokers.size === 0) this.taint.delete(partition);
    }
    const violation = checkInvariants(view, this.ghost);
    if (violation) throw new InvariantViolation(violation, this.source.now(), node, event);
  }

  consumerRead(node: string, partition: string, records: readonly { offset: number; msg: string }[], hw: number): void {
    const violation = checkConsumerRead(partition, records, hw);
    if (violation) throw new InvariantViolation(violation, this.source.now(), node, 'FetchResponse to a consumer');
  }

  hwAdvanced(node: string, partition: string): void {
    const r = this.source.replica(node, partition);
    if (!r || r.leader !== node) return;
    let log = this.ghost.get(partition);
    if (!log) this.ghost.set(partition, (log = { start: 0, msgs: [] }));
    extend(log, r);
  }

  /** As a broker crashes (its actor still readable): remember its replicas' log end offsets. */
  beforeCrash(broker: string, partitions: readonly string[]): void {
    const ends = new Map<string, number>();
    for (const p of partitions) {
      const r = this.source.replica(broker, p);
      if (r) ends.set(p, r.log.logEndOffset);
    }
    this.atCrash.set(broker, ends);
  }

  /** After a restart: a replica that came back shorter than it was lost unflushed records. */
  afterRestart(broker: string): void {
    const ends = this.atCrash.get(broker);
    if (!ends) return;
    this.atCrash.delete(broker);
    for (const [p, end] of ends) {
      const r = this.source.replica(broker, p);
      if ((r?.log.logEndOffset ?? 0) < end) {
        let set = this.taint.get(p);
        if (!set) this.taint.set(p, (set = new Set()));
        set.add(broker);
      }
    }
  }
}
