import { describe, expect, test } from 'vitest';
import { computeTarget } from '../../models/kafka/consumer-group/assignors.js';
import { newConsumerGroup, setCurrentAssignment, type ConsumerGroupMember } from '../../models/kafka/consumer-group/consumer-group.js';
import { reconcile } from '../../models/kafka/consumer-group/current-assignment-builder.js';
import { PartitionOwnership } from '../../models/kafka/partition-ownership.js';
import { coordinatorPartition } from '../../models/kafka/index.js';
import { newStats } from '../../models/kafka/stats.js';
import type { HistoryOp } from '../../sim/history.js';
import { earliest, parseKafka, runKafka } from '../kafka-helpers.js';

/** KIP-848 (group.protocol: consumer): server assignors, reconciliation, the member, and the consumer's stop. */

const range = (topic: string, n: number) => Array.from({ length: n }, (_, p) => `${topic}-${p}`);

describe('server-side assignors', () => {
  test('uniform spreads evenly and a leaver moves only its own partitions (sticky)', () => {
    const members = new Map(['a', 'b', 'c'].map((id) => [id, { topics: ['orders'], current: [] as string[] }]));
    const first = computeTarget('uniform', { members, partitions: new Map([['orders', 9]]) });
    expect([...first.values()].map((l) => l.length)).toEqual([3, 3, 3]);
    expect(new Set([...first.values()].flat()).size).toBe(9);
    const after = computeTarget('uniform', {
      members: new Map(['a', 'c'].map((id) => [id, { topics: ['orders'], current: first.get(id)! }])),
      partitions: new Map([['orders', 9]]),
    });
    for (const id of ['a', 'c']) for (const q of first.get(id)!) expect(after.get(id)).toContain(q);
    expect(after.get('a')!.length + after.get('c')!.length).toBe(9);
    expect(Math.abs(after.get('a')!.length - after.get('c')!.length)).toBeLessThanOrEqual(1);
  });

  test('range gives co-partitioned topics the same partition numbers, consecutive ranges, the first members one more', () => {
    const members = new Map(['m1', 'm2'].map((id) => [id, { topics: ['a', 'b'], current: [] as string[] }]));
    const target = computeTarget('range', { members, partitions: new Map([['a', 3], ['b', 3]]) });
    expect(target.get('m1')).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
    expect(target.get('m2')).toEqual(['a-2', 'b-2']);
  });

  test('uniform with different subscriptions gives each topic only to its subscribers', () => {
    const members = new Map([['x', { topics: ['a'], current: [] as string[] }], ['y', { topics: ['a', 'b'], current: [] as string[] }]]);
    const target = computeTarget('uniform', { members, partitions: new Map([['a', 2], ['b', 2]]) });
    expect(target.get('x')!.every((q) => q.startsWith('a-'))).toBe(true);
    expect([...target.values()].flat().sort()).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
  });
});

describe('reconciliation (CurrentAssignmentBuilder)', () => {
  function member(id: string, epoch: number, assigned: string[]): ConsumerGroupMember {
    return {
      memberId: id, instanceId: null, client: id, memberEpoch: epoch, previousMemberEpoch: epoch, state: 'STABLE', subscribedTopics: ['t'], serverAssignor: null,
      rebalanceTimeout: 1, assigned: [], pendingRevocation: [], sent: null, session: null, rebalanceTimer: null,
    };
  }

  test('a partition goes to its new owner only after the old owner acknowledged its revocation', () => {
    const group = newConsumerGroup('g', 0);
    const a = member('a', 1, []);
    const b = member('b', 0, []);
    group.members.set('a', a).set('b', b);
    setCurrentAssignment(group, a, range('t', 4), []);
    group.assignmentEpoch = 2;
    group.target = new Map([['a', ['t-0', 't-1']], ['b', ['t-2', 't-3']]]);
    // The newcomer first: t-2 and t-3 are still a's, so it gets nothing yet, at the new epoch.
    reconcile(group, b, []);
    expect(b.assigned).toEqual([]);
    expect(b.state).toBe('UNRELEASED_PARTITIONS');
    // a is told to revoke, keeps its epoch.
    reconcile(group, a, null);
    expect(a.state).toBe('UNREVOKED_PARTITIONS');
    expect(a.memberEpoch).toBe(1);
    expect(a.assigned).toEqual(['t-0', 't-1']);
    expect(a.pendingRevocation).toEqual(['t-2', 't-3']);
    reconcile(group, b, null);
    expect(b.assigned).toEqual([]);
    // a heartbeats still owning t-2: nothing changes; then without it: acknowledged.
    expect(reconcile(group, a, ['t-0', 't-1', 't-2'])).toBe(false);
    reconcile(group, a, ['t-0', 't-1']);
    expect(a.state).toBe('STABLE');
    expect(a.memberEpoch).toBe(2);
    reconcile(group, b, null);
    expect(b.assigned).toEqual(['t-2', 't-3']);
    expect(b.state).toBe('STABLE');
  });
});

describe('partition ownership counts', () => {
  test('a gap starts when the last live owner lets go and ends when a member takes the partition', () => {
    let now = 0;
    const own = new PartitionOwnership(() => now);
    const stats = newStats();
    own.set('c1', 'g', ['t-0', 't-1']);
    now = 1_000_000;
    own.dropNode('c1');
    now = 4_000_000;
    own.set('c2', 'g', ['t-0']);
    now = 6_000_000;
    own.report(stats);
    expect(stats.partitionUnownedMsMax).toBe(5000); // t-1 still open
    expect(stats.partitionUnownedMsTotal).toBe(3000 + 5000);
    expect(stats.partitionsUnownedMs).toBe(5000);
    expect(stats.partitionsUnownedMax).toBe(2);
    expect(stats.partitionUnownedMsMean).toBe(4000);
  });
});

const base = {
  duration: '50s',
  drain: '10s',
  cluster: { brokers: 3, config: { 'offsets.topic.num.partitions': 5 } },
  topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
};
const producer = { id: 'p1', topic: 'orders', rate: '100/s', keys: 50 };
const consumers = (config: Record<string, unknown>, count = 3) => [{ group: 'billing', topic: 'orders', mode: 'subscribe', count, processing: '2ms', config: { ...earliest, ...config } }];

/** For each partition, the owners at each assign op: never two live members at once. */
function neverTwoOwners(history: readonly HistoryOp[]): void {
  const held = new Map<string, Set<string>>();
  for (const op of history) {
    if (op.f !== 'assign' || op.type !== 'ok' || op.group !== 'billing') continue;
    held.set(op.process, new Set(op.queues ?? []));
    const seen = new Map<string, string>();
    for (const [process, queues] of held) for (const q of queues) {
      expect(seen.get(q), `${q} held by ${seen.get(q)} and ${process} at ${op.time}`).toBeUndefined();
      seen.set(q, process);
    }
  }
}

describe('the consumer group protocol, end to end', () => {
  test('members join with epoch 0, share the partitions, and a graceful stop leaves with epoch -1: no partition held twice', () => {
    const { model, world } = runKafka({
      ...base, workload: { producers: [producer], consumers: consumers({ 'group.protocol': 'consumer' }) },
      faults: [{ at: '15s', stop: 'billing-c2', for: '3s' }],
    });
    const view = model.groups().billing!;
    expect(view.protocol).toBe('consumer');
    expect(Object.keys(view.members)).toHaveLength(3);
    expect(Object.values(view.members).flatMap((m) => m.assignment).sort()).toEqual(range('orders', 6).sort());
    expect(model.stats.membersRemoved).toBe(1);
    expect(model.stats.sessionTimeouts).toBe(0);
    expect(world.notes.some((n) => n.what === 'member-leaving' && (n.detail as { epoch: number }).epoch === -1)).toBe(true);
    neverTwoOwners(world.history.ops);
  });

  test('a static member closes with epoch -2, keeps its partitions and takes them back on restart: no new group epoch', () => {
    const { model, world } = runKafka({
      ...base, workload: { producers: [producer], consumers: consumers({ 'group.protocol': 'consumer', 'group.instance.id': 'billing' }) },
      faults: [{ at: '15s', stop: 'billing-c2', for: '3s' }],
    });
    expect(world.notes.some((n) => n.what === 'consumer-group-static-member-left')).toBe(true);
    expect(model.stats.staticMemberReplacements).toBe(1);
    expect(model.stats.membersRemoved).toBe(0);
    // Three joins: epochs 1..3; the restart adds none.
    expect(model.groups().billing!.generation).toBe(3);
    expect(model.counts().partitionUnownedMsMax).toBeGreaterThan(2_500);
    neverTwoOwners(world.history.ops);
  });

  test('a killed member holds its partitions until group.consumer.session.timeout.ms, not the client\'s session.timeout.ms', () => {
    const run = (timeout: number) => runKafka({
      ...base, duration: '60s', cluster: { brokers: 3, config: { 'offsets.topic.num.partitions': 5, 'group.consumer.session.timeout.ms': timeout } },
      workload: { producers: [producer], consumers: consumers({ 'group.protocol': 'consumer' }) },
      faults: [{ at: '10s', kill: 'billing-c2', for: '45s' }],
    }).model.counts() as unknown as ReturnType<typeof newStats>;
    const short = run(10_000);
    const long = run(30_000);
    expect(short.sessionTimeouts).toBe(1);
    expect(short.partitionUnownedMsMax).toBeGreaterThan(4_900); // from the kill: 10s after its last heartbeat, up to 5s before it
    expect(short.partitionUnownedMsMax).toBeLessThan(16_000);
    expect(long.partitionUnownedMsMax).toBeGreaterThan(24_000); // from the kill: 30s after its last heartbeat, up to 5s before it
  });

  test('coordinator failover: the new leader of the offsets partition loads the consumer group and its members carry on', () => {
    const partition = coordinatorPartition('billing', 5);
    const { model, world } = runKafka({
      ...base, duration: '60s', workload: { producers: [producer], consumers: consumers({ 'group.protocol': 'consumer' }) },
      faults: [{ at: '15s', crash: { 'leader-of': `__consumer_offsets-${partition}` } }],
    });
    expect(world.notes.some((n) => n.what === 'consumer-group-loaded' && (n.detail as { members: number }).members === 3)).toBe(true);
    const view = model.groups().billing!;
    expect(Object.keys(view.members)).toHaveLength(3);
    expect(model.stats.sessionTimeouts).toBe(0);
    expect(Object.values(view.members).flatMap((m) => m.assignment).sort()).toEqual(range('orders', 6).sort());
    neverTwoOwners(world.history.ops);
  });

  test('the range assignor on request (group.remote.assignor) gives consecutive ranges', () => {
    const { model } = runKafka({ ...base, duration: '15s', workload: { producers: [producer], consumers: consumers({ 'group.protocol': 'consumer', 'group.remote.assignor': 'range' }, 2) } });
    const assignments = Object.values(model.groups().billing!.members).map((m) => m.assignment.map((q) => Number(q.split('-')[1])).sort((a, b) => a - b));
    expect(assignments.map((a) => a.join(',')).sort()).toEqual(['0,1,2', '3,4,5']);
  });

  test('Kafka refuses session.timeout.ms, heartbeat.interval.ms and partition.assignment.strategy with group.protocol consumer', () => {
    for (const key of ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy']) {
      const value = key === 'partition.assignment.strategy' ? 'range' : 3000;
      expect(() => runKafka({ ...base, workload: { consumers: consumers({ 'group.protocol': 'consumer', [key]: value }) } })).toThrow(key);
    }
    expect(() => runKafka({ ...base, workload: { consumers: consumers({ 'group.remote.assignor': 'range' }) } })).toThrow('group.remote.assignor needs group.protocol: consumer');
    expect(() => parseKafka({ ...base, cluster: { brokers: 3, config: { 'group.consumer.heartbeat.interval.ms': 50000 } } })).toThrow('must be lower than group.consumer.session.timeout.ms');
  });
});

describe('the consumer\'s stop (KafkaConsumer.close())', () => {
  test('classic: a dynamic member sends LeaveGroup (removed at once), a static one does not (removed by session timeout)', () => {
    const run = (config: Record<string, unknown>) => runKafka({
      ...base, duration: '40s', workload: { producers: [producer], consumers: consumers({ 'session.timeout.ms': 10000, ...config }) },
      faults: [{ at: '15s', stop: 'billing-c2' }],
    }).model.counts() as unknown as ReturnType<typeof newStats>;
    const dynamic = run({});
    expect(dynamic.membersRemoved).toBe(1);
    expect(dynamic.sessionTimeouts).toBe(0);
    const stat = run({ 'group.instance.id': 'billing' });
    expect(stat.sessionTimeouts).toBe(1);
    expect(stat.partitionUnownedMsMax).toBeGreaterThan(8_000);
  });
});
