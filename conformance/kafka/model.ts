import { kafkaModel } from '../../models/kafka/index.js';
import { partitionForKey } from '../../models/kafka/partitioner.js';
import { assignReplicas } from '../../models/kafka/replica-assignment.js';
import { parseScenario } from '../../models/scenario.js';
import { kafkaVersionOf } from '../../models/kafka/version.js';
import { World } from '../../sim/world.js';
import { PROBE_BROKER_CONFIG, PROBE_TXN_CONFIG } from './broker.js';
import { PROBE_ZK_CONFIG } from './broker-zk.js';
import { emptyObserved, type KafkaProbe, type KafkaStep, type Observed } from './probe.js';

/**
 * A probe through the Kafka model. The probe's steps become one scenario: each step at a
 * virtual time (a `wait` adds its time, a `flush` its `modelMs`, other steps a little), a
 * `produce` a producer entry sending `count` records at that time, a `join` a subscribe-mode
 * consumer entry starting then (members g-c1, g-c2... as the model names them), a `read` an
 * assign-mode consumer reading from the earliest offset, broker faults and kill-member the
 * scenario's `kill` (kill -9, page cache kept; restarted when a later step restarts or re-joins
 * it), `pause` and `resume`. What the client history records (sends with their offsets or
 * error names, receives) and the members' SyncGroup outcomes (their `group-synced` notes: the
 * generation and partitions, as the real client's rebalance callbacks and groupMetadata() give
 * them) become the same `Observed` the real driver prints. The key partitioner runs through the
 * library API (partitionForKey).
 *
 * The scenario sets `cluster.version` to the real broker's (models/kafka/version.ts): 4.0 for
 * Kafka 4.0.2 (KRaft), 3.9 for Kafka 3.9.1 (ZooKeeper mode); every difference from the real
 * broker a probe shows is listed in conformance/DIVERGENCES.md.
 */

const MS = 1_000;
const GAP = 100;
/** How long an await-stable step waits for the group to settle (a cooperative rebalance takes two rounds, each noticed on a heartbeat). */
const AWAIT_WINDOW = 10_000;
/** How long a read's consumer has (it may have to find a new leader first); the real driver reads up to the end offsets it saw when it started. */
const READ_WINDOW = 20_000;
/** The real read's endOffsets timeout. */
const END_OFFSETS_TIMEOUT = 15_000;
/** A transaction's records go out this far apart (ms), so "open" can stop the producer between its last record's answer and the next. */
const TXN_RECORD_GAP = 50;
/** How long an await-leader step waits for a new leader. */
const LEADER_WINDOW = 20_000;
/** An operator's stop: the broker's controlled shutdown runs to its exit within this (the real harness waits for the exit). */
const STOP_WINDOW = 5_000;
/** How long a txn or txn-end step has: initTransactions, the records, the commit or abort and its markers. */
const TXN_WINDOW = 2_000;
const ASSIGNOR_NAMES: Record<string, string> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  'org.apache.kafka.clients.consumer.StickyAssignor': 'sticky',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
};

type Config = Record<string, string | number | boolean>;

/** Config values as the scenario schema takes them (numbers for *.ms, assignor short names). */
function modelConfig(config: Config | undefined): Config {
  const out: Config = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (key === 'partition.assignment.strategy') out[key] = ASSIGNOR_NAMES[String(value)] ?? String(value);
    else if (key === 'acks') out[key] = String(value);
    else out[key] = value;
  }
  return out;
}

interface Timed<T> {
  at: number;
  step: T;
}

export function runProbeInModel(probe: KafkaProbe, realVersion?: string): Observed {
  // The model follows the real broker's version (models/kafka/version.ts): 4.0 for the KRaft
  // probes, 3.9 for the ZooKeeper-mode ones.
  const version = realVersion !== undefined ? kafkaVersionOf(realVersion) : probe.metadata === 'zookeeper' ? '3.9' : '4.0';
  const observed = emptyObserved();
  const brokers = probe.cluster === 'single' ? 1 : 3;
  // The key partitioner, through the library API.
  for (const step of probe.steps) {
    if (step.op === 'keys') {
      const topic = probe.topics.find((t) => t.name === step.topic)!;
      observed.partitions[step.label] = step.keys.map((k) => partitionForKey(k, topic.partitions ?? 1)).join(',');
    }
  }
  if (probe.steps.every((s) => s.op === 'keys')) return observed;

  // Times of each step (ms of virtual time), from 5 s on (the model's KRaft cluster has registered its brokers and created the topics by then).
  const timed: Timed<KafkaProbe['steps'][number]>[] = [];
  let at = 5_000;
  for (const step of probe.steps) {
    timed.push({ at, step });
    switch (step.op) {
      case 'wait': at += step.ms; break;
      case 'flush': at += step.modelMs ?? 500; break;
      case 'read': at += READ_WINDOW; break;
      case 'txn': case 'txn-end': at += TXN_WINDOW; break;
      case 'offsets': case 'leaders': break;
      case 'await-leader': at += step.withinMs ?? LEADER_WINDOW; break;
      case 'await-stable': at += step.withinMs ?? AWAIT_WINDOW; break;
      case 'received':
      case 'open': break;
      case 'fault': at += step.action === 'stop' ? STOP_WINDOW : GAP; break;
      default: at += GAP;
    }
  }
  const end = at + 1_000;

  const producers: unknown[] = [];
  const consumers: unknown[] = [];
  const faults: unknown[] = [];
  const joined: string[] = [];
  const memberEntry = new Map<string, { steps: unknown[] }>();
  const reads: { label: string; at: number; process: string; ids: boolean }[] = [];
  const txns: { label: string; producer: string; at: number; until: number; count: number }[] = [];
  const offsets: { label: string; at: number; topic: string; committed: boolean }[] = [];
  const leaderChecks: { label: string; at: number; topic: string }[] = [];
  const leaderWaits: { label: string; at: number; until: number; topic: string; partition: number; from: number; markAt: number }[] = [];
  for (const [i, { at: t, step }] of timed.entries()) {
    const later = timed.slice(i + 1);
    switch (step.op) {
      case 'produce': {
        if (probe.steps.some((s) => s.op === 'txn' && s.producer === step.producer)) throw new Error(`probe ${probe.id}: ${step.producer} is a transactional producer`);
        const opened = timed.slice(0, i).find((s) => s.step.op === 'open' && s.step.producer === step.producer)?.step as { config?: Config } | undefined;
        producers.push({ id: step.producer, topic: step.topic, count: step.count, rate: '1000/s', start: `${t}ms`, config: modelConfig(opened?.config ?? step.config) });
        break;
      }
      case 'fault':
        for (const id of step.brokers) {
          const node = `broker-${id}`;
          if (step.action === 'kill' || step.action === 'stop') {
            const back = later.find((s) => s.step.op === 'fault' && s.step.action === 'restart' && s.step.brokers.includes(id));
            const until = `${(back?.at ?? end + 3_600_000) - t}ms`;
            faults.push(step.action === 'kill' ? { at: `${t}ms`, kill: node, for: until } : { at: `${t}ms`, stop: node, for: until });
          } else if (step.action === 'pause') faults.push({ at: `${t}ms`, pause: node });
          else if (step.action === 'resume') faults.push({ at: `${t}ms`, resume: node });
        }
        break;
      case 'join': {
        if (joined.includes(step.member)) break; // a restart: the kill's `for`
        joined.push(step.member);
        const n = joined.filter((m) => m.startsWith(`${step.group}-`)).length;
        if (step.member !== `${step.group}-c${n}`) throw new Error(`probe ${probe.id}: member ${step.member} would be ${step.group}-c${n} in the model`);
        const entry = {
          group: step.group, mode: 'subscribe', start: `${t}ms`, steps: [] as unknown[],
          ...(step.topics.length > 1 ? { topics: step.topics } : { topic: step.topics[0] }),
          ...(step.commit ? { commit: 'manual-sync-after' } : {}),
          config: modelConfig(step.config),
        };
        memberEntry.set(step.member, entry);
        consumers.push(entry);
        break;
      }
      case 'close':
        memberEntry.get(step.member)!.steps.push({ at: `${t}ms`, close: true });
        break;
      case 'kill-member': {
        const back = later.find((s) => s.step.op === 'join' && s.step.member === step.member);
        faults.push({ at: `${t}ms`, kill: step.member, for: `${(back?.at ?? end + 3_600_000) - t}ms` });
        break;
      }
      case 'read':
        consumers.push({
          group: `read-${step.label}`, topic: step.topic, mode: 'assign', start: `${t}ms`,
          config: { 'auto.offset.reset': 'earliest', ...(step.isolation ? { 'isolation.level': step.isolation } : {}) },
        });
        reads.push({ label: step.label, at: t, process: `read-${step.label}-c1`, ids: step.ids === true });
        break;
      case 'txn': {
        // One application per transactional producer: its transaction is its records; "open"
        // pauses it after its last record's answer and, with a later txn-end, resumes it then: it
        // sends the txn-end's records and commits (or aborts) as the real application does.
        const ending = later.find((s) => s.step.op === 'txn-end' && s.step.producer === step.producer) as Timed<Extract<KafkaStep, { op: 'txn-end' }>> | undefined;
        if (timed.slice(0, i).some((s) => s.step.op === 'txn' && s.step.producer === step.producer)) throw new Error(`probe ${probe.id}: producer ${step.producer} has two txn steps; the model runner gives each producer one transaction`);
        if (step.end === 'open' && ending !== undefined && (ending.step.count ?? 0) === 0) throw new Error(`probe ${probe.id}: the txn-end of ${step.producer} sends no record; the model's paused producer ends its transaction when its next record is due`);
        const extra = ending?.step.count ?? 0;
        const total = step.count + extra;
        const aborts = (step.end === 'open' ? ending?.step.end : step.end) === 'abort';
        producers.push({
          id: step.producer, topic: step.topic, count: step.end === 'open' && ending === undefined ? step.count + 1 : total,
          rate: `${1000 / TXN_RECORD_GAP}/s`, start: `${t}ms`,
          transactions: { records: step.end === 'open' && ending === undefined ? step.count + 1 : total, ...(aborts ? { abortEvery: 1 } : {}) },
          config: modelConfig(step.config),
        });
        if (step.end === 'open') {
          const pauseAt = t + (step.count - 1) * TXN_RECORD_GAP + TXN_RECORD_GAP / 2;
          faults.push({ at: `${pauseAt}ms`, pause: step.producer, for: `${(ending?.at ?? end + 3_600_000) - pauseAt}ms` });
        }
        txns.push({ label: step.label, producer: step.producer, at: t, until: ending?.at ?? end, count: step.count });
        if (ending) txns.push({ label: ending.step.label, producer: step.producer, at: ending.at, until: end, count: extra });
        break;
      }
      case 'offsets':
        offsets.push({ label: step.label, at: t, topic: step.topic, committed: step.isolation === 'read_committed' });
        break;
      case 'leaders':
        leaderChecks.push({ label: step.label, at: t, topic: step.topic });
        break;
      case 'await-leader': {
        const fault = timed.slice(0, i).reverse().find((s) => s.step.op === 'fault');
        leaderWaits.push({ label: step.label, at: t, until: t + (step.withinMs ?? LEADER_WINDOW), topic: step.topic, partition: step.partition, from: step.from, markAt: fault?.at ?? t });
        break;
      }
      default:
        break;
    }
  }
  for (const entry of memberEntry.values()) if (entry.steps.length === 0) delete (entry as { steps?: unknown }).steps;

  const topics = probe.topics.filter((t) => probe.steps.some((s) => s.op !== 'keys' && 'topic' in s ? s.topic === t.name : s.op === 'join' && s.topics.includes(t.name)));
  const scenario = {
    name: `conformance-${probe.id}`,
    system: 'kafka',
    seed: 1,
    duration: `${end}ms`,
    drain: '0ms',
    cluster: {
      brokers, version,
      ...(probe.metadata === 'zookeeper' ? { metadata: 'zookeeper' } : { metadata: 'kraft', controllers: 1, ...(probe.cluster === 'single' ? { combined: true } : {}) }),
      config: {
        ...(probe.metadata === 'zookeeper' ? PROBE_ZK_CONFIG : {}),
        'group.initial.rebalance.delay.ms': PROBE_BROKER_CONFIG['group.initial.rebalance.delay.ms'],
        'offsets.topic.num.partitions': 5, 'offsets.topic.replication.factor': brokers,
        ...(probe.steps.some((s) => s.op === 'txn') ? {
          'transaction.state.log.num.partitions': 5, 'transaction.state.log.replication.factor': brokers,
          ...PROBE_TXN_CONFIG,
        } : {}),
      },
    },
    topics: topics.map((t) => {
      const rf = t.replicas ? t.replicas[0]!.length : 1;
      if (t.replicas) {
        const model = assignReplicas(Array.from({ length: brokers }, (_, i) => `broker-${i + 1}`), t.replicas.length, rf);
        if (JSON.stringify(model) !== JSON.stringify(t.replicas.map((r) => r.map((id) => `broker-${id}`)))) {
          throw new Error(`probe ${probe.id}: topic ${t.name}'s replicas differ from the model's assignment ${JSON.stringify(model)}`);
        }
      }
      return { name: t.name, partitions: t.replicas ? t.replicas.length : t.partitions ?? 1, replicationFactor: rf, ...(t.config ? { config: t.config } : {}) };
    }),
    network: { latency: '1ms' },
    workload: { producers, consumers },
    faults,
  };
  const parsed = parseScenario(JSON.stringify(scenario), `conformance/kafka/${probe.id}`);
  const world = new World({ seed: 1, network: { latency: { constant: MS } }, keepHistory: true, maxTime: (end + 1_000) * MS });
  kafkaModel.build(world, parsed as never);
  // Each member's SyncGroup outcome (the generation and the partitions it owns from then on), as
  // the model's consumer notes it (`group-synced`), the way the real driver notes the assignment
  // and groupMetadata().generationId() after each rebalance callback.
  // The real read asks for the end offsets first (ListOffsets to the leader) and gives up after
  // 15 s with REQUEST_TIMED_OUT (no leader): a reader whose partitions have no position 15 s after
  // it started ran into the same (its cursors are KafkaConsumer.cursors).
  const noPosition = new Set<string>();
  for (const read of reads) {
    world.kernel.at((read.at + END_OFFSETS_TIMEOUT) * MS, () => {
      const actor = world.node(read.process).actor as unknown as { cursors?: { values(): Iterable<{ position: number }> } } | null;
      const cursors = [...(actor?.cursors?.values() ?? [])];
      if (cursors.length === 0 || cursors.some((c) => c.position < 0)) noPosition.add(read.label);
    }, null);
  }
  // endOffsets under an isolation level: ListOffsets (latest) to each partition's leader answers
  // its high watermark, or under read_committed its last stable offset (the model's partition state).
  for (const o of offsets) {
    world.kernel.at(o.at * MS, () => {
      const topic = probe.topics.find((t) => t.name === o.topic)!;
      const count = topic.replicas ? topic.replicas.length : topic.partitions ?? 1;
      const ends: string[] = [];
      for (let p = 0; p < count; p++) {
        const key = `${o.topic}-${p}`;
        const leader = leaderReplica(world, brokers, key);
        ends.push(`${p}:${leader === undefined ? 'none' : o.committed ? leader.lso : leader.hw}`);
      }
      observed.offsets[o.label] = ends.join(',');
    }, null);
  }
  // The leaders the metadata names: the live broker leading each partition at its latest leader epoch.
  const topicPartitions = (name: string) => {
    const topic = probe.topics.find((t) => t.name === name)!;
    return topic.replicas ? topic.replicas.length : topic.partitions ?? 1;
  };
  const leaderName = (key: string) => leaderReplica(world, brokers, key)?.name.replace('broker-', '') ?? 'none';
  for (const c of leaderChecks) {
    world.kernel.at(c.at * MS, () => {
      observed.leaders[c.label] = Array.from({ length: topicPartitions(c.topic) }, (_, p) => `${p}:${leaderName(`${c.topic}-${p}`)}`).join(',');
    }, null);
  }
  // An await-leader: looked at every 50 ms, as the real driver asks for the metadata.
  for (const w of leaderWaits) {
    const look = (time: number) => {
      if (time > w.until || observed.leaders[w.label] !== undefined) return;
      const leader = leaderName(`${w.topic}-${w.partition}`);
      if (leader !== 'none' && leader !== String(w.from)) observed.leaders[w.label] = { leader, ms: time - w.markAt };
      else world.kernel.at((time + 50) * MS, () => look(time + 50), null);
    };
    world.kernel.at(w.at * MS, () => look(w.at), null);
  }
  world.run({ duration: end * MS, drain: 0, faults: parsed.faults ?? [] });
  for (const w of leaderWaits) observed.leaders[w.label] ??= 'timeout';
  const ops = world.history.ops;
  if (world.notes.length >= 10_000) throw new Error(`probe ${probe.id}: the model's notes overflowed; the group-synced notes are incomplete`);
  // Each member's SyncGroup outcome (the generation and the partitions it owns from then on), as
  // the model's consumer notes it (group-synced), the way the real driver notes the assignment and
  // groupMetadata().generationId() after each rebalance callback.
  const synced: Synced[] = world.notes.filter((n) => n.what === 'group-synced').map((n) => ({
    time: n.at, member: n.node, generation: Number(n.detail?.generation), partitions: [...(n.detail?.partitions as string[] ?? [])],
  }));

  // Sends: the last outcome of each message.
  // (a transactional producer's records are judged by its transaction and the reads, not here)
  const transactional = new Set(txns.map((t) => t.producer));
  for (const op of ops) {
    if (op.f !== 'send' || op.type === 'invoke' || op.msg === undefined || transactional.has(op.process)) continue;
    observed.sends[op.msg] = op.type === 'ok' ? `ok ${partitionOf(op.queue)}@${op.offset}` : `error ${errorName(op.error)}`;
  }
  // Reads: what each reader received in its window, per partition.
  for (const read of reads) {
    const topic = probe.topics.find((t) => t.name === (timed.find((s) => s.step.op === 'read' && s.step.label === read.label)!.step as { topic: string }).topic)!;
    const count = topic.replicas ? topic.replicas.length : topic.partitions ?? 1;
    const result: Record<string, string[]> = {};
    for (let p = 0; p < count; p++) result[String(p)] = [];
    for (const op of ops) {
      if (op.f !== 'receive' || op.process !== read.process || op.time >= (read.at + READ_WINDOW) * MS) continue;
      result[String(partitionOf(op.queue))]!.push(`${op.msg}@${op.offset}`);
    }
    if (read.ids) {
      const all = Object.values(result).flat().map((r) => r.slice(0, r.lastIndexOf('@'))).sort();
      observed.reads[read.label] = noPosition.has(read.label) ? 'error REQUEST_TIMED_OUT' : { all };
    } else observed.reads[read.label] = noPosition.has(read.label) ? 'error REQUEST_TIMED_OUT' : result;
  }
  // Transactions: how each producer's transaction ended (its f:'txn' history op), as the real
  // application sees its calls end. A transaction still undecided when the step's window ends is
  // "open". A fenced producer's error is the one the Java client's commitTransaction() rethrows
  // (TransactionManager.maybeFailWithError): INVALID_PRODUCER_EPOCH comes only from a partition
  // leader's Produce answer, so the step's send failed with it first.
  for (const txn of txns) {
    const done = ops.find((op) => op.f === 'txn' && op.type !== 'invoke' && op.process === txn.producer && op.time >= txn.at * MS && op.time < txn.until * MS);
    const fence = world.notes.find((n) => n.what === 'txn-producer-fenced' && n.node === txn.producer && n.at >= txn.at * MS && n.at < txn.until * MS);
    if (fence !== undefined) {
      const error = String(fence.detail?.error);
      observed.txns[txn.label] = txn.count > 0 ? `send ${error}; commit ${error}` : `commit ${error}`;
    } else if (done === undefined) observed.txns[txn.label] = 'open';
    else observed.txns[txn.label] = done.type === 'ok' ? 'committed' : done.type === 'fail' ? 'aborted' : `commit ${errorName(done.error)}`;
  }
  // Assignments: the first instant in the step's window when the live members own every partition once, in one generation.
  let markAt = 0;
  const alive = new Set<string>();
  for (const { at: t, step } of timed) {
    if (step.op === 'join') alive.add(step.member);
    if (step.op === 'close' || step.op === 'kill-member') alive.delete(step.member);
    if (step.op === 'kill-member' || step.op === 'close' || step.op === 'fault') markAt = t;
    if (step.op === 'await-stable') {
      const stable = stableAssignment(synced, alive, step.partitions, t * MS, (t + (step.withinMs ?? AWAIT_WINDOW)) * MS);
      if (stable === null) observed.assignments[step.label] = 'timeout';
      else {
        const value: Record<string, string[] | number> = { ...stable.members, '@generation': stable.generation };
        if (step.timed) value['@ms'] = Math.round(stable.time / MS - markAt);
        observed.assignments[step.label] = value;
      }
    }
    if (step.op === 'received') {
      observed.received[step.label] = ops.filter((op) => op.f === 'receive' && op.process === step.member && op.time <= t * MS)
        .map((op) => `${op.msg}@${partitionOf(op.queue)}:${op.offset}`);
    }
  }
  return observed;
}

/** The live broker that leads `key` at the highest leader epoch (a stopped or killed one says nothing). */
function leaderReplica(world: World, brokers: number, key: string): { name: string; hw: number; lso: number } | undefined {
  let best: { name: string; hw: number; lso: number; leaderEpoch: number } | undefined;
  for (let b = 1; b <= brokers; b++) {
    const name = `broker-${b}`;
    const slot = world.node(name);
    if (slot.status !== 'up') continue;
    const replica = (slot.actor as unknown as { inspect?: (k: string) => { hw: number; lso: number; leader: string | null; leaderEpoch: number } | undefined } | null)?.inspect?.(key);
    if (replica?.leader === name && (best === undefined || replica.leaderEpoch > best.leaderEpoch)) best = { name, hw: replica.hw, lso: replica.lso, leaderEpoch: replica.leaderEpoch };
  }
  return best;
}

function partitionOf(queue: string | undefined): number {
  return Number(queue?.slice(queue.lastIndexOf('-') + 1) ?? -1);
}

interface Synced {
  time: number;
  member: string;
  generation: number;
  partitions: string[];
}

function stableAssignment(synced: readonly Synced[], alive: ReadonlySet<string>, partitions: number, from: number, to: number):
  { members: Record<string, string[]>; generation: number; time: number } | null {
  const last = new Map<string, Synced>();
  const check = (time: number) => {
    const gens = new Set<number>();
    const seen = new Set<string>();
    const members: Record<string, string[]> = {};
    for (const name of alive) {
      const a = last.get(name);
      if (a === undefined) return null;
      gens.add(a.generation);
      for (const q of a.partitions) {
        if (seen.has(q)) return null;
        seen.add(q);
      }
      members[name] = [...a.partitions].sort(byTopicPartition);
    }
    return seen.size === partitions && gens.size === 1 ? { members, generation: [...gens][0]!, time } : null;
  };
  let checkedFrom = false;
  for (const s of synced) {
    if (s.time > to) break;
    if (s.time >= from && !checkedFrom) {
      checkedFrom = true;
      const stable = check(from);
      if (stable) return stable;
    }
    if (alive.has(s.member)) last.set(s.member, s);
    if (s.time >= from) {
      const stable = check(s.time);
      if (stable) return stable;
    }
  }
  return checkedFrom ? null : check(from);
}

function byTopicPartition(a: string, b: string): number {
  const da = a.lastIndexOf('-');
  const db = b.lastIndexOf('-');
  const c = a.slice(0, da).localeCompare(b.slice(0, db));
  return c !== 0 ? c : Number(a.slice(da + 1)) - Number(b.slice(db + 1));
}

/**
 * The model's error as the driver names the real one (Errors.forException): a batch that expired
 * (delivery.timeout.ms) fails with a TimeoutException in the Java client, which is REQUEST_TIMED_OUT.
 */
function errorName(error: string | undefined): string {
  if (error === undefined) return 'UNKNOWN';
  return error === 'delivery.timeout.ms expired' ? 'REQUEST_TIMED_OUT' : error;
}
