import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RabbitBroker } from '../../models/rabbitmq/broker/broker.js';
import { ReadyMessages, type QueuedMessage } from '../../models/rabbitmq/broker/ready-messages.js';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import {
  checkBrokers, checkLeader, checkSynced, InvariantViolation,
  type BrokerView, type ChannelView, type LeaderGhost, type MemberView, type QueueView, type UnackedView,
} from '../../models/rabbitmq/invariants.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';
import { readGoldenHashes, REPO_ROOT } from '../../scripts/golden.js';

// ------------------------------------------------------------------ hand-built states

function message(id: number, stored = true): QueuedMessage {
  return {
    id, pos: id, exchange: '', routingKey: 'q', priority: 0, expiresAt: Number.POSITIVE_INFINITY, stored, redelivered: false,
    content: { properties: { deliveryMode: stored ? 2 : 1, messageId: `p-${id}`, timestamp: 0 }, key: undefined, bytes: 10 },
  };
}

interface Built {
  queue: QueueView & { ready: ReadyMessages; store: { live: number; unwrittenAcks: number } | null };
  unacked: Map<number, UnackedView>;
  broker: BrokerView;
}

/** One broker with queue `/|q` holding `ready` ready and `unacked` unacked (on channel 1 of conn c1), its store holding every stored one. */
function classic(ready: QueuedMessage[], unacked: QueuedMessage[], options: { durable?: boolean } = {}): Built {
  const list = new ReadyMessages(0);
  for (const m of ready) list.insert(m);
  const stored = [...ready, ...unacked].filter((m) => m.stored).length;
  const queue = { key: '/|q', ready: list, deleted: false, store: options.durable === false ? null : { live: stored, unwrittenAcks: 0 } };
  const entries = new Map<number, UnackedView>();
  unacked.forEach((m, i) => entries.set(i + 1, { tag: i + 1, queue, message: m }));
  const channel: ChannelView = { number: 1, unacked: entries };
  const broker: BrokerView = {
    name: 'rabbit-1', queues: new Map([[queue.key, queue]]), connections: new Map([['c1', { id: 'c1', channels: new Map([[1, channel]]) }]]), members: [],
  };
  return { queue, unacked: entries, broker };
}

function member(key: string, role: string, term: number, ready: QueuedMessage[], out: Record<string, QueuedMessage[]>, lastApplied = 0): MemberView {
  const list = new ReadyMessages(0);
  for (const m of ready) list.insert(m);
  const byConsumer = Object.entries(out).map(([c, ms]) => [c, new Map(ms.map((m) => [m.id, m]))] as const);
  return { key, raft: { role, term, lastApplied }, fifo: { ready: list, checkedOutBy: () => byConsumer } };
}

function quorumBroker(name: string, members: MemberView[]): BrokerView {
  return { name, queues: new Map(), connections: new Map(), members };
}

describe('rabbitmq invariants: each one catches a hand-broken state', () => {
  it('a consistent state passes', () => {
    const { broker } = classic([message(1), message(2, false)], [message(3), message(4, false)]);
    const q = quorumBroker('rabbit-2', [member('/|qq', 'leader', 3, [message(5)], { a: [message(6)], b: [message(7)] })]);
    expect(checkBrokers([broker, q], new Map())).toBeNull();
  });

  it('QuorumLeaderPerTerm: two nodes leading one term, by election or in the members\' state; one node re-seen, or a later term, is fine', () => {
    const ghost: LeaderGhost = new Map();
    expect(checkLeader(ghost, '/|qq', 'rabbit-1', 2)).toBeNull();
    expect(checkLeader(ghost, '/|qq', 'rabbit-1', 2)).toBeNull();
    expect(checkLeader(ghost, '/|qq', 'rabbit-2', 3)).toBeNull();
    expect(checkLeader(ghost, '/|qq', 'rabbit-3', 2)).toMatchObject({ invariant: 'QuorumLeaderPerTerm', queue: '/|qq', message: 'rabbit-3 is leader in term 2, which rabbit-1 already led' });
    const split = [quorumBroker('rabbit-1', [member('/|qq', 'leader', 4, [], {})]), quorumBroker('rabbit-2', [member('/|qq', 'leader', 4, [], {})])];
    expect(checkBrokers(split, new Map())).toMatchObject({ invariant: 'QuorumLeaderPerTerm', queue: '/|qq' });
    const deposed = [quorumBroker('rabbit-1', [member('/|qq', 'leader', 4, [], {})]), quorumBroker('rabbit-2', [member('/|qq', 'leader', 5, [], {})])];
    expect(checkBrokers(deposed, new Map())).toBeNull();
  });

  it('QuorumStateMachine: two members at one applied index holding different queues; at different indexes they may differ', () => {
    const same = [
      quorumBroker('rabbit-1', [member('/|qq', 'leader', 2, [message(3), message(4)], { a: [message(2)] }, 9)]),
      quorumBroker('rabbit-2', [member('/|qq', 'follower', 2, [message(3), message(4)], { a: [message(2)] }, 9)]),
      quorumBroker('rabbit-3', [member('/|qq', 'follower', 2, [message(2), message(3), message(4)], {}, 7)]),
    ];
    expect(checkBrokers(same, new Map())).toBeNull();
    const diverged = [
      quorumBroker('rabbit-1', [member('/|qq', 'leader', 2, [message(3), message(4)], { a: [message(2)] }, 9)]),
      quorumBroker('rabbit-2', [member('/|qq', 'follower', 2, [message(4)], { a: [message(2)] }, 9)]),
    ];
    expect(checkBrokers(diverged, new Map())).toMatchObject({
      invariant: 'QuorumStateMachine', queue: '/|qq', message: 'rabbit-1 and rabbit-2 have both applied 9 entries but hold different queues',
      state: { applied: 9, 'rabbit-1': 'ready 3,4; out a:2', 'rabbit-2': 'ready 4; out a:2' },
    });
  });

  it('ReadyXorUnacked: a delivered message put back in the ready list while still unacked (classic and quorum)', () => {
    const m = message(3);
    const { broker, queue } = classic([message(1)], [m]);
    queue.ready.insert(m);
    queue.store!.live++; // keep the store count in step, so only the overlap is wrong
    expect(checkBrokers([broker], new Map())).toMatchObject({ invariant: 'ReadyXorUnacked', queue: '/|q', message: 'on rabbit-1 p-3 is ready in its queue and unacked on c1 channel 1 tag 1' });
    const q = message(8);
    expect(checkBrokers([quorumBroker('rabbit-2', [member('/|qq', 'follower', 1, [q], { a: [q] })])], new Map())).toMatchObject({ invariant: 'ReadyXorUnacked', queue: '/|qq' });
  });

  it('SingleUnacked: one delivery under two tags, a tag filed under another, a quorum message checked out twice', () => {
    const m = message(3);
    const { broker, unacked } = classic([], [m]);
    unacked.set(2, { tag: 2, queue: (unacked.get(1) as { queue: QueueView }).queue, message: m });
    expect(checkBrokers([broker], new Map())).toMatchObject({ invariant: 'SingleUnacked', message: 'on rabbit-1 p-3 is unacked twice: c1 channel 1 tag 1 and c1 channel 1 tag 2' });
    const other = classic([], [message(4)]);
    const entry = other.unacked.get(1)!;
    other.unacked.delete(1);
    other.unacked.set(7, entry);
    expect(checkBrokers([other.broker], new Map())?.message).toMatch(/filed under delivery tag 7 .* delivered with tag 1/);
    const q = message(9);
    expect(checkBrokers([quorumBroker('rabbit-2', [member('/|qq', 'leader', 1, [], { a: [q], b: [q] })])], new Map())).toMatchObject({ invariant: 'SingleUnacked', message: 'on rabbit-2 message 9 is checked out by a and b' });
  });

  it('ReadyCount: a ready count that is not what the ready list holds', () => {
    const { broker, queue } = classic([message(1), message(2)], []);
    queue.ready.count = 3;
    expect(checkBrokers([broker], new Map())).toMatchObject({ invariant: 'ReadyCount', queue: '/|q' });
  });

  it('StoreMatchesQueue: a store holding a message the queue lost, or missing one it holds; an ack unwritten on a full disk is allowed for', () => {
    const lost = classic([message(1)], [message(2)]);
    lost.queue.store!.live = 3;
    expect(checkBrokers([lost.broker], new Map())).toMatchObject({ invariant: 'StoreMatchesQueue', message: 'on rabbit-1 the store holds 3 messages but the queue has 1 persistent ready and 1 persistent unacked (0 acks unwritten on a full disk)' });
    lost.queue.store!.unwrittenAcks = 1;
    expect(checkBrokers([lost.broker], new Map())).toBeNull();
    const missing = classic([message(1), message(2)], []);
    missing.queue.store!.live = 1;
    expect(checkBrokers([missing.broker], new Map())).toMatchObject({ invariant: 'StoreMatchesQueue' });
    // A transient queue has no store to compare.
    expect(checkBrokers([classic([message(1)], [], { durable: false }).broker], new Map())).toBeNull();
  });

  it('ConfirmedOnDisk: confirms released while a store file is not durable to what was written before the fsync', () => {
    const file = { name: 'queue:/|q', durableLength: 4 };
    expect(checkSynced([{ file, length: 4 }])).toBeNull();
    expect(checkSynced([{ file, length: 5 }])).toMatchObject({ invariant: 'ConfirmedOnDisk', queue: 'queue:/|q' });
  });
});

// ------------------------------------------------------------------ a corrupted model stops the run

describe('rabbitmq invariants: a corrupted broker stops the run', () => {
  const schema = scenarioSchema(rabbitmqModel.parts);
  /**
   * At 2s the test puts an unacked delivery of rabbit-1 back into its queue's ready list behind
   * the model's back (prefetch 5 with a consumer taking 10s a message keeps deliveries unacked); at 3s a second
   * consumer connects: that control-plane change is checked, and finds the message both ready and unacked.
   */
  const corrupted = (invariants: boolean) => {
    const scenario = schema.parse({
      name: 't', system: 'rabbitmq', duration: '5s', drain: '5s', cluster: { invariants },
      queues: [{ name: 'q', durable: true }],
      workload: {
        producers: [{ id: 'p1', rate: '100/s', persistent: true, routingKey: 'q', config: { confirm: true } }],
        consumers: [{ queue: 'q', processing: { constant: '10s' }, config: { prefetch: 5 } }, { group: 'late', queue: 'q', start: '3s' }],
      },
    }) as RabbitScenario;
    const world = new World({ seed: 1, keepHistory: true });
    const model = rabbitmqModel.build(world, scenario);
    world.kernel.at(2_000_000, () => {
      const broker = world.node('rabbit-1').actor as RabbitBroker;
      const queue = broker.queues.get('/|q')!;
      const channel = [...broker.connections.values()].flatMap((c) => [...c.channels.values()]).find((ch) => ch.unacked.size > 0)!;
      const entry = [...channel.unacked.values()][0]!;
      if (entry.remote) throw new Error('a local delivery was expected');
      queue.ready.insert(entry.message);
      queue.store?.recovered([entry.message]); // the store counts it too: only ReadyXorUnacked is broken
    }, undefined);
    const result = world.run({ duration: scenario.duration, drain: scenario.drain! });
    return { result, model };
  };

  it('the checker names ReadyXorUnacked, the queue, the node and the time', () => {
    let error: unknown;
    try {
      corrupted(true);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvariantViolation);
    const violation = (error as InvariantViolation).violation;
    expect(violation.invariant).toBe('ReadyXorUnacked');
    expect(violation.queue).toBe('/|q');
    expect((error as InvariantViolation).time).toBeGreaterThanOrEqual(3_000_000);
    expect((error as Error).message).toMatch(/^invariant ReadyXorUnacked violated for \/\|q at \d+\.\d+s, after .* on rabbit-1: on rabbit-1 p1-\d+ is ready in its queue and unacked on /);
  });

  it('the same corruption with the checker off runs to the end (the checker is what stops it)', () => {
    const { model } = corrupted(false);
    expect(model.counts().confirmed).toBeGreaterThan(0);
    expect(model.counts().invariantChecks).toBeUndefined();
  });
});

describe('rabbitmq invariants: a quorum member made leader behind Raft\'s back stops the run', () => {
  const schema = scenarioSchema(rabbitmqModel.parts);
  /**
   * Three nodes, quorum queue jobs led by rabbit-1. From 1.9s rabbit-2 and rabbit-1 are cut
   * apart (so no append_entries of rabbit-1 puts rabbit-2 back in line); at 2s the test makes rabbit-2's
   * member act as leader in rabbit-1's term (no election: two leaders in one term, what Raft's
   * vote rules exclude); at 3s a consumer connects to rabbit-3, a control-plane change, whose
   * check sees both.
   */
  const corrupted = (invariants: boolean) => {
    const scenario = schema.parse({
      name: 't', system: 'rabbitmq', duration: '5s', drain: '5s', cluster: { brokers: 3, invariants },
      queues: [{ name: 'jobs', durable: true, arguments: { 'x-queue-type': 'quorum' } }],
      workload: {
        producers: [{ id: 'p1', node: 'rabbit-2', rate: '50/s', routingKey: 'jobs', persistent: true, config: { confirm: true } }],
        consumers: [{ queue: 'jobs', node: 'rabbit-3', start: '3s' }],
      },
      faults: [{ at: '1900ms', partition: [['rabbit-2'], ['rabbit-1']] }],
    }) as RabbitScenario;
    const world = new World({ seed: 1, keepHistory: true });
    const model = rabbitmqModel.build(world, scenario);
    world.kernel.at(2_000_000, () => {
      const brokerOf = (name: string) => world.node(name).actor as unknown as { app: RabbitBroker };
      const leader = brokerOf('rabbit-1').app.link!.members.get('/|jobs')!.raft;
      const follower = brokerOf('rabbit-2').app.link!.members.get('/|jobs')!.raft;
      expect(leader.role).toBe('leader');
      expect(follower.term).toBe(leader.term);
      follower.role = 'leader';
    }, undefined);
    world.run({ duration: scenario.duration, drain: scenario.drain!, faults: scenario.faults! });
    return model;
  };

  it('the checker names QuorumLeaderPerTerm and both leaders', () => {
    let error: unknown;
    try {
      corrupted(true);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvariantViolation);
    const violation = (error as InvariantViolation).violation;
    expect(violation.invariant).toBe('QuorumLeaderPerTerm');
    expect(violation.queue).toBe('/|jobs');
    expect(violation.message).toMatch(/^rabbit-2 is leader in term \d+, which rabbit-1 already led$/);
    expect((error as InvariantViolation).time).toBeGreaterThanOrEqual(2_000_000);
  });

  it('with the checker off the run goes on', () => {
    expect(corrupted(false).counts().invariantChecks).toBeUndefined();
  });
});

// ------------------------------------------------------------------ every shipped scenario, checked

describe('rabbitmq invariants: every shipped RabbitMQ scenario with cluster.invariants: true', () => {
  const golden = readGoldenHashes();
  const dir = join(REPO_ROOT, 'scenarios', 'rabbitmq');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('there are scenarios', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(files)('%s raises no violation, checks, and keeps its trace hash', (file) => {
    const path = `scenarios/rabbitmq/${file}`;
    const loaded = loadScenario(join(REPO_ROOT, path), { file: path });
    const cluster = (loaded as unknown as RabbitScenario).cluster;
    expect(cluster?.invariants).toBeUndefined();
    const result = simulate({ ...loaded, cluster: { ...cluster, invariants: true } });
    expect(result.counts.invariantChecks).toBeGreaterThan(0);
    // The checker only reads: the run is the same event for event.
    expect(result.traceHash).toBe(golden[path]);
  });
});

// ------------------------------------------------------------------ property: random fault schedules

interface Fault {
  kind: 'crash' | 'kill' | 'pause' | 'isolate';
  node: number;
  at: number;
  length: number;
}

const NODES = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
const END = 30;

const faultArb: fc.Arbitrary<Fault> = fc.record({
  kind: fc.constantFrom('crash', 'kill', 'pause', 'isolate'),
  node: fc.integer({ min: 0, max: 2 }),
  at: fc.integer({ min: 2, max: 20 }),
  length: fc.integer({ min: 1, max: 10 }),
});

/** Faults at any time, overlapping or not: the invariants hold under every schedule. */
function schedule(faults: readonly Fault[]): unknown[] {
  const steps: unknown[] = [];
  for (const f of faults) {
    const name = NODES[f.node]!;
    const end = Math.min(END - 1, f.at + f.length);
    if (f.kind === 'crash' || f.kind === 'kill') {
      steps.push({ at: `${f.at}s`, crash: name, keepPageCache: f.kind === 'kill' });
      steps.push({ at: `${end}s`, restart: name });
    } else if (f.kind === 'pause') {
      steps.push({ at: `${f.at}s`, pause: name, for: `${end - f.at}s` });
    } else {
      steps.push({ at: `${f.at}s`, partition: [[name], NODES.filter((n) => n !== name)] });
      steps.push({ at: `${end}s`, heal: true });
    }
  }
  return steps;
}

describe('rabbitmq invariants: random fault schedules on a three-node cluster, checked after every control-plane change', () => {
  const schema = scenarioSchema(rabbitmqModel.parts);
  it('no invariant breaks, with a quorum queue and a classic queue, under every partition handling', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.array(faultArb, { minLength: 1, maxLength: 4 }), fc.constantFrom('ignore', 'pause_minority', 'autoheal'), fc.integer({ min: 1, max: 1_000 }),
        (faults, handling, seed) => {
          const scenario = schema.parse({
            name: 't', system: 'rabbitmq', seed, duration: `${END}s`, drain: '20s',
            cluster: { brokers: 3, invariants: true, config: { net_ticktime: '8s', cluster_partition_handling: handling, heartbeat: '10s' } },
            queues: [
              { name: 'jobs', durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } },
              { name: 'mail', durable: true, node: 'rabbit-1', arguments: { 'x-message-ttl': '3s', 'x-max-length': 40 } },
            ],
            network: { latency: { uniform: ['1ms', '3ms'] } },
            workload: {
              producers: [
                { id: 'p1', node: ['rabbit-2', 'rabbit-3'], rate: '20/s', routingKey: 'jobs', persistent: true, config: { confirm: true } },
                { id: 'p2', node: ['rabbit-1', 'rabbit-2'], rate: '20/s', routingKey: 'mail', persistent: true, config: { confirm: true } },
              ],
              consumers: [
                { queue: 'jobs', node: ['rabbit-3', 'rabbit-1'], processing: '20ms', failureRate: 0.1, config: { prefetch: 5 } },
                { queue: 'mail', node: ['rabbit-2', 'rabbit-1'], processing: '30ms', failureRate: 0.1, config: { prefetch: 3 } },
              ],
            },
            faults: schedule(faults),
          }) as RabbitScenario;
          const world = new World({ seed, keepHistory: false });
          const model = rabbitmqModel.build(world, scenario);
          world.run({ duration: scenario.duration, drain: scenario.drain!, faults: scenario.faults! });
          checked++;
          expect(model.counts().invariantChecks).toBeGreaterThan(3);
        },
      ),
      { numRuns: 15, seed: 16_2026 },
    );
    expect(checked).toBe(15);
  }, 300_000);
});
