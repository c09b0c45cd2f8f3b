import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RabbitBroker } from '../../models/rabbitmq/broker/broker.js';
import type { QueueDef } from '../../models/rabbitmq/broker/queue-process.js';
import { emptyStats, type RabbitStats } from '../../models/rabbitmq/stats.js';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import type { AmqpFrame, BasicDeliver, Content } from '../../models/rabbitmq/protocol.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';

/**
 * Single active consumer (x-single-active-consumer) and consumer exclusivity (basic.consume
 * exclusive), driven frame by frame by scripted clients, each on its own connection, over 1ms links;
 * then end to end through the model's consumers.
 */

const MS = 1_000;

class Client implements Actor {
  ctx!: NodeContext;
  readonly got: { at: number; frame: AmqpFrame }[] = [];
  constructor(readonly conn: string) {}
  start(ctx: NodeContext): void {
    this.ctx = ctx;
  }
  receive(_from: string, message: Message): void {
    this.got.push({ at: this.ctx.trueNow(), frame: message as AmqpFrame });
  }
  send(frame: AmqpFrame): void {
    this.ctx.send('rabbit-1', frame, 64);
  }
  deliveries(): BasicDeliver[] {
    return this.got.filter((g) => g.frame.type === 'basic.deliver').map((g) => g.frame as BasicDeliver);
  }
  closes(): Extract<AmqpFrame, { type: 'channel.close' }>[] {
    return this.got.filter((g) => g.frame.type === 'channel.close').map((g) => g.frame as Extract<AmqpFrame, { type: 'channel.close' }>);
  }
}

function content(id: string): Content {
  return { properties: { deliveryMode: 1, messageId: id, timestamp: 0 }, key: undefined, bytes: 100 };
}

function harness(q: QueueDef, names: string[]) {
  const world = new World({ seed: 1, network: { latency: { constant: MS } }, disk: { fsyncLatency: { constant: MS } } });
  const stats: RabbitStats = emptyStats();
  world.addNode('rabbit-1', () => new RabbitBroker({
    vhosts: ['/'], exchanges: [], queues: [q], bindings: [], heartbeat: 60_000 * MS, fsyncInterval: 200 * MS, stats,
  }), { roles: ['broker'] });
  const clients = new Map<string, Client>();
  for (const name of names) {
    const client = new Client(`${name}/1`);
    clients.set(name, client);
    world.addNode(name, () => client);
  }
  const at = (time: number, fn: () => void) => world.kernel.at(time, fn, null);
  const c = (name: string) => clients.get(name)!;
  /** connection.open (heartbeat in ms, 0 = off) + channel.open + basic.qos + basic.consume. */
  const subscribe = (time: number, name: string, opts: { prefetch?: number; exclusive?: boolean; heartbeat?: number } = {}) => at(time, () => {
    const client = c(name);
    client.send({ type: 'connection.open', conn: client.conn, vhost: '/', user: 'guest', heartbeat: (opts.heartbeat ?? 0) * MS });
    client.send({ type: 'channel.open', conn: client.conn, channel: 1 });
    if (opts.prefetch) client.send({ type: 'basic.qos', conn: client.conn, channel: 1, prefetchCount: opts.prefetch });
    client.send({
      type: 'basic.consume', conn: client.conn, channel: 1, queue: q.name, consumerTag: `${name}-tag`, noAck: false,
      ...(opts.exclusive ? { exclusive: true } : {}),
    });
  });
  const publish = (time: number, ids: string[]) => at(time, () => {
    const p = c('p');
    for (const id of ids) p.send({ type: 'basic.publish', conn: p.conn, channel: 1, exchange: '', routingKey: q.name, mandatory: false, content: content(id) });
  });
  const openPublisher = (time: number) => at(time, () => {
    const p = c('p');
    p.send({ type: 'connection.open', conn: p.conn, vhost: '/', user: 'guest', heartbeat: 0 });
    p.send({ type: 'channel.open', conn: p.conn, channel: 1 });
  });
  const ack = (time: number, name: string, deliveryTag: number, multiple = false) => at(time, () => {
    const client = c(name);
    client.send({ type: 'basic.ack', conn: client.conn, channel: 1, deliveryTag, multiple });
  });
  const cancel = (time: number, name: string) => at(time, () => {
    const client = c(name);
    client.send({ type: 'basic.cancel', conn: client.conn, channel: 1, consumerTag: `${name}-tag` });
  });
  const run = (until: number) => world.run({ duration: until, drain: 0 });
  return { world, stats, c, subscribe, publish, openPublisher, ack, cancel, run };
}

const queue = (name: string, args: QueueDef['args'] = {}): QueueDef => ({ vhost: '/', name, durable: true, exclusive: false, autoDelete: false, args });
const ids = (ds: BasicDeliver[]) => ds.map((d) => d.content.properties.messageId);

describe('rabbitmq: single active consumer', () => {
  it('delivers only to the first registered consumer; the others wait (a plain queue round-robins)', () => {
    for (const sac of [true, false]) {
      const h = harness(queue('q', sac ? { 'x-single-active-consumer': true } : {}), ['a', 'b', 'c', 'p']);
      h.subscribe(1 * MS, 'a');
      h.subscribe(5 * MS, 'b');
      h.subscribe(10 * MS, 'c');
      h.openPublisher(1 * MS);
      h.publish(50 * MS, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      h.run(200 * MS);
      if (sac) {
        expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
        expect(h.c('b').deliveries()).toEqual([]);
        expect(h.c('c').deliveries()).toEqual([]);
        const notes = h.world.notes.filter((n) => n.what.startsWith('sac-')).map((n) => `${n.what} ${n.detail?.consumerTag}`);
        expect(notes).toEqual(['sac-active a-tag', 'sac-waiting b-tag', 'sac-waiting c-tag']);
      } else {
        expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm3']);
        expect(ids(h.c('b').deliveries())).toEqual(['m1', 'm4']);
        expect(ids(h.c('c').deliveries())).toEqual(['m2', 'm5']);
      }
    }
  });

  it('when the active consumer\'s connection dies, its unacked messages are requeued and the next registered consumer gets them first, redelivered, in order', () => {
    const h = harness(queue('q', { 'x-single-active-consumer': true }), ['a', 'b', 'c', 'p']);
    h.subscribe(1 * MS, 'a', { prefetch: 3, heartbeat: 1_000 });
    h.subscribe(5 * MS, 'b', { prefetch: 3 });
    h.subscribe(10 * MS, 'c', { prefetch: 3 });
    h.openPublisher(1 * MS);
    h.publish(50 * MS, ['m0', 'm1', 'm2', 'm3', 'm4']);
    h.ack(100 * MS, 'a', 1); // m0 done; m1, m2 stay unacked; a then goes silent (dropped at the broker's second quiet check, 3s)
    h.run(4_000 * MS);
    expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm1', 'm2', 'm3']);
    const b = h.c('b').deliveries();
    expect(ids(b)).toEqual(['m1', 'm2', 'm3']);
    expect(b.map((d) => d.redelivered)).toEqual([true, true, true]);
    expect(h.c('c').deliveries()).toEqual([]);
    expect(h.stats.sacFailovers).toBe(1);
    expect(h.stats.standbyDeliveries).toBe(3);
    const activated = h.world.notes.filter((n) => n.what === 'sac-active').map((n) => n.detail?.consumerTag);
    expect(activated).toEqual(['a-tag', 'b-tag']);
  });

  it('after basic.cancel of the active consumer the next one takes new messages; the cancelled one keeps its unacked deliveries', () => {
    const h = harness(queue('q', { 'x-single-active-consumer': true }), ['a', 'b', 'p']);
    h.subscribe(1 * MS, 'a', { prefetch: 2 });
    h.subscribe(5 * MS, 'b', { prefetch: 2 });
    h.openPublisher(1 * MS);
    h.publish(50 * MS, ['m0', 'm1', 'm2', 'm3']);
    h.cancel(100 * MS, 'a');
    h.ack(150 * MS, 'a', 2, true);
    h.run(500 * MS);
    expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm1']);
    expect(ids(h.c('b').deliveries())).toEqual(['m2', 'm3']);
    expect(h.c('a').closes()).toEqual([]); // acking after cancel is fine
    expect(h.stats.sacFailovers).toBe(1);
  });

  it('cancelling a waiting consumer changes nothing for the active one', () => {
    const h = harness(queue('q', { 'x-single-active-consumer': true }), ['a', 'b', 'p']);
    h.subscribe(1 * MS, 'a');
    h.subscribe(5 * MS, 'b');
    h.cancel(20 * MS, 'b');
    h.openPublisher(1 * MS);
    h.publish(50 * MS, ['m0', 'm1']);
    h.run(200 * MS);
    expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm1']);
    expect(h.stats.sacFailovers).toBe(0);
  });
});

describe('rabbitmq: exclusive consumer', () => {
  it('refuses a second consumer with ACCESS_REFUSED 403 and closes its channel; it gets nothing', () => {
    const h = harness(queue('q'), ['a', 'b', 'p']);
    h.subscribe(1 * MS, 'a', { exclusive: true });
    h.subscribe(10 * MS, 'b');
    h.openPublisher(1 * MS);
    h.publish(50 * MS, ['m0', 'm1']);
    h.run(200 * MS);
    expect(h.c('b').closes()).toEqual([
      expect.objectContaining({ replyCode: 403, replyText: "ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use" }),
    ]);
    expect(h.c('b').deliveries()).toEqual([]);
    expect(ids(h.c('a').deliveries())).toEqual(['m0', 'm1']);
    expect(h.stats.consumeRefused).toBe(1);
  });

  it('refuses an exclusive request on a queue that already has a consumer', () => {
    const h = harness(queue('q'), ['a', 'b']);
    h.subscribe(1 * MS, 'a');
    h.subscribe(10 * MS, 'b', { exclusive: true });
    h.run(100 * MS);
    expect(h.c('b').closes().map((f) => f.replyCode)).toEqual([403]);
    expect(h.c('a').closes()).toEqual([]);
  });

  it('once the exclusive consumer is cancelled, another may subscribe', () => {
    const h = harness(queue('q'), ['a', 'b', 'p']);
    h.subscribe(1 * MS, 'a', { exclusive: true });
    h.cancel(20 * MS, 'a');
    h.subscribe(30 * MS, 'b', { exclusive: true });
    h.openPublisher(1 * MS);
    h.publish(50 * MS, ['m0']);
    h.run(200 * MS);
    expect(h.c('b').closes()).toEqual([]);
    expect(ids(h.c('b').deliveries())).toEqual(['m0']);
    expect(h.stats.consumeRefused).toBe(0);
  });
});

describe('rabbitmq model: single active consumer and exclusive consumers end to end', () => {
  const schema = scenarioSchema(rabbitmqModel.parts);
  const run = (raw: Record<string, unknown>) => {
    const scenario = schema.parse({ name: 't', system: 'rabbitmq', ...raw }) as RabbitScenario;
    const world = new World({ seed: 3, keepHistory: true });
    const model = rabbitmqModel.build(world, scenario);
    const options: Parameters<World['run']>[0] = { duration: scenario.duration };
    if (scenario.drain !== undefined) options.drain = scenario.drain;
    if (scenario.faults !== undefined) options.faults = scenario.faults;
    const result = world.run(options);
    return { world, model, result };
  };

  it('validates the new keys', () => {
    expect(() => schema.parse({ name: 't', system: 'rabbitmq', duration: '1s', queues: [{ name: 'q', durable: true, arguments: { 'x-single-active-consumer': 'yes' } }] })).toThrow();
    expect(() => schema.parse({ name: 't', system: 'rabbitmq', duration: '1s', workload: { consumers: [{ queue: 'q', config: { exclusive: 1 } }] } })).toThrow();
  });

  it('a standby takes over when the active consumer crashes, and receives only after the crash', () => {
    const { world, model } = run({
      duration: '6s', drain: '10s',
      queues: [{ name: 'q', durable: true, arguments: { 'x-single-active-consumer': true } }],
      workload: {
        producers: [{ id: 'p1', rate: '50/s', keys: 2, routingKey: 'q', persistent: true, config: { confirm: true } }],
        consumers: [
          { queue: 'q', processing: '5ms', config: { prefetch: 5, heartbeat: '2s' } },
          { queue: 'q', count: 2, start: '300ms', processing: '5ms', config: { prefetch: 5, heartbeat: '2s' } },
        ],
      },
      faults: [{ at: '2s', crash: 'q-c1' }],
    });
    const receives = world.history.ops.filter((op) => op.f === 'receive');
    const byNode = (p: string) => receives.filter((r) => r.process === p);
    // The standby is the consumer whose basic.consume reached the broker first after q-c1's.
    // (q-c1, restarted in the liveness phase, registers again and waits behind them.)
    const waiting = world.notes.filter((n) => n.what === 'sac-waiting').map((n) => n.detail?.client as string);
    const [standby, other] = waiting;
    expect([standby, other].sort()).toEqual(['q-c2', 'q-c3']);
    expect(byNode('q-c1').length).toBeGreaterThan(0);
    expect(byNode('q-c1').every((r) => r.time < 2_000_000)).toBe(true);
    expect(byNode(standby!).length).toBeGreaterThan(0);
    expect(byNode(standby!).every((r) => r.time > 2_000_000)).toBe(true);
    expect(byNode(other!)).toEqual([]);
    expect(model.counts().sacFailovers).toBe(1);
    // Order: each message's first receive comes in send order.
    const seen = new Set<string>();
    const first = receives.filter((r) => !seen.has(r.msg!) && seen.add(r.msg!)).map((r) => Number(r.msg!.split('-')[1]));
    expect(first).toEqual([...first].sort((x, y) => x - y));
  });

  it('property: with a single active consumer, crashes of consumers one at a time never reorder a key and lose nothing confirmed', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.record({ at: fc.integer({ min: 200, max: 3_500 }), who: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2 }),
      (seed, crashes) => {
        const faults = crashes
          .sort((a, b) => a.at - b.at)
          .map((c, i) => ({ at: `${c.at + i * 1_500}ms`, kill: `q-c${c.who}`, for: '1s' }));
        const scenario = schema.parse({
          name: 't', system: 'rabbitmq', seed, duration: '6s', drain: '20s',
          queues: [{ name: 'q', durable: true, arguments: { 'x-single-active-consumer': true } }],
          workload: {
            producers: [{ id: 'p1', rate: '40/s', keys: 3, routingKey: 'q', persistent: true, config: { confirm: true } }],
            consumers: [{ queue: 'q', count: 3, processing: { uniform: ['1ms', '15ms'] }, config: { prefetch: 5, heartbeat: '1s' } }],
          },
          faults,
        }) as RabbitScenario;
        const world = new World({ seed, keepHistory: false });
        rabbitmqModel.build(world, scenario);
        const result = world.run({ duration: scenario.duration, drain: scenario.drain!, faults: scenario.faults! });
        expect(result.check.counts.reorders).toBe(0);
        expect(result.check.counts.lostAcked).toBe(0);
        expect(result.check.counts.delivered).toBe(result.check.counts.sent);
      },
    ), { numRuns: 15 });
  });
});
