import { describe, expect, test } from 'vitest';
import { assignPartitions, coordinatorPartition } from '../../models/kafka/index.js';
import type { HistoryOp } from '../../sim/history.js';
import { at, earliest, runKafka } from '../kafka-helpers.js';

/** Consumer groups: coordinator placement and failover, JoinGroup/SyncGroup, liveness, assignors, commits. */

const base = {
  duration: '30s',
  drain: '10s',
  cluster: { brokers: 3, config: { 'offsets.topic.num.partitions': 5 } },
  topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
};

function group(count: number, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { group: 'billing', topic: 'orders', mode: 'subscribe', count, config: { ...earliest, ...config }, ...extra };
}

function producer(rate = '100/s') {
  return { id: 'p1', topic: 'orders', rate, keys: 50 };
}

const ops = (history: readonly HistoryOp[], f: HistoryOp['f'], process?: string) =>
  history.filter((op) => op.f === f && (process === undefined || op.process === process));

describe('coordinator', () => {
  test('the coordinator is the leader of __consumer_offsets partition abs(hash(group)) % offsets.topic.num.partitions', () => {
    const seen: { coordinator: string; leader: string | null }[] = [];
    runKafka({ ...base, workload: { producers: [producer()], consumers: [group(2)] } }, {
      probe: (world, model) => at(world, 10_000_000, () => {
        const partition = coordinatorPartition('billing', 5);
        seen.push({ coordinator: model.groups().billing!.coordinator, leader: model.state().partitions[`__consumer_offsets-${partition}`]!.leader });
        expect(model.groups().billing!.partition).toBe(partition);
      }),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.coordinator).toBe(seen[0]!.leader);
  });

  test('__consumer_offsets is created only when a consumer subscribes, replicated min(3, brokers) times', () => {
    const withGroups = runKafka({ ...base, duration: '2s', cluster: { brokers: 2, config: { 'offsets.topic.num.partitions': 4 } }, topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }], workload: { consumers: [group(1)] } });
    const offsets = Object.entries(withGroups.model.state().partitions).filter(([key]) => key.startsWith('__consumer_offsets-')).map(([, p]) => p);
    expect(offsets).toHaveLength(4);
    for (const p of offsets) expect(p.isr).toHaveLength(2);
    const without = runKafka({ ...base, duration: '2s', workload: { consumers: [{ group: 'billing', topic: 'orders', config: earliest }] } });
    expect(Object.keys(without.model.state().partitions).some((key) => key.startsWith('__consumer_offsets'))).toBe(false);
  });

  test('coordinator failover: the new leader of the offsets partition loads the committed offsets and the group', () => {
    const partition = coordinatorPartition('billing', 5);
    let before: { coordinator: string; offsets: Map<string, number> } | undefined;
    let after: { coordinator: string; offsets: Map<string, number>; generation: number } | undefined;
    const { result } = runKafka({
      ...base, duration: '60s',
      workload: { producers: [producer()], consumers: [group(2, { 'session.timeout.ms': 30000 })] },
      faults: [{ at: '15s', crash: { 'leader-of': `__consumer_offsets-${partition}` } }],
    }, {
      probe: (world, model) => {
        at(world, 14_900_000, () => {
          before = { coordinator: model.groups().billing!.coordinator, offsets: new Map(model.committed('billing')) };
        });
        at(world, 55_000_000, () => {
          const g = model.groups().billing!;
          after = { coordinator: g.coordinator, offsets: new Map(model.committed('billing')), generation: g.generation };
        });
      },
    });
    expect(before!.offsets.size).toBe(6);
    expect(after!.coordinator).not.toBe(before!.coordinator);
    for (const [tp, offset] of before!.offsets) expect(after!.offsets.get(tp)!).toBeGreaterThanOrEqual(offset);
    expect(result.notes.some((n) => n.what === 'coordinator-loaded' && n.node === after!.coordinator)).toBe(true);
    // The members kept their session: the loaded group is the same generation, nobody rejoined.
    expect(after!.generation).toBe(1);
    expect(result.check.counts.lostAcked).toBe(0);
  });
});

describe('JoinGroup / SyncGroup', () => {
  test('generations go up with each rebalance; the first member to join leads; the assignment is assignPartitions\' output', () => {
    const views: ReturnType<import('../../models/kafka/index.js').KafkaRun['groups']>[string][] = [];
    runKafka({
      ...base,
      workload: { producers: [producer()], consumers: [group(2), group(1, {}, { start: '10s' })] },
    }, {
      probe: (world, model) => {
        for (const t of [8_000_000, 20_000_000]) at(world, t, () => views.push(structuredClone(model.groups().billing!)));
      },
    });
    const [first, second] = views;
    expect(first!.generation).toBe(1);
    expect(first!.state).toBe('Stable');
    expect(Object.keys(first!.members)).toHaveLength(2);
    expect(second!.generation).toBe(2);
    expect(Object.keys(second!.members)).toHaveLength(3);
    expect(second!.leader).toBe(first!.leader);
    expect(first!.protocol).toBe('range');
    for (const view of [first!, second!]) {
      const subscriptions = Object.fromEntries(Object.keys(view.members).map((id) => [id, { topics: ['orders'] }]));
      const expected = assignPartitions('range', { partitionsPerTopic: { orders: 6 }, subscriptions });
      for (const [id, m] of Object.entries(view.members)) expect(m.assignment).toEqual(expected[id]!.map((tp) => `${tp.topic}-${tp.partition}`));
    }
  });

  for (const strategy of ['roundrobin', 'sticky'] as const) {
    test(`${strategy}: the members' assignments cover every partition once`, () => {
      let view: ReturnType<import('../../models/kafka/index.js').KafkaRun['groups']>[string] | undefined;
      runKafka({ ...base, workload: { producers: [producer()], consumers: [group(4, { 'partition.assignment.strategy': strategy })] } }, {
        probe: (world, model) => at(world, 10_000_000, () => { view = structuredClone(model.groups().billing!); }),
      });
      expect(view!.protocol).toBe(strategy);
      const all = Object.values(view!.members).flatMap((m) => m.assignment).sort();
      expect(all).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4', 'orders-5']);
      const subscriptions = Object.fromEntries(Object.keys(view!.members).map((id) => [id, { topics: ['orders'] }]));
      const expected = assignPartitions(strategy, { partitionsPerTopic: { orders: 6 }, subscriptions });
      for (const [id, m] of Object.entries(view!.members)) expect(m.assignment).toEqual(expected[id]!.map((tp) => `${tp.topic}-${tp.partition}`));
    });
  }

  test('eager rebalance: a member consumes nothing between revoking everything and its new assignment', () => {
    const { world } = runKafka({ ...base, workload: { producers: [producer('200/s')], consumers: [group(2, {}, { processing: '1ms' }), group(1, {}, { start: '10s', processing: '1ms' })] } });
    const history = world.history.ops;
    for (const process of ['billing-c1', 'billing-c2']) {
      const assigns = ops(history, 'assign', process);
      const revoke = assigns.findIndex((op, i) => i > 0 && op.queues!.length === 0);
      expect(revoke).toBeGreaterThan(0);
      const from = assigns[revoke]!.time;
      const to = assigns[revoke + 1]!.time;
      expect(to).toBeGreaterThan(from);
      expect(ops(history, 'receive', process).filter((op) => op.time > from && op.time < to)).toHaveLength(0);
    }
  });

  test('more consumers than partitions: the extra members get nothing and receive nothing', () => {
    const { world, result } = runKafka({ ...base, topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }], workload: { producers: [producer()], consumers: [group(4)] } });
    const receivers = new Set(ops(world.history.ops, 'receive').map((op) => op.process));
    expect(receivers.size).toBe(2);
    const idle = ['billing-c1', 'billing-c2', 'billing-c3', 'billing-c4'].filter((p) => !receivers.has(p));
    expect(idle).toHaveLength(2);
    for (const p of idle) expect(ops(world.history.ops, 'assign', p).at(-1)!.queues).toEqual([]);
    // Every message still reached the group once, through the two members that own partitions.
    expect(result.check.counts.lostAcked).toBe(0);
    expect(result.check.counts.delivered).toBe(result.check.counts.acked);
  });
});

describe('liveness', () => {
  test('a crashed member is removed after session.timeout.ms and its partitions move', () => {
    const members: number[] = [];
    const { result } = runKafka({
      ...base,
      workload: { producers: [producer()], consumers: [group(2, { 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000 })] },
      faults: [{ at: '10s', crash: 'billing-c2' }],
    }, {
      probe: (world, model) => {
        for (const t of [18_500_000, 21_500_000]) at(world, t, () => members.push(Object.keys(model.groups().billing!.members).length));
      },
    });
    // The last heartbeat before the crash was at most 1s earlier: removal between 19s and 20s (+ latency).
    expect(members).toEqual([2, 1]);
    const removal = result.notes.find((n) => n.what === 'group-session-timeout')!;
    expect(removal.at).toBeGreaterThanOrEqual(19_000_000);
    expect(removal.at).toBeLessThanOrEqual(20_100_000);
    expect(result.check.counts.lostAcked).toBe(0);
  });

  test('a member that does not poll for max.poll.interval.ms leaves the group (KIP-62), and the others take over', () => {
    const { result, model, world } = runKafka({
      ...base,
      duration: '40s',
      workload: {
        producers: [producer('20/s')],
        consumers: [
          group(1, { 'max.poll.interval.ms': 8000, 'max.poll.records': 50 }, { processing: '300ms' }),
          group(1, {}, { processing: '1ms' }),
        ],
      },
    });
    expect(model.stats.maxPollLeaves).toBeGreaterThan(0);
    const leave = result.notes.find((n) => n.what === 'max-poll-interval-exceeded')!;
    expect(leave.node).toBe('billing-c1');
    expect(result.notes.some((n) => n.what === 'group-member-removed' && (n.detail as { why: string }).why === 'leave-group' && n.at >= leave.at)).toBe(true);
    // After the rebalance billing-c2 owns every partition and reads them.
    const c2 = ops(world.history.ops, 'assign', 'billing-c2').filter((op) => op.time > leave.at);
    expect(c2.some((op) => op.queues!.length === 6)).toBe(true);
    const after = new Set(ops(world.history.ops, 'receive', 'billing-c2').filter((op) => op.time > leave.at + 1_000_000).map((op) => op.queue));
    expect(after.size).toBe(6);
  });
});

describe('cooperative-sticky (KIP-429)', () => {
  test('a join takes two rebalances: the first revokes only what moves, the second hands it over; no partition has two owners', () => {
    const { world, model } = runKafka({
      ...base,
      workload: {
        producers: [producer()],
        consumers: [group(2, { 'partition.assignment.strategy': 'cooperative-sticky' }), group(1, { 'partition.assignment.strategy': 'cooperative-sticky' }, { start: '10s' })],
      },
    });
    const history = world.history.ops;
    const c3 = ops(history, 'assign', 'billing-c3');
    expect(c3.map((op) => op.queues!.length)).toEqual([0, 2]);
    for (const p of ['billing-c1', 'billing-c2']) {
      const assigns = ops(history, 'assign', p);
      // Never emptied: they kept consuming their other partitions through the rebalance.
      expect(assigns.every((op) => op.queues!.length > 0)).toBe(true);
      expect(assigns.at(-1)!.queues).toHaveLength(2);
    }
    expect(model.stats.rebalances).toBe(3);
    expect(model.stats.revocations).toBe(2);
    // Ownership over time: each partition has at most one owner at every assign op.
    const owned = new Map<string, string[]>();
    for (const op of history) {
      if (op.f !== 'assign') continue;
      owned.set(op.process, op.queues!);
      const all = [...owned.values()].flat();
      expect(new Set(all).size).toBe(all.length);
    }
  });
});

describe('commits', () => {
  test('auto-commit commits inside poll() once auto.commit.interval.ms has passed', () => {
    const { world } = runKafka({
      ...base, topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      workload: { producers: [producer()], consumers: [group(1, { 'auto.commit.interval.ms': 2000 }, { processing: '1ms' })] },
    });
    const commits = ops(world.history.ops, 'commit');
    expect(commits.length).toBeGreaterThan(10);
    // Commit ops are recorded when the response arrives (1-3ms latency each way): the sends are >= 2s apart.
    for (let i = 1; i < commits.length; i++) expect(commits[i]!.time - commits[i - 1]!.time).toBeGreaterThanOrEqual(2_000_000 - 10_000);
    for (let i = 1; i < commits.length; i++) expect(commits[i]!.time - commits[i - 1]!.time).toBeLessThan(2_100_000);
    // The first commit comes 2s after the consumer started polling, not before.
    expect(commits[0]!.time).toBeGreaterThanOrEqual(2_000_000);
    // What is committed was returned by earlier polls and, with a sync loop, processed.
    const receives = ops(world.history.ops, 'receive');
    for (const c of commits) {
      const processed = receives.filter((r) => r.time <= c.time).reduce((m, r) => Math.max(m, r.offset! + 1), 0);
      expect(c.offset!).toBeLessThanOrEqual(processed);
    }
  });

  test('enable.auto.commit false with commit manual-sync-after commits after each batch; none with auto-commit off and no commits', () => {
    const manual = runKafka({
      ...base, topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      workload: { producers: [producer()], consumers: [group(1, { 'enable.auto.commit': false }, { processing: '1ms', commit: 'manual-sync-after' })] },
    });
    const commits = ops(manual.world.history.ops, 'commit');
    // Roughly one commit per poll: far more than one every 5 s.
    expect(commits.length).toBeGreaterThan(100);
  });

  test('auto.offset.reset latest: a group without a committed offset starts at the end', () => {
    const { world } = runKafka({
      ...base, topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      workload: { producers: [producer()], consumers: [group(1, { 'auto.offset.reset': 'latest' }, { start: '10s' })] },
    });
    const first = ops(world.history.ops, 'receive')[0]!;
    expect(first.offset!).toBeGreaterThan(900);
  });

  test('the schema refuses manual commit modes with enable.auto.commit true, and count > 1 with assign', () => {
    expect(() => runKafka({ ...base, workload: { consumers: [group(1, { 'enable.auto.commit': true }, { commit: 'manual-before' })] } })).toThrow(/enable.auto.commit: false/);
    expect(() => runKafka({ ...base, workload: { consumers: [{ group: 'g', topic: 'orders', count: 2 }] } })).toThrow(/mode: subscribe/);
  });
});
