import { describe, expect, test } from 'vitest';
import type { HistoryOp } from '../../sim/history.js';
import { earliest, parseKafka, runKafka } from '../kafka-helpers.js';

/**
 * Static membership (KIP-345), the subscription-change and partition-count rebalance triggers,
 * and the seed article's patterns: the delay topic with a scheduler, the dispatcher fan-out.
 */

const cluster = { brokers: 3, config: { 'offsets.topic.num.partitions': 5 } };
const network = { latency: { uniform: ['1ms', '3ms'] } };

const ops = (history: readonly HistoryOp[], f: HistoryOp['f'], process?: string) =>
  history.filter((op) => op.f === f && (process === undefined || op.process === process));

function billing(count: number, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { group: 'billing', topic: 'orders', mode: 'subscribe', count, processing: '1ms', config: { ...earliest, 'enable.auto.commit': false, ...config }, ...extra };
}

const notes = (result: { notes: { what: string; at: number; node: string; detail?: Record<string, unknown> }[] }, what: string) =>
  result.notes.filter((n) => n.what === what);

describe('static membership (group.instance.id)', () => {
  const base = {
    duration: '40s', drain: '10s', cluster, network,
    topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }],
  };

  test('a static member restarted within session.timeout.ms gets its partitions back, no rebalance; the others never stop', () => {
    const { model, world, result } = runKafka({
      ...base,
      workload: { producers: [{ id: 'p1', topic: 'orders', rate: '100/s', keys: 50 }], consumers: [billing(3, { 'session.timeout.ms': 30000, 'group.instance.id': 'b' })] },
      faults: [{ at: '15s', kill: 'billing-c2', for: '4s' }],
    });
    expect(model.stats.rebalances).toBe(1);
    expect(model.stats.generationMax).toBe(1);
    expect(model.stats.staticMemberReplacements).toBe(1);
    const assigns = ops(world.history.ops, 'assign', 'billing-c2').filter((op) => op.queues!.length > 0);
    // Before the kill and after the restart: the same partitions.
    expect(assigns.length).toBeGreaterThanOrEqual(2);
    expect(assigns.at(-1)!.queues).toEqual(assigns[0]!.queues);
    // billing-c1 and billing-c3 consumed through the restart window.
    for (const other of ['billing-c1', 'billing-c3']) {
      const during = ops(world.history.ops, 'receive', other).filter((op) => op.time > 15_500_000 && op.time < 19_000_000);
      expect(during.length).toBeGreaterThan(50);
    }
    const replaced = notes(result, 'group-static-member-replaced')[0]!;
    expect(replaced.detail!.instance).toBe('b-2');
    expect(replaced.detail!.oldMember).not.toBe(replaced.detail!.member);
  });

  test('a dynamic member restarted the same way makes the group wait for its old session to expire', () => {
    const { model, world } = runKafka({
      ...base,
      workload: { producers: [{ id: 'p1', topic: 'orders', rate: '100/s', keys: 50 }], consumers: [billing(3, { 'session.timeout.ms': 20000 })] },
      faults: [{ at: '15s', kill: 'billing-c2', for: '4s' }],
    });
    expect(model.stats.rebalances).toBe(2);
    expect(model.stats.sessionTimeouts).toBe(1);
    // Eager protocol: from the others' next heartbeat after the new member's join (~19s), which tells
    // them to rejoin and so revoke everything, to the old session's expiry (~35s), nobody consumes.
    const stalled = ops(world.history.ops, 'receive').filter((op) => op.time > 22_500_000 && op.time < 34_900_000);
    expect(stalled).toHaveLength(0);
    expect(ops(world.history.ops, 'receive').filter((op) => op.time > 35_000_000).length).toBeGreaterThan(100);
  });

  test('a static member that closes sends no LeaveGroup: it is removed only when its session times out', () => {
    const run = (config: Record<string, unknown>, second: Record<string, unknown> = config) => runKafka({
      ...base, drain: '0s',
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 50 }],
        consumers: [billing(1, config), billing(1, second, { stop: '10s' })],
      },
    });
    const staticRun = run({ 'session.timeout.ms': 20000, 'group.instance.id': 'b1' }, { 'session.timeout.ms': 20000, 'group.instance.id': 'b2' });
    const removedStatic = notes(staticRun.result, 'group-member-removed')[0]!;
    expect(removedStatic.detail!.why).toBe('session-timeout');
    expect(removedStatic.at).toBeGreaterThan(29_000_000);
    const dynamicRun = run({ 'session.timeout.ms': 20000 });
    const removedDynamic = notes(dynamicRun.result, 'group-member-removed')[0]!;
    expect(removedDynamic.detail!.why).toBe('leave-group');
    expect(removedDynamic.at).toBeLessThan(10_100_000);
  });

  test('two processes with the same group.instance.id: the later one fences the earlier (FENCED_INSTANCE_ID), which stops', () => {
    const { model, result, world } = runKafka({
      ...base,
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 50 }],
        consumers: [billing(1, { 'group.instance.id': 'same' }), billing(1, { 'group.instance.id': 'same' }, { start: '10s' })],
      },
    });
    expect(model.stats.staticMemberReplacements).toBe(1);
    expect(model.stats.fencedInstanceRequests).toBeGreaterThan(0);
    const fenced = notes(result, 'fenced-instance-id');
    expect(fenced.map((n) => n.node)).toEqual(['billing-c1']);
    // The fenced consumer delivers nothing after it was fenced; the new one takes over every partition.
    expect(ops(world.history.ops, 'receive', 'billing-c1').filter((op) => op.time > fenced[0]!.at)).toHaveLength(0);
    expect(ops(world.history.ops, 'assign', 'billing-c2').at(-1)!.queues).toHaveLength(6);
  });
});

describe('rolling restart (close, then a new process)', () => {
  const run = (instance: boolean) => runKafka({
    duration: '40s', drain: '5s', cluster, network,
    topics: [{ name: 'orders', partitions: 4, replicationFactor: 3 }],
    workload: {
      producers: [{ id: 'p1', topic: 'orders', rate: '100/s', keys: 50 }],
      consumers: [
        billing(1, instance ? { 'group.instance.id': 'a', 'session.timeout.ms': 20000 } : { 'session.timeout.ms': 20000 }),
        billing(1, instance ? { 'group.instance.id': 'b', 'session.timeout.ms': 20000 } : { 'session.timeout.ms': 20000 }, { steps: [{ at: '15s', close: true }, { at: '18s', start: true }] }),
      ],
    },
  });

  test('close() leaves the group at once for a dynamic member (two rebalances), not for a static one (none)', () => {
    const dynamic = run(false);
    expect(dynamic.model.stats.generationMax).toBe(3);
    const removed = notes(dynamic.result, 'group-member-removed');
    expect(removed.map((n) => n.detail!.why)).toEqual(['leave-group']);
    expect(removed[0]!.at).toBeLessThan(15_100_000);
    const staticRun = run(true);
    expect(staticRun.model.stats.generationMax).toBe(1);
    expect(notes(staticRun.result, 'group-member-removed')).toHaveLength(0);
    // The restarted static member owns what it owned before; billing-c1 never lost anything.
    const c2 = ops(staticRun.world.history.ops, 'assign', 'billing-c2').filter((op) => op.queues!.length > 0);
    expect(c2.at(-1)!.queues).toEqual(c2[0]!.queues);
    expect(ops(staticRun.world.history.ops, 'assign', 'billing-c1').filter((op) => op.queues!.length === 0)).toHaveLength(0);
    for (const r of [dynamic, staticRun]) expect(r.result.check.counts.duplicateDeliveries).toBe(0);
  });
});

describe('rebalance triggers: subscription and partition count', () => {
  test('subscribe([orders, payments]) at 15s: a rebalance whose assignment covers both topics once', () => {
    const { model, world } = runKafka({
      duration: '30s', drain: '5s', cluster, network,
      topics: [{ name: 'orders', partitions: 4, replicationFactor: 3 }, { name: 'payments', partitions: 2, replicationFactor: 3 }],
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 20 }, { id: 'p2', topic: 'payments', rate: '20/s', keys: 10 }],
        consumers: [billing(2, {}, { steps: [{ at: '15s', subscribe: ['orders', 'payments'] }] })],
      },
    });
    expect(model.stats.rebalances).toBe(2);
    const owned = ['billing-c1', 'billing-c2'].flatMap((c) => ops(world.history.ops, 'assign', c).at(-1)!.queues!);
    expect(owned.sort()).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'payments-0', 'payments-1']);
    // Nothing of payments is delivered before the subscription change.
    const payments = ops(world.history.ops, 'receive').filter((op) => op.queue!.startsWith('payments-'));
    expect(payments.length).toBeGreaterThan(0);
    expect(Math.min(...payments.map((op) => op.time))).toBeGreaterThan(15_000_000);
  });

  test('cooperative-sticky with commitSync: a commit refused during the rebalance does not start another one once it is done', () => {
    const { model } = runKafka({
      duration: '30s', drain: '5s', cluster, network,
      topics: [{ name: 'orders', partitions: 4, replicationFactor: 3 }, { name: 'payments', partitions: 2, replicationFactor: 3 }],
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '100/s', keys: 20 }, { id: 'p2', topic: 'payments', rate: '50/s', keys: 10 }],
        consumers: [billing(2, { 'partition.assignment.strategy': 'cooperative-sticky' }, { steps: [{ at: '15s', subscribe: ['orders', 'payments'] }] })],
      },
    });
    expect(model.stats.rebalances).toBe(2);
  });

  test('added partitions: the leader rebalances at its next metadata refresh (metadata.max.age.ms), not before', () => {
    const rebalanceAfterAdd = (maxAge: number) => {
      const { model, result, world } = runKafka({
        duration: '40s', drain: '5s', cluster, network,
        topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
        admin: [{ at: '10s', addPartitions: { topic: 'orders', count: 4 } }],
        workload: { producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 20 }], consumers: [billing(2, { 'metadata.max.age.ms': maxAge })] },
      });
      expect(model.stats.partitionsAdded).toBe(2);
      expect(model.state().partitions['orders-3']!.leader).not.toBeNull();
      const owned = ['billing-c1', 'billing-c2'].flatMap((c) => ops(world.history.ops, 'assign', c).at(-1)!.queues!);
      expect(owned.sort()).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3']);
      return notes(result, 'group-rebalance').filter((n) => n.at > 10_000_000).map((n) => n.at);
    };
    const slow = rebalanceAfterAdd(30_000);
    expect(slow).toHaveLength(1);
    expect(slow[0]!).toBeGreaterThan(30_000_000);
    const fast = rebalanceAfterAdd(12_000);
    expect(fast).toHaveLength(1);
    expect(fast[0]!).toBeGreaterThan(12_000_000);
    expect(fast[0]!).toBeLessThan(13_000_000);
  });

  test('bad input: partition counts only grow; steps need subscribe mode', () => {
    const topics = [{ name: 'orders', partitions: 3, replicationFactor: 3 }];
    expect(() => runKafka({ duration: '10s', cluster, topics, admin: [{ at: '5s', addPartitions: { topic: 'orders', count: 3 } }] })).toThrow(/can only grow/);
    expect(() => runKafka({ duration: '10s', cluster, topics, admin: [{ at: '5s', addPartitions: { topic: 'nope', count: 4 } }] })).toThrow(/no topic named "nope"/);
    expect(() => runKafka({ duration: '10s', cluster, topics, workload: { consumers: [{ group: 'g', topic: 'orders', steps: [{ at: '5s', subscribe: ['orders'] }] }] } })).toThrow(/need mode: subscribe/);
    expect(() => parseKafka({ duration: '10s', admin: [{ at: '5s', addPartitions: { topic: 'orders', count: 0 } }] })).toThrow();
    expect(() => runKafka({ duration: '10s', cluster, topics, workload: { consumers: [{ group: 'g', topic: 'orders', topics: ['orders'], mode: 'subscribe' }] } })).toThrow(/topic or topics, not both/);
    expect(() => runKafka({ duration: '10s', cluster, topics, workload: { consumers: [{ group: 'g', topics: ['orders'] }] } })).toThrow(/need mode: subscribe/);
    const consumers = (steps: unknown[]) => ({ consumers: [{ group: 'g', topic: 'orders', mode: 'subscribe', steps }] });
    expect(() => runKafka({ duration: '10s', cluster, topics, workload: consumers([{ at: '5s', start: true }]) })).toThrow(/needs a close before it/);
    expect(() => runKafka({ duration: '10s', cluster, topics, workload: consumers([{ at: '2s', close: true }, { at: '5s', close: true }]) })).toThrow(/already closed/);
    expect(() => parseKafka({ duration: '10s', workload: consumers([{ at: '5s', close: false }]) })).toThrow(/expected a consumer step/);
  });
});

describe('delay topic with a scheduler consumer', () => {
  const delayScenario = (extra: Record<string, unknown> = {}, pollTimeout = '1s') => ({
    duration: '20s', drain: '20s', cluster, network,
    topics: [{ name: 'orders-delay-5s', partitions: 2, replicationFactor: 3 }, { name: 'orders', partitions: 2, replicationFactor: 3 }],
    workload: {
      producers: [{ id: 'p1', topic: 'orders-delay-5s', rate: '20/s', keys: 20, delay: '5s' }],
      consumers: [
        { group: 'scheduler', topic: 'orders-delay-5s', mode: 'subscribe', delayScheduler: { delay: '5s', target: 'orders', pollTimeout }, config: { ...earliest, 'enable.auto.commit': false } },
        { group: 'billing', topic: 'orders', mode: 'subscribe', config: earliest },
      ],
    },
    ...extra,
  });

  test('nothing leaves early; lateness is bounded by the poll timeout; the scheduler itself delivers nothing', () => {
    for (const [pollTimeout, bound] of [['500ms', 0.5e6], ['2s', 2e6]] as const) {
      const { result, world } = runKafka(delayScenario({}, pollTimeout));
      const delay = result.check.delay;
      expect(delay.count).toBe(400);
      expect(delay.early).toBe(0);
      // (actual - 5s) / 5s: at most the poll timeout plus ~50ms of fetch and replicated produce.
      expect(delay.max * 5e6).toBeLessThan(bound + 60_000);
      expect(delay.max * 5e6).toBeGreaterThan(bound * 0.8);
      expect(ops(world.history.ops, 'receive', 'scheduler-c1')).toHaveLength(0);
    }
  });

  test('the scheduler pauses a partition whose head is not due and resumes it when it is', () => {
    const { result } = runKafka(delayScenario());
    const paused = notes(result, 'partition-paused');
    expect(paused.length).toBeGreaterThan(5);
    for (const n of paused) expect(n.detail!.dueIn as number).toBeGreaterThan(0);
  });

  test('a scheduler crash forwards some records twice (at-least-once), loses none', () => {
    const scenario = delayScenario({ faults: [{ at: '12s', kill: 'scheduler-c1', for: '1s' }] });
    // A static scheduler (group.instance.id) gets its partitions back at once after the restart.
    (scenario.workload.consumers[0]!.config as Record<string, unknown>)['group.instance.id'] = 'scheduler-1';
    const { world, result } = runKafka(scenario);
    const sent = ops(world.history.ops, 'send').filter((op) => op.type === 'ok').length;
    expect(result.check.counts.delivered).toBe(sent);
    expect(result.check.delay.early).toBe(0);
  });

  test('bad input: a delay needs a scheduler with the same delay on the producer\'s topic', () => {
    const scenario = delayScenario();
    const producers = [{ id: 'p1', topic: 'orders-delay-5s', rate: '20/s', delay: '6s' }];
    expect(() => runKafka({ ...scenario, workload: { ...scenario.workload, producers } })).toThrow(/differs from the delayScheduler delay 5s/);
    expect(() => runKafka({ ...scenario, workload: { producers: [{ id: 'p1', topic: 'orders', rate: '20/s', delay: '5s' }] } })).toThrow(/delay needs a consumer group with delayScheduler/);
  });
});

describe('dispatcher fan-out', () => {
  const topics = [
    { name: 'orders', partitions: 2, replicationFactor: 3 },
    ...[0, 1, 2].map((k) => ({ name: `orders.${k}`, partitions: 1, replicationFactor: 3 })),
  ];
  const run = (by: 'key' | 'round-robin') => runKafka({
    duration: '15s', drain: '10s', cluster, network, topics,
    workload: {
      producers: [{ id: 'p1', topic: 'orders', rate: '100/s', keys: 30 }],
      consumers: [
        { group: 'dispatcher', topic: 'orders', mode: 'subscribe', dispatch: { targets: ['orders.0', 'orders.1', 'orders.2'], by }, config: { ...earliest, 'enable.auto.commit': false } },
        ...[0, 1, 2].map((k) => ({ group: `work-${k}`, topic: `orders.${k}`, mode: 'subscribe', processing: '2ms', config: earliest })),
      ],
    },
  });

  test('by key: every key goes to one topic (order per key kept); every record delivered once', () => {
    const { world, result } = run('key');
    const receives = ops(world.history.ops, 'receive');
    const topicOfKey = new Map<string, string>();
    for (const op of receives) {
      const topic = op.queue!.slice(0, op.queue!.lastIndexOf('-'));
      expect(topic.startsWith('orders.')).toBe(true);
      if (topicOfKey.has(op.key!)) expect(topicOfKey.get(op.key!)).toBe(topic);
      else topicOfKey.set(op.key!, topic);
    }
    expect(new Set(topicOfKey.values()).size).toBe(3);
    expect(result.check.counts.delivered).toBe(1500);
    expect(result.check.counts.duplicateDeliveries).toBe(0);
    expect(result.check.counts.reorders).toBe(0);
    expect(ops(world.history.ops, 'receive', 'dispatcher-c1')).toHaveLength(0);
  });

  test('round robin: the three topics get a third each', () => {
    const { world } = run('round-robin');
    const perTopic = new Map<string, number>();
    for (const op of ops(world.history.ops, 'receive')) {
      const topic = op.queue!.slice(0, op.queue!.lastIndexOf('-'));
      perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1);
    }
    for (const n of perTopic.values()) expect(Math.abs(n - 500)).toBeLessThanOrEqual(1);
  });
});
