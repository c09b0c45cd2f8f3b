import { describe, expect, it } from 'vitest';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World, type WorldResult } from '../../sim/world.js';

/** rabbit_disk_monitor and rabbit_alarm: the disk alarm, its check interval, and blocking across a cluster. */

const schema = scenarioSchema(rabbitmqModel.parts);

function run(raw: Record<string, unknown>): { result: WorldResult; counts: Record<string, number> } {
  const scenario = schema.parse({ name: 'disk-alarm', system: 'rabbitmq', seed: 1, ...raw }) as RabbitScenario;
  const world = new World({ seed: 1 });
  const model = rabbitmqModel.build(world, scenario);
  const result = world.run({ duration: scenario.duration, drain: scenario.drain ?? 10_000_000, faults: scenario.faults ?? [] });
  return { result, counts: { ...result.check.counts, ...result.counters, ...model.counts?.() } as Record<string, number> };
}

const notesOf = (result: WorldResult, what: string) => result.notes.filter((n) => n.what === what);

const base = {
  duration: '30s',
  drain: '15s',
  queues: [{ name: 'orders', durable: true }],
  workload: {
    producers: [{ id: 'p1', rate: '50/s', routingKey: 'orders', persistent: true, config: { confirm: true } }],
    consumers: [{ queue: 'orders' }],
  },
};

describe('the disk alarm', () => {
  it('is raised at the check after the disk fills, 2 x (free - limit) / 250 MB/s after the last one, and cleared at a 10 s check once space is back', () => {
    // 100 MB disk, 50 MB limit: checks every 2 x 50 MB / 250 MB/s = 400 ms while far from alarmed.
    const { result } = run({ ...base, disk: { capacity: 100_000_000 }, faults: [{ at: '10s', 'disk-full': 'rabbit-1', for: '5s' }] });
    const [set] = notesOf(result, 'disk-alarm-set');
    const [cleared] = notesOf(result, 'disk-alarm-cleared');
    expect(set!.at).toBeGreaterThanOrEqual(10_000_000);
    expect(set!.at).toBeLessThanOrEqual(10_400_000);
    // While alarmed the monitor looks every 10 s: the first check after 15 s clears it.
    expect(cleared!.at).toBeGreaterThan(15_000_000);
    expect(cleared!.at).toBeLessThanOrEqual(set!.at + 20_000_000);
    expect((cleared!.at - set!.at) % 10_000_000).toBe(0);
  });

  it('blocks the publisher at its next publish, holds its frames unread, and reads them in order once unblocked', () => {
    const { result, counts } = run({ ...base, disk: { capacity: 100_000_000 }, faults: [{ at: '10s', 'disk-full': 'rabbit-1', for: '5s' }] });
    expect(notesOf(result, 'connection-blocked')).toHaveLength(1);
    expect(notesOf(result, 'client-blocked')).toHaveLength(1);
    const [unblocked] = notesOf(result, 'connection-unblocked');
    expect(unblocked!.detail!.held).toBeGreaterThan(100);
    expect(counts.connectionsBlocked).toBe(1);
    expect(counts.reorders).toBe(0);
    expect(counts.lostAcked).toBe(0);
  });

  it('blocks publishers on every node of the cluster when one node is alarmed, and lifts it when that node goes down', () => {
    const { result } = run({
      ...base,
      cluster: { brokers: 2 },
      disk: { capacity: 100_000_000 },
      workload: { ...base.workload, producers: [{ ...base.workload.producers[0], node: 'rabbit-2' }] },
      faults: [{ at: '10s', 'disk-full': 'rabbit-1' }, { at: '20s', crash: 'rabbit-1' }],
    });
    const blocked = notesOf(result, 'connection-blocked');
    expect(blocked.map((n) => n.node)).toEqual(['rabbit-2']);
    expect(notesOf(result, 'disk-alarm-set').map((n) => n.node)).toEqual(['rabbit-1']);
    // rabbit-1's crash takes its alarm with it once rabbit-2 sees it down (net_ticktime).
    const unblocked = notesOf(result, 'connection-unblocked');
    expect(unblocked[0]!.node).toBe('rabbit-2');
    expect(unblocked[0]!.at).toBeGreaterThan(20_000_000);
  });

  it('does not run on a disk that cannot fill, and disk_free_limit.absolute 0 turns the alarm off', () => {
    const unbounded = run(base);
    expect(unbounded.result.traceHash).toBe(run(base).result.traceHash);
    const off = run({ ...base, cluster: { config: { 'disk_free_limit.absolute': 0 } }, faults: [{ at: '10s', 'disk-full': 'rabbit-1', for: '5s' }] });
    expect(notesOf(off.result, 'disk-alarm-set')).toHaveLength(0);
    expect(notesOf(off.result, 'disk-full').length).toBeGreaterThan(0);
  });
});
