import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rabbitmqModel, topologyOf, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import type { HistoryOp } from '../../sim/history.js';
import { World, type WorldResult } from '../../sim/world.js';
import type { ModelRun } from '../../models/model.js';

/** The RabbitMQ model end to end: schema parts, building, and a property over broker crashes. */

const schema = scenarioSchema(rabbitmqModel.parts);

function parse(raw: Record<string, unknown>): RabbitScenario {
  return schema.parse({ name: 'rabbit-test', system: 'rabbitmq', ...raw }) as RabbitScenario;
}

function run(raw: Record<string, unknown>, seed: number | string = 1): { result: WorldResult; model: ModelRun; world: World } {
  const scenario = parse(raw);
  const world = new World({ seed, keepHistory: true });
  const model = rabbitmqModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  return { result: world.run(options), model, world };
}

describe('rabbitmq model: scenario parts', () => {
  it('parses RabbitMQ argument names and rejects unknown or bad ones', () => {
    const s = parse({
      duration: '1s',
      queues: [{ name: 'q', durable: true, arguments: { 'x-message-ttl': '5s', 'x-max-length': 10, 'x-overflow': 'reject-publish' } }],
    });
    expect(s.queues?.[0]?.arguments).toEqual({ 'x-message-ttl': 5_000_000, 'x-max-length': 10, 'x-overflow': 'reject-publish' });
    expect(() => parse({ duration: '1s', queues: [{ name: 'q', durable: true, arguments: { 'x-overflow': 'drop-tail' } }] })).toThrow();
    expect(() => parse({ duration: '1s', queues: [{ name: 'q', durable: true, arguments: { 'x-max-lenght': 1 } }] })).toThrow();
    expect(() => parse({ duration: '1s', exchanges: [{ name: 'e', type: 'random' }] })).toThrow();
    expect(() => parse({ duration: '1s', bindings: [{ exchange: 'e', queue: 'q', toExchange: 'x' }] })).toThrow();
    expect(() => parse({ duration: '1s', workload: { consumers: [{ queue: 'q', config: { prefetch: -1 } }] } })).toThrow();
  });

  it('refuses a topology with dangling names', () => {
    expect(() => topologyOf(parse({ duration: '1s', bindings: [{ exchange: 'nope', queue: 'q' }] }))).toThrow(/no exchange "nope"[\s\S]*no queue "q"/);
    expect(() => topologyOf(parse({ duration: '1s', exchanges: [{ name: 'd', type: 'x-delayed-message' }] }))).toThrow(/x-delayed-type/);
    expect(() => topologyOf(parse({ duration: '1s', workload: { consumers: [{ queue: 'missing' }] } }))).toThrow(/no queue "missing"/);
    expect(() => topologyOf(parse({ duration: '1s', queues: [{ name: 'q', durable: true, vhost: 'other' }] }))).toThrow(/no vhost "other"/);
  });

  it('builds rabbit-1, producers and consumers with their roles', () => {
    const world = new World({ seed: 1 });
    rabbitmqModel.build(world, parse({
      duration: '1s', queues: [{ name: 'q', durable: true }],
      workload: { producers: [{ id: 'p1', count: 1, routingKey: 'q' }], consumers: [{ queue: 'q', count: 2 }, { queue: 'q', group: 'g' }] },
    }));
    expect(world.nodeNames()).toEqual(['rabbit-1', 'p1', 'q-c1', 'q-c2', 'g-c1']);
    expect(world.nodesWithRole('broker').map((n) => n.name)).toEqual(['rabbit-1']);
  });
});

describe('rabbitmq model: runs', () => {
  it('records a receive per delivery with queue, group, redelivered and no offset', () => {
    const { world } = run({
      duration: '1s', drain: '2s', queues: [{ name: 'q', durable: true }],
      workload: { producers: [{ id: 'p1', count: 3, rate: '10/s', routingKey: 'q', config: { confirm: true } }], consumers: [{ queue: 'q' }] },
    });
    const receives = world.history.ops.filter((op) => op.f === 'receive');
    expect(receives.map((r) => r.msg)).toEqual(['p1-0', 'p1-1', 'p1-2']);
    for (const r of receives) {
      expect(r).toMatchObject({ queue: 'q', group: 'q', node: 'rabbit-1', redelivered: false });
      expect(r.offset).toBeUndefined();
    }
    expect(world.history.ops.filter((op) => op.f === 'assign')).toEqual([]);
    expect(world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok')).toHaveLength(3);
    expect(world.history.ops.filter((op) => op.f === 'ack')).toHaveLength(3);
  });

  it('acks with multiple=true every ackEvery messages', () => {
    const { world, model } = run({
      duration: '1s', drain: '2s', queues: [{ name: 'q', durable: true }],
      workload: { producers: [{ id: 'p1', count: 10, routingKey: 'q' }], consumers: [{ queue: 'q', config: { ackEvery: 4, prefetch: 10 } }] },
    });
    expect(world.history.ops.filter((op) => op.f === 'ack')).toHaveLength(10);
    expect(model.counts().requeued).toBe(0);
  });

  it('a transient exchange is gone after a restart: publishing to it closes the channel with 404 NOT_FOUND', () => {
    const { world } = run({
      duration: '10s', drain: '1s',
      exchanges: [{ name: 'e', type: 'fanout' }], queues: [{ name: 'q', durable: true }], bindings: [{ exchange: 'e', queue: 'q' }],
      workload: { producers: [{ id: 'p1', rate: '10/s', exchange: 'e', config: { confirm: true } }], consumers: [{ queue: 'q', config: { heartbeat: '1s' } }] },
      faults: [{ at: '1s', kill: 'rabbit-1', for: '500ms' }],
    });
    const errors = world.notes.filter((n) => n.what === 'channel-error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.detail).toMatchObject({ replyCode: 404 });
    const okAfter = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok' && op.time > 2_000_000);
    expect(okAfter).toEqual([]);
  });
});

describe('rabbitmq model: property', () => {
  it('with persistent messages, a durable queue, confirms and manual acks, a broker crash loses nothing confirmed and redeliveries are flagged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 8_000 }),
        fc.integer({ min: 100, max: 4_000 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000 }),
        (crashAtMs, downMs, keepPageCache, seed) => {
          const { result, world } = run({
            duration: '10s', drain: '40s',
            queues: [{ name: 'q', durable: true }],
            workload: {
              producers: [{ id: 'p1', rate: '50/s', routingKey: 'q', persistent: true, config: { confirm: true, 'confirm.timeout': '5s' } }],
              consumers: [{ queue: 'q', processing: '25ms', config: { prefetch: 10, heartbeat: '5s' } }],
            },
            faults: [
              { at: `${crashAtMs}ms`, crash: 'rabbit-1', keepPageCache },
              { at: `${Math.min(10_000, crashAtMs + downMs)}ms`, restart: 'rabbit-1' },
            ],
          }, seed);
          expect(result.check.counts.lostAcked).toBe(0);
          // Only the broker redelivers here (no outbox).
          expectRedeliveriesFlaggedAndAcked(world.history.ops);
        },
      ),
      { numRuns: 12, seed: 5 },
    );
  });

  it('with persistent messages, a durable quorum queue on three nodes, confirms and manual acks, one broker crash or partition at a time loses nothing confirmed and redeliveries are flagged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('crash', 'kill', 'partition'),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 500, max: 8_000 }),
        fc.integer({ min: 200, max: 6_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        (kind, index, atMs, forMs, seed) => {
          const node = `rabbit-${index + 1}`;
          const end = `${Math.min(10_000, atMs + forMs)}ms`;
          const faults = kind === 'partition'
            ? [{ at: `${atMs}ms`, partition: [[node], ['rabbit-1', 'rabbit-2', 'rabbit-3'].filter((n) => n !== node)] }, { at: end, heal: true }]
            : kind === 'kill' ? [{ at: `${atMs}ms`, kill: node, for: `${forMs}ms` }]
              : [{ at: `${atMs}ms`, crash: node }, { at: end, restart: node }];
          const { result, world } = run({
            duration: '10s', drain: '40s', cluster: { brokers: 3, config: { net_ticktime: '8s' } },
            queues: [{ name: 'q', durable: true, arguments: { 'x-queue-type': 'quorum' } }],
            workload: {
              producers: [{ id: 'p1', node: ['rabbit-2', 'rabbit-3', 'rabbit-1'], rate: '50/s', routingKey: 'q', persistent: true, config: { confirm: true, 'confirm.timeout': '5s', heartbeat: '5s' } }],
              consumers: [{ queue: 'q', node: ['rabbit-3', 'rabbit-1', 'rabbit-2'], processing: '25ms', config: { prefetch: 10, heartbeat: '5s' } }],
            },
            faults,
          }, seed);
          expect(result.check.counts.lostAcked).toBe(0);
          // A resent enqueue is stored once (enqueuer + sequence dedup), so every repeat is the queue's redelivery.
          expectRedeliveriesFlaggedAndAcked(world.history.ops);
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });
});

/**
 * Every repeat delivery of a message is flagged `redelivered`, and every delivered message is
 * eventually acked (one not acked was redelivered until it was).
 */
function expectRedeliveriesFlaggedAndAcked(ops: readonly HistoryOp[]): void {
  const byMsg = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    if (op.f !== 'receive' || op.msg === undefined) continue;
    let list = byMsg.get(op.msg);
    if (!list) byMsg.set(op.msg, (list = []));
    list.push(op);
  }
  const acked = new Set(ops.filter((op) => op.f === 'ack').map((op) => op.msg));
  for (const [msg, receives] of byMsg) {
    for (const again of receives.slice(1)) expect(again.redelivered, msg).toBe(true);
    expect(acked.has(msg), msg).toBe(true);
  }
}
