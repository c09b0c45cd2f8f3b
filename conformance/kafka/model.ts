import { kafkaModel } from '../../models/kafka/index.js';
import { partitionForKey } from '../../models/kafka/partitioner.js';
import { assignReplicas } from '../../models/kafka/replica-assignment.js';
import { parseScenario } from '../../models/scenario.js';
import { World } from '../../sim/world.js';
import { PROBE_BROKER_CONFIG } from './broker.js';
import { emptyObserved, type KafkaProbe, type Observed } from './probe.js';

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
 * The Kafka model has no version switch yet: it behaves as 3.7 and 4.0 alike in everything these
 * probes show; every difference from Kafka 4.0.2 a probe shows is listed in
 * conformance/DIVERGENCES.md.
 */

const MS = 1_000;
const GAP = 100;
/** How long an await-stable step waits for the group to settle (a cooperative rebalance takes two rounds, each noticed on a heartbeat). */
const AWAIT_WINDOW = 10_000;
/** How long a read's consumer has (it may have to find a new leader first); the real driver reads up to the end offsets it saw when it started. */
const READ_WINDOW = 20_000;
/** The real read's endOffsets timeout. */
const END_OFFSETS_TIMEOUT = 15_000;
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

export function runProbeInModel(probe: KafkaProbe, _realVersion?: string): Observed {
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
      case 'await-stable': at += step.withinMs ?? AWAIT_WINDOW; break;
      case 'received':
      case 'open': break;
      default: at += GAP;
    }
  }
  const end = at + 1_000;

  const producers: unknown[] = [];
  const consumers: unknown[] = [];
  const faults: unknown[] = [];
  const joined: string[] = [];
  const memberEntry = new Map<string, { steps: unknown[] }>();
  const reads: { label: string; at: number; process: string }[] = [];
  for (const [i, { at: t, step }] of timed.entries()) {
    const later = timed.slice(i + 1);
    switch (step.op) {
      case 'produce': {
        const opened = timed.slice(0, i).find((s) => s.step.op === 'open' && s.step.producer === step.producer)?.step as { config?: Config } | undefined;
        producers.push({ id: step.producer, topic: step.topic, count: step.count, rate: '1000/s', start: `${t}ms`, config: modelConfig(opened?.config ?? step.config) });
        break;
      }
      case 'fault':
        for (const id of step.brokers) {
          const node = `broker-${id}`;
          if (step.action === 'kill') {
            const back = later.find((s) => s.step.op === 'fault' && s.step.action === 'restart' && s.step.brokers.includes(id));
            faults.push({ at: `${t}ms`, kill: node, for: `${(back?.at ?? end + 3_600_000) - t}ms` });
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
        consumers.push({ group: `read-${step.label}`, topic: step.topic, mode: 'assign', start: `${t}ms`, config: { 'auto.offset.reset': 'earliest' } });
        reads.push({ label: step.label, at: t, process: `read-${step.label}-c1` });
        break;
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
      brokers, metadata: 'kraft', controllers: 1, ...(probe.cluster === 'single' ? { combined: true } : {}),
      config: {
        'group.initial.rebalance.delay.ms': PROBE_BROKER_CONFIG['group.initial.rebalance.delay.ms'],
        'offsets.topic.num.partitions': 5, 'offsets.topic.replication.factor': brokers,
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
  world.run({ duration: end * MS, drain: 0, faults: parsed.faults ?? [] });
  const ops = world.history.ops;
  if (world.notes.length >= 10_000) throw new Error(`probe ${probe.id}: the model's notes overflowed; the group-synced notes are incomplete`);
  // Each member's SyncGroup outcome (the generation and the partitions it owns from then on), as
  // the model's consumer notes it (group-synced), the way the real driver notes the assignment and
  // groupMetadata().generationId() after each rebalance callback.
  const synced: Synced[] = world.notes.filter((n) => n.what === 'group-synced').map((n) => ({
    time: n.at, member: n.node, generation: Number(n.detail?.generation), partitions: [...(n.detail?.partitions as string[] ?? [])],
  }));

  // Sends: the last outcome of each message.
  for (const op of ops) {
    if (op.f !== 'send' || op.type === 'invoke' || op.msg === undefined) continue;
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
    observed.reads[read.label] = noPosition.has(read.label) ? 'error REQUEST_TIMED_OUT' : result;
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
