import type { Outcome, OutcomeValue } from '../outcome.js';

/**
 * A Kafka probe is data: topics (with explicit replica lists on the three-broker cluster, so
 * "broker 1 leads" holds on both sides), and a script of client steps and faults. The same JSON
 * drives the real Java client (conformance/kafka/java/Driver.java, through real.ts) and a
 * scenario through the model (model.ts). Both sides return an `Observed`; `outcomeOf` turns it
 * into the compared fields.
 *
 * Message ids are `<producer>-<seq>` (seq from 0) on both sides, the record's value on the real
 * side; a send's result is `ok <partition>@<offset>` or `error <protocol error name>`.
 */

export type KafkaStep =
  /** The default partitioner: send one record per key, note the partition of each (library API on the model side). */
  | { op: 'keys'; producer: string; topic: string; label: string; keys: string[]; config?: Record<string, string | number | boolean> }
  /**
   * Create a producer and fetch the topic's metadata now, sending nothing (the model's producers
   * exist from the start of the run and fetch metadata then): its later sends go to the leader
   * this metadata names.
   */
  | { op: 'open'; producer: string; topic: string; config?: Record<string, string | number | boolean> }
  /** `count` records with ids <producer>-<seq>, key = id, with the config of the producer's first step; results come back asynchronously. */
  | { op: 'produce'; producer: string; topic: string; count: number; config?: Record<string, string | number | boolean> }
  /** Wait for every outstanding send's result (producer.flush); the model allows `modelMs` of virtual time for it. */
  | { op: 'flush'; modelMs?: number }
  | { op: 'wait'; ms: number }
  /** kill -9, an operator's stop (SIGTERM; a broker's controlled shutdown runs until it exits), restart, SIGSTOP, SIGCONT of brokers (node ids 1..3 = broker-1..3). */
  | { op: 'fault'; action: 'kill' | 'stop' | 'restart' | 'pause' | 'resume'; brokers: number[] }
  /** The leader of each partition as the cluster's metadata says now ("<partition>:<broker id or none>"). */
  | { op: 'leaders'; label: string; topic: string }
  /**
   * Until `partition`'s leader is a broker other than `from`: which, and how long since the last
   * fault, judged against `timed`. The model looks for it within `withinMs` (default 20000).
   */
  | { op: 'await-leader'; label: string; topic: string; partition: number; from: number; timed: { around: number; tolerance: number }; withinMs?: number }
  /**
   * A fresh assign() consumer reads every partition from the start to the end offsets (under
   * `isolation`, default read_uncommitted). `ids`: only the ids read, sorted, over all partitions
   * (for records whose partition the two sides choose differently).
   */
  | { op: 'read'; label: string; topic: string; isolation?: Isolation; ids?: boolean }
  /**
   * A transaction of a transactional producer (config with transactional.id; initTransactions()
   * on its first): beginTransaction(), `count` records (ids <producer>-<seq>, key = id; `spread`:
   * record i to partition i % partitions), flush, then commitTransaction(), abortTransaction(), or
   * the transaction left open.
   */
  | { op: 'txn'; label: string; producer: string; topic: string; count: number; end: 'commit' | 'abort' | 'open'; spread?: boolean; config?: Record<string, string | number | boolean> }
  /** The producer's open transaction: `count` more records (default none), then commit or abort it. */
  | { op: 'txn-end'; label: string; producer: string; topic: string; count?: number; end: 'commit' | 'abort' }
  /** endOffsets of every partition under `isolation` (read_committed: the last stable offset). */
  | { op: 'offsets'; label: string; topic: string; isolation: Isolation }
  /** A group member: subscribe and poll; `process`: in its own JVM (so kill-member is a kill -9); `commit`: commitSync after each poll. */
  | { op: 'join'; member: string; group: string; topics: string[]; config?: Record<string, string | number | boolean>; process?: boolean; commit?: boolean }
  /** consumer.close() (a dynamic member sends LeaveGroup, a static one does not). */
  | { op: 'close'; member: string }
  /** kill -9 of a member's process: it never leaves the group. */
  | { op: 'kill-member'; member: string }
  /**
   * Until the live members own every one of `partitions` exactly once in one generation; notes
   * the assignment. `timed`: how long since the last fault, kill or close, judged against `around`
   * (ms) within `tolerance` (ms). The model looks for that instant within `withinMs` (default 10000).
   */
  | { op: 'await-stable'; label: string; partitions: number; timed?: { around: number; tolerance: number }; withinMs?: number }
  /** The records a member has received so far. */
  | { op: 'received'; member: string; label: string };

export type Isolation = 'read_uncommitted' | 'read_committed';

export interface KafkaTopicSpec {
  name: string;
  partitions?: number;
  /** Explicit replica lists per partition (broker ids), on the three-broker cluster. */
  replicas?: number[][];
  config?: Record<string, string | number | boolean>;
}

export interface KafkaProbe {
  id: string;
  about: string;
  /** single: one combined-mode node; cluster: a controller and three brokers (ZooKeeper mode: ZooKeeper and three brokers). */
  cluster: 'single' | 'cluster';
  /** kraft (default): Kafka 4.0.2; zookeeper: Kafka 3.9.1 in ZooKeeper mode (cluster only). */
  metadata?: 'kraft' | 'zookeeper';
  topics: KafkaTopicSpec[];
  steps: KafkaStep[];
  /** How assignments are compared: exact (who owns what) or shape (sizes and how many partitions moved; for assignors whose ties depend on random member ids). */
  assignments?: 'exact' | 'shape';
}

/** What a run saw, on either side. */
export interface Observed {
  partitions: Record<string, string>;
  sends: Record<string, string>;
  reads: Record<string, Record<string, string[]> | string>;
  assignments: Record<string, Record<string, string[] | number> | string>;
  received: Record<string, string[]>;
  /** Per txn / txn-end label: committed, aborted, open, or "<call> <error>" (send, commit, abort, init). */
  txns: Record<string, string>;
  /** Per offsets label: "<partition>:<end offset>,...". */
  offsets: Record<string, string>;
  /** Per leaders label: "<partition>:<leader>,..."; per await-leader label: the new leader and "@ms" since the last fault. */
  leaders: Record<string, string | { leader: string; ms: number }>;
}

export function emptyObserved(): Observed {
  return { partitions: {}, sends: {}, reads: {}, assignments: {}, received: {}, txns: {}, offsets: {}, leaders: {} };
}

/** A probe needs the harness's own brokers: it uses the three-broker cluster, or faults. */
export function needsBrokerControl(probe: KafkaProbe): boolean {
  return probe.cluster === 'cluster' || probe.steps.some((s) => s.op === 'fault');
}

function timing(ms: number, around: number, tolerance: number): string {
  if (ms < around - tolerance) return `under ${around - tolerance}ms`;
  if (ms > around + tolerance) return `over ${around + tolerance}ms`;
  return `${around}ms ± ${tolerance}ms`;
}

/**
 * The compared fields: `partitions.<label>` (the partition of each key, comma-separated),
 * `sends` (id -> result), `reads.<label>` (per partition the ids with offsets, or an error),
 * `assignments.<label>` (member -> partitions and the generation relative to the first
 * assignment; or their shape), `received.<label>`, `txns.<label>` (how a transaction ended, or
 * the call that failed and its error) and `offsets.<label>` (end offsets under an isolation level).
 */
export function outcomeOf(probe: KafkaProbe, observed: Observed): Outcome {
  const outcome: Outcome = {};
  for (const [label, partitions] of Object.entries(observed.partitions)) outcome[`partitions.${label}`] = partitions;
  if (probe.steps.some((s) => s.op === 'produce')) {
    outcome.sends = Object.fromEntries(Object.entries(observed.sends).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
  }
  for (const [label, read] of Object.entries(observed.reads)) outcome[`reads.${label}`] = read as OutcomeValue;
  let firstGeneration: number | null = null;
  let previous: Record<string, string[]> | null = null;
  for (const step of probe.steps) {
    if (step.op !== 'await-stable') continue;
    const got = observed.assignments[step.label];
    if (got === undefined || typeof got === 'string') {
      outcome[`assignments.${step.label}`] = got ?? 'absent';
      continue;
    }
    const members: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(got)) if (!name.startsWith('@')) members[name] = value as string[];
    const generation = got['@generation'] as number;
    firstGeneration ??= generation;
    const value: Record<string, OutcomeValue> = {};
    if (probe.assignments === 'shape') {
      value.sizes = Object.values(members).map((p) => p.length).sort((a, b) => b - a);
      if (previous !== null) {
        const before = new Map(Object.entries(previous).flatMap(([m, ps]) => ps.map((p): [string, string] => [p, m])));
        value.moved = Object.entries(members).reduce((n, [m, ps]) => n + ps.filter((p) => before.has(p) && before.get(p) !== m).length, 0);
      }
    } else {
      value.members = members;
    }
    value.generation = `+${generation - firstGeneration}`;
    if (step.timed) value.after = typeof got['@ms'] === 'number' ? timing(got['@ms'], step.timed.around, step.timed.tolerance) : 'not timed';
    outcome[`assignments.${step.label}`] = value;
    previous = members;
  }
  for (const [label, ids] of Object.entries(observed.received)) outcome[`received.${label}`] = ids;
  for (const step of probe.steps) {
    if (step.op === 'txn' || step.op === 'txn-end') outcome[`txns.${step.label}`] = observed.txns[step.label] ?? 'absent';
    if (step.op === 'offsets') outcome[`offsets.${step.label}`] = observed.offsets[step.label] ?? 'absent';
    if (step.op === 'leaders') outcome[`leaders.${step.label}`] = (observed.leaders[step.label] as string | undefined) ?? 'absent';
    if (step.op === 'await-leader') {
      const got = observed.leaders[step.label];
      outcome[`leaders.${step.label}`] = got === undefined || typeof got === 'string' ? got ?? 'absent'
        : { leader: got.leader, after: timing(got.ms, step.timed.around, step.timed.tolerance) };
    }
  }
  return outcome;
}
