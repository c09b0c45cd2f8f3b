import { describe, expect, it } from 'vitest';
import { demoModel, type DemoScenario } from '../../models/demo/index.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World, type WorldResult } from '../../sim/world.js';
import type { ModelRun } from '../../models/model.js';

/**
 * The demo model end to end: scenarios written as plain objects with text durations, parsed by
 * the model's own schema parts, built into a World and run. Each scenario pairs with a control
 * so that the asserted effect is shown to come from the mechanism under test.
 */

const schema = scenarioSchema(demoModel.parts);

interface Raw {
  [key: string]: unknown;
}

function parse(raw: Raw): DemoScenario {
  return schema.parse({ name: 'demo-test', system: 'demo', ...raw }) as DemoScenario;
}

function run(raw: Raw, seed: number | string = 1): { result: WorldResult; model: ModelRun; world: World } {
  const scenario = parse(raw);
  const world = new World({ seed });
  const model = demoModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  return { result: world.run(options), model, world };
}

const producer = { id: 'p1', rate: '50/s', keys: 10 };

describe('demo model: scenario parts', () => {
  it('applies no defaults in the schema and rejects unknown or bad config', () => {
    const scenario = parse({ duration: '1s', cluster: { config: { 'ack.after': 'receive', 'visibility.timeout': '5s' } } });
    expect(scenario.cluster?.config).toEqual({ 'ack.after': 'receive', 'visibility.timeout': 5_000_000 });
    expect(() => parse({ duration: '1s', cluster: { config: { 'ack.after': 'never' } } })).toThrow();
    expect(() => parse({ duration: '1s', cluster: { config: { acks: 'all' } } })).toThrow();
    expect(() => parse({ duration: '1s', workload: { producers: [{ id: 'p1', count: 1, config: { retries: -1 } }] } })).toThrow();
    expect(() => parse({ duration: '1s', workload: { consumers: [{ config: { 'poll.interval': 100 } }] } })).toThrow();
  });

  it('builds broker, producers and consumers with their names and roles, and describes them', () => {
    const scenario = parse({
      duration: '1s',
      workload: { producers: [{ id: 'p1', count: 1 }], consumers: [{ group: 'billing', count: 2 }, {}] },
    });
    const world = new World({ seed: 1 });
    const model = demoModel.build(world, scenario);
    expect(world.nodeNames()).toEqual(['broker', 'p1', 'billing-c1', 'billing-c2', 'consumers-c1']);
    expect(world.nodesWithRole('broker').map((s) => s.name)).toEqual(['broker']);
    expect(world.nodesWithRole('consumer').map((s) => s.name)).toEqual(['billing-c1', 'billing-c2', 'consumers-c1']);
    expect(world.selectorNames()).toEqual([]);
    expect(model.describe()[0]).toBe('broker: 1 node, ack.after=fsync, visibility.timeout=30s, max.deliveries.per.fetch=10');
    expect(model.counts()).toEqual({ redeliveries: 0 });
  });
});

describe('demo model: runs', () => {
  it('without faults delivers every acked message exactly once', () => {
    const { result, model } = run({
      duration: '10s',
      workload: { producers: [producer], consumers: [{ count: 2, processing: '2ms' }] },
    });
    const c = result.check.counts;
    expect(c.sent).toBe(500);
    expect(c.acked).toBe(500);
    expect(c.delivered).toBe(500);
    expect(c.deliveries).toBe(500);
    expect(c.lostAcked).toBe(0);
    expect(c.duplicateDeliveries).toBe(0);
    expect(c.unknown).toBe(0);
    expect(model.counts().redeliveries).toBe(0);
  });

  // The consumer starts late so the broker holds the messages (unconsumed) when it crashes.
  const crashScenario = (ackAfter: 'receive' | 'fsync') => ({
    duration: '15s',
    cluster: { config: { 'ack.after': ackAfter } },
    workload: { producers: [producer], consumers: [{ start: '10s' }] },
    faults: [{ at: '5s', crash: 'random-broker', for: '2s' }],
  });

  it('ack.after=receive: a broker machine crash loses messages acked from the page cache', () => {
    const { result } = run(crashScenario('receive'));
    const c = result.check.counts;
    expect(result.nodes.find((n) => n.name === 'broker')!.crashes).toBe(1);
    // Everything acked before the crash was still dirty (the OS writes back after 30 s).
    expect(c.acked).toBeGreaterThan(200);
    expect(c.lostAcked).toBeGreaterThan(200);
    expect(c.lostAcked).toBeLessThan(c.acked);
  });

  it('ack.after=fsync: the same crash loses nothing acked', () => {
    const { result } = run(crashScenario('fsync'));
    const c = result.check.counts;
    expect(result.nodes.find((n) => n.name === 'broker')!.crashes).toBe(1);
    expect(c.acked).toBeGreaterThan(500);
    expect(c.lostAcked).toBe(0);
    expect(c.delivered).toBeGreaterThanOrEqual(c.acked);
  });

  it('a restarted broker rebuilds its queue from disk: durable records minus durable acks', () => {
    const { result, model } = run({
      duration: '15s',
      workload: { producers: [producer], consumers: [{ processing: '2ms' }] },
      faults: [{ at: '5s', kill: 'broker', for: '2s' }],
    });
    const c = result.check.counts;
    expect(c.acked).toBeGreaterThan(500);
    expect(c.lostAcked).toBe(0);
    expect(c.delivered).toBeGreaterThanOrEqual(c.acked);
    // Only the deliveries in flight at the crash come back; the ~250 acked before it do not.
    expect(c.duplicateDeliveries).toBeLessThanOrEqual(10);
    expect(model.counts().redeliveries).toBe(0);
  });

  it('ack.after=receive without a crash loses nothing (the loss comes from the crash)', () => {
    const { result } = run({ ...crashScenario('receive'), faults: [] });
    expect(result.check.counts.lostAcked).toBe(0);
    expect(result.check.counts.delivered).toBe(750);
  });

  // One consumer, always busy (10 messages/s, 100 ms each), so the kill lands mid-processing.
  const consumerCrash = (ack: 'after-processing' | 'before-processing', faults: unknown[]) => ({
    duration: '20s',
    cluster: { config: { 'visibility.timeout': '5s' } },
    workload: {
      producers: [{ id: 'p1', rate: '10/s' }],
      consumers: [{ processing: '100ms', config: { ack } }],
    },
    faults,
  });
  const killConsumer = [{ at: '5s', kill: 'consumers-c1', for: '2s' }];

  it('a consumer crash mid-processing redelivers after the visibility timeout: duplicates, nothing lost', () => {
    const { result, model } = run(consumerCrash('after-processing', killConsumer));
    const c = result.check.counts;
    expect(c.duplicateDeliveries).toBeGreaterThan(0);
    expect(model.counts().redeliveries).toBeGreaterThan(0);
    expect(c.lostAcked).toBe(0);
    expect(c.delivered).toBe(c.acked);

    const control = run(consumerCrash('after-processing', []));
    expect(control.result.check.counts.duplicateDeliveries).toBe(0);
    expect(control.model.counts().redeliveries).toBe(0);
  });

  it('ack before processing: the same crash redelivers only what the application never saw', () => {
    const { result, model } = run(consumerCrash('before-processing', killConsumer));
    const c = result.check.counts;
    expect(model.counts().redeliveries).toBeGreaterThan(0); // the unhandled rest of the batch
    expect(c.duplicateDeliveries).toBe(0);
    expect(c.lostAcked).toBe(0);
  });

  it('a processing failure is not acked and comes back', () => {
    const { result, model } = run({
      duration: '5s',
      cluster: { config: { 'visibility.timeout': '1s' } },
      workload: { producers: [{ id: 'p1', rate: '20/s' }], consumers: [{ failureRate: 0.2 }] },
    });
    const c = result.check.counts;
    expect(model.counts().redeliveries).toBeGreaterThan(0);
    expect(c.duplicateDeliveries).toBeGreaterThan(0);
    expect(c.delivered).toBe(100);
    expect(c.lostAcked).toBe(0);
  });

  it('a partition between producer and broker makes sends time out: info outcomes', () => {
    const partitioned = {
      duration: '10s',
      workload: {
        producers: [{ ...producer, config: { 'request.timeout': '1s' } }],
        consumers: [{}],
      },
      faults: [
        { at: '3s', partition: [['p1'], ['broker']] },
        { at: '6s', heal: true },
      ],
    };
    const { result } = run(partitioned);
    const c = result.check.counts;
    expect(c.unknown).toBeGreaterThan(100); // ~3 s of sends at 50/s
    expect(c.acked + c.unknown).toBe(c.sent);
    expect(c.lostAcked).toBe(0);

    // With retries the sends made during the partition are resent after the heal.
    const retried = run({
      ...partitioned,
      workload: { ...partitioned.workload, producers: [{ ...producer, config: { 'request.timeout': '1s', retries: 5 } }] },
    });
    expect(retried.result.check.counts.unknown).toBeLessThan(c.unknown);
    expect(retried.result.check.counts.lostAcked).toBe(0);
  });

  it('is deterministic: the same seed gives the same trace hash, another seed another', () => {
    const scenario = {
      duration: '8s',
      workload: {
        producers: [{ id: 'p1', rate: '100/s', keys: { count: 20, zipf: 1.1 }, payload: { uniform: ['100B', '2KiB'] } }],
        consumers: [{ count: 2, processing: { exponential: '5ms' }, failureRate: 0.05 }],
      },
      cluster: { config: { 'visibility.timeout': '1s' } },
      faults: [{ at: '3s', kill: 'consumers-c1', for: '1s' }, { at: '5s', crash: 'broker' }, { at: '6s', restart: 'broker' }],
    };
    const a = run(scenario, 7).result;
    const b = run(scenario, 7).result;
    const c = run(scenario, 8).result;
    expect(a.events).toBeGreaterThan(1000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(b.check.counts).toEqual(a.check.counts);
    expect(c.traceHash).not.toBe(a.traceHash);
  });
});
