import { describe, expect, it } from 'vitest';
import { selectQueueByHash } from '../../models/rocketmq/public.js';
import type { NamesrvView } from '../../models/rocketmq/namesrv.js';
import { buildRocketmq, rocketmqModel } from '../../models/rocketmq/index.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

/** NameServers, registration and expiry, client routes, and the producer's queue selection and retries. */

describe('rocketmq nodes and routes', () => {
  it('builds namesrv-N, broker-x-0 masters and broker-x-i slaves, producers and consumers, with roles and selectors', () => {
    const world = new World({ seed: 1 });
    const model = rocketmqModel.build(world, parseRocket({
      duration: '1s', cluster: { nameServers: 3, brokerGroups: 2, slavesPerGroup: 2 },
      workload: { producers: [{ id: 'p1', count: 1 }], consumers: [{ group: 'billing', count: 2 }] },
    }));
    expect(world.nodeNames()).toEqual([
      'namesrv-1', 'namesrv-2', 'namesrv-3', 'broker-a-0', 'broker-a-1', 'broker-a-2', 'broker-b-0', 'broker-b-1', 'broker-b-2',
      'p1', 'billing-c1', 'billing-c2',
    ]);
    expect(world.nodesWithRole('master').map((s) => s.name)).toEqual(['broker-a-0', 'broker-b-0']);
    expect(world.resolve({ 'master-of': 'broker-b' })).toEqual(['broker-b-0']);
    expect(world.resolve({ 'slave-of': 'broker-a' })).toEqual(['broker-a-1', 'broker-a-2']);
    expect(model.describe()[1]).toContain('brokerRole=ASYNC_MASTER, flushDiskType=ASYNC_FLUSH');
  });

  it('every broker registers with every NameServer; a dead one is dropped 120 s after its last REGISTER_BROKER', () => {
    const { world, result } = runRocket({
      duration: '200s', drain: '1s', cluster: { nameServers: 2, brokerGroups: 2, slavesPerGroup: 1 },
      faults: [{ at: '40s', crash: 'broker-a-0' }],
    }, 1, true);
    const expiries = result.notes.filter((n) => n.what === 'broker-expired');
    expect(expiries.map((n) => [n.node, (n.detail as { broker: string }).broker])).toEqual([['namesrv-1', 'broker-a-0'], ['namesrv-2', 'broker-a-0']]);
    for (const n of expiries) {
      // Last registration at 30 s: dropped at the first 10 s scan after 150 s.
      expect(n.at).toBeGreaterThan(150_000_000);
      expect(n.at).toBeLessThanOrEqual(160_000_000);
    }
    void world;
  });

  it('a stopped broker unregisters from every NameServer on its way out (UNREGISTER_BROKER), flushes and exits', () => {
    const { result } = runRocket({
      duration: '60s', drain: '1s', cluster: { nameServers: 2, brokerGroups: 2, slavesPerGroup: 0 },
      faults: [{ at: '40s', stop: 'broker-a-0' }],
    }, 1, true);
    const dropped = result.notes.filter((n) => n.what === 'broker-unregistered');
    expect(dropped.map((n) => [n.node, (n.detail as { broker: string }).broker])).toEqual([['namesrv-1', 'broker-a-0'], ['namesrv-2', 'broker-a-0']]);
    for (const n of dropped) expect(n.at - 40_000_000).toBeLessThan(100_000);
    expect(result.notes.filter((n) => n.what === 'broker-expired')).toEqual([]);
    const shutdown = result.notes.find((n) => n.what === 'broker-shutdown')!;
    expect(shutdown.node).toBe('broker-a-0');
    expect(shutdown.at).toBeGreaterThanOrEqual(40_000_000);
  });

  it('a NameServer keeps the group of a dead master while its slave registers, and forgets a group with no broker left', () => {
    const world = new World({ seed: 2 });
    const scenario = parseRocket({ duration: '300s', drain: '1s', cluster: { nameServers: 1, brokerGroups: 2, slavesPerGroup: 1 } });
    const model = buildRocketmq(world, scenario);
    const tables = (): NamesrvView => model.stores.namesrv['namesrv-1']!.state;
    const states: NamesrvView[] = [];
    world.kernel.at(60_000_000, () => states.push(tables()), null, 0);
    world.kernel.at(290_000_000, () => states.push(tables()), null, 0);
    world.run({ duration: scenario.duration, drain: 1_000_000, faults: [{ at: 10_000_000, crash: 'broker-a-0' }, { at: 10_000_000, crash: 'broker-b-0' }, { at: 10_000_000, crash: 'broker-b-1' }] });
    // Before the expiry both groups are there; after it broker-a has only its slave and broker-b is gone with its queues.
    expect(states[0]!.brokers).toEqual({ 'broker-a': { 0: 'broker-a-0', 1: 'broker-a-1' }, 'broker-b': { 0: 'broker-b-0', 1: 'broker-b-1' } });
    expect(states[1]!.brokers).toEqual({ 'broker-a': { 1: 'broker-a-1' } });
    expect(Object.keys(states[1]!.topics['TopicTest']!)).toEqual(['broker-a']);
    const notes = world.notes.filter((n) => n.what === 'broker-expired').map((n) => (n.detail as { broker: string }).broker).sort();
    expect(notes).toEqual(['broker-a-0', 'broker-b-0', 'broker-b-1']);
  });
});

describe('rocketmq NameServer crash', () => {
  it('a client whose NameServer died moves to the next one after one timed-out GET_ROUTEINFO_BY_TOPIC, keeping its route meanwhile', () => {
    const { counts, result } = runRocket({
      duration: '120s', drain: '10s', cluster: { nameServers: 2, brokerGroups: 2, slavesPerGroup: 0 },
      workload: { producers: [{ id: 'p1', rate: '20/s' }, { id: 'p2', rate: '20/s' }, { id: 'p3', rate: '20/s' }], consumers: [{ group: 'g', count: 2 }] },
      faults: [{ at: '10s', kill: 'namesrv-1', for: '60s' }],
    });
    const unreachable = result.notes.filter((n) => n.what === 'namesrv-unreachable');
    expect(unreachable.length).toBeGreaterThan(0);
    // Each client that was asking namesrv-1 notices once (per topic), then asks namesrv-2.
    const byNode = new Map<string, number>();
    for (const n of unreachable) byNode.set(n.node, (byNode.get(n.node) ?? 0) + 1);
    for (const count of byNode.values()) expect(count).toBeLessThanOrEqual(2);
    expect(counts['unknown']).toBe(0);
    expect(counts['failed']).toBe(0);
    expect(counts['lostAcked']).toBe(0);
  });
});

describe('rocketmq producer', () => {
  const base = { cluster: { brokerGroups: 2, slavesPerGroup: 0 }, network: { latency: '1ms' } };

  it('sends round robin over every writable queue of every broker group', () => {
    const { world } = runRocket({ ...base, duration: '5s', drain: '2s', workload: { producers: [{ id: 'p1', count: 80, rate: '100/s' }] } }, 3, true);
    const oks = world.history.ops.filter((o) => o.f === 'send' && o.type === 'ok');
    expect(oks.length).toBe(80);
    const perQueue = new Map<string, number>();
    for (const o of oks) perQueue.set(o.queue!, (perQueue.get(o.queue!) ?? 0) + 1);
    expect(perQueue.size).toBe(8);
    for (const n of perQueue.values()) expect(n).toBe(10);
    // Consecutive sends go to consecutive queues (broker-a 0..3 then broker-b 0..3).
    const order = ['broker-a:TopicTest:0', 'broker-a:TopicTest:1', 'broker-a:TopicTest:2', 'broker-a:TopicTest:3', 'broker-b:TopicTest:0', 'broker-b:TopicTest:1', 'broker-b:TopicTest:2', 'broker-b:TopicTest:3'];
    const first = order.indexOf(oks[0]!.queue!);
    oks.slice(0, 16).forEach((o, i) => expect(o.queue).toBe(order[(first + i) % 8]));
    // Queue offsets count up per queue.
    const q0 = oks.filter((o) => o.queue === 'broker-a:TopicTest:0').map((o) => o.offset);
    expect(q0).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('orderly: SelectMessageQueueByHash keeps every key in one queue', () => {
    const { world } = runRocket({ ...base, duration: '5s', drain: '2s', workload: { producers: [{ id: 'p1', count: 100, rate: '100/s', keys: 5, orderly: true }] } }, 3, true);
    const oks = world.history.ops.filter((o) => o.f === 'send' && o.type === 'ok');
    const order = ['broker-a:TopicTest:0', 'broker-a:TopicTest:1', 'broker-a:TopicTest:2', 'broker-a:TopicTest:3', 'broker-b:TopicTest:0', 'broker-b:TopicTest:1', 'broker-b:TopicTest:2', 'broker-b:TopicTest:3'];
    for (const o of oks) expect(o.queue).toBe(order[selectQueueByHash(o.key!, 8)]);
  });

  it('sync: a broker error is retried on another broker within retryTimesWhenSendFailed; with 0 retries it fails', () => {
    const scenario = (retries: number) => ({
      ...base, duration: '10s', drain: '5s',
      workload: { producers: [{ id: 'p1', rate: '20/s', config: { retryTimesWhenSendFailed: retries } }] },
      faults: [{ at: '2s', 'disk-full': 'broker-a-0', for: '5s' }],
    });
    const retried = runRocket(scenario(2), 1, true);
    expect(retried.counts['sendRetries']).toBeGreaterThan(15);
    expect(retried.counts['failed']).toBe(0);
    const ops = retried.world.history.ops.filter((o) => o.f === 'send' && o.type === 'ok' && o.time > 2_100_000 && o.time < 6_900_000);
    expect(ops.every((o) => o.queue!.startsWith('broker-b'))).toBe(true);
    const none = runRocket(scenario(0));
    expect(none.counts['sendRetries']).toBe(0);
    expect(none.counts['failed']).toBeGreaterThan(15);
  });

  it('sync: a timeout uses up sendMsgTimeout, so it is not retried and ends unknown; the producer waits meanwhile', () => {
    const { counts, world } = runRocket({
      ...base, duration: '20s', drain: '5s', workload: { producers: [{ id: 'p1', rate: '10/s' }] },
      faults: [{ at: '5s', crash: 'broker-a-0' }],
    }, 1, true);
    expect(counts['sendRetries']).toBe(0);
    expect(counts['unknown']).toBe(counts['sendTimeouts']);
    const infos = world.history.ops.filter((o) => o.f === 'send' && o.type === 'info');
    // RemotingTooMuchRequestException: the retry finds the budget spent.
    expect(infos.every((o) => o.error === 'sendDefaultImpl call timeout')).toBe(true);
    // 15 s of a dead broker in the route: each send to it blocks the producer 3 s.
    expect(counts['unknown']).toBeGreaterThanOrEqual(3);
    expect(counts['unknown']).toBeLessThanOrEqual(5);
    expect(counts['sent']).toBeLessThan(150);
  });

  it('oneway: every send is info (no answer), even those that were stored', () => {
    const { counts } = runRocket({ ...base, duration: '5s', drain: '5s', workload: { producers: [{ id: 'p1', count: 50, rate: '50/s', sendMode: 'oneway' }], consumers: [{ group: 'g' }] } });
    expect(counts['unknown']).toBe(50);
    expect(counts['acked']).toBe(0);
    expect(counts['unknownDelivered']).toBe(50);
  });

  it('sendLatencyFaultEnable avoids a broker after a timeout; without it the stale route keeps being used', () => {
    const scenario = (enable: boolean) => ({
      ...base, duration: '60s', drain: '5s',
      workload: { producers: [{ id: 'p1', rate: '20/s', sendMode: 'async', config: { sendLatencyFaultEnable: enable } }] },
      faults: [{ at: '10s', crash: 'broker-a-0' }],
    });
    const off = runRocket(scenario(false));
    const on = runRocket(scenario(true));
    expect(off.counts['staleRouteSends']).toBeGreaterThan(400);
    expect(on.counts['staleRouteSends']).toBeLessThan(off.counts['staleRouteSends']! / 10);
    expect(on.counts['latencyFaultAvoided']).toBeGreaterThan(300);
  });
});
