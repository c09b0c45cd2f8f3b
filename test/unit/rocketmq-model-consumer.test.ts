import { describe, expect, it } from 'vitest';
import { allocateMessageQueues, type AllocateStrategy, type MessageQueue } from '../../models/rocketmq/public.js';
import { buildRocketmq } from '../../models/rocketmq/index.js';
import { parseMessageId, type HistoryOp } from '../../sim/history.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

/** Push consumers: rebalance, clustering and broadcasting, offsets, tags, retries, DLQ and delay levels. */

const base = { cluster: { brokerGroups: 2, slavesPerGroup: 0 }, network: { latency: '1ms' } };

describe('rocketmq rebalance', () => {
  const strategies: AllocateStrategy[] = ['averagely', 'averagely-by-circle', 'consistent-hash'];
  it.each(strategies)('%s: each consumer owns exactly what allocateMessageQueues gives it on the sorted lists', (strategy) => {
    const world = new World({ seed: 5 });
    const scenario = parseRocket({
      ...base, duration: '60s', drain: '1s',
      workload: { consumers: [{ group: 'billing', count: 3, config: { allocateMessageQueueStrategy: strategy } }] },
    });
    const model = buildRocketmq(world, scenario);
    world.run({ duration: scenario.duration, drain: 1_000_000 });
    // By 60 s every consumer has polled the route of %RETRY%billing (created at their first HEART_BEAT) and rebalanced.
    const owned = model.stores.assignments.state['billing']!;
    const mqAll: MessageQueue[] = [];
    for (const brokerName of ['broker-a', 'broker-b']) for (let q = 0; q < 4; q++) mqAll.push({ topic: 'TopicTest', brokerName, queueId: q });
    // A client id is name@(process start in ms): the processes start at 0.
    const cidAll = ['billing-c1@0', 'billing-c2@0', 'billing-c3@0'];
    const retry: MessageQueue[] = ['broker-a', 'broker-b'].map((brokerName) => ({ topic: '%RETRY%billing', brokerName, queueId: 0 }));
    for (const [i, cid] of cidAll.entries()) {
      const expected = [
        ...allocateMessageQueues(strategy, { consumerGroup: 'billing', currentCid: cid, mqAll, cidAll }),
        ...allocateMessageQueues(strategy, { consumerGroup: 'billing', currentCid: cid, mqAll: retry, cidAll }),
      ].map((mq) => `${mq.brokerName}:${mq.topic}:${mq.queueId}`).sort();
      expect(owned[`billing-c${i + 1}`], cid).toEqual(expected);
    }
    const all = Object.values(owned).flat().filter((q) => q.includes('TopicTest'));
    expect(all.length).toBe(8);
    expect(new Set(all).size).toBe(8);
  });

  it('more consumers than queues leaves the rest idle; a clean shutdown hands its queues over at once', () => {
    const { counts, world } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, duration: '30s', drain: '5s',
      workload: {
        producers: [{ id: 'p1', rate: '50/s' }],
        consumers: [{ group: 'g', count: 2, stop: '15s' }, { group: 'g', count: 4, processing: '1ms' }],
      },
    }, 1, true);
    expect(counts['lostAcked']).toBe(0);
    expect(counts['stillQueued']).toBe(0);
    // 6 consumers for 4 queues (g-c5, g-c6 idle); g-c1 and g-c2 shut down at 15 s: 4 for 4.
    const assigns = world.history.ops.filter((o) => o.f === 'assign' && o.time > 15_000_000);
    expect(assigns.length).toBeGreaterThan(0);
    expect(assigns.every((o) => o.time < 15_100_000)).toBe(true); // NOTIFY_CONSUMER_IDS_CHANGED: immediate
    expect(counts['idleConsumers']).toBe(0);
  });
});

describe('rocketmq clustering and broadcasting', () => {
  it('clustering gives each message to one consumer of the group, broadcasting to every consumer', () => {
    const { counts, world } = runRocket({
      ...base, duration: '10s', drain: '5s',
      workload: {
        producers: [{ id: 'p1', count: 200, rate: '50/s' }],
        consumers: [{ group: 'billing', count: 2 }, { group: 'audit', count: 3, config: { messageModel: 'BROADCASTING' } }],
      },
    }, 1, true);
    expect(counts['deliveries']).toBe(200 * (1 + 3));
    expect(counts['duplicateDeliveries']).toBe(0);
    const receives = world.history.ops.filter((o) => o.f === 'receive');
    expect(new Set(receives.filter((o) => o.process.startsWith('billing')).map((o) => o.group))).toEqual(new Set(['billing']));
    for (const c of ['audit-c1', 'audit-c2', 'audit-c3']) {
      expect(receives.filter((o) => o.process === c).length).toBe(200);
      expect(new Set(receives.filter((o) => o.process === c).map((o) => o.group))).toEqual(new Set([c]));
    }
  });
});

describe('rocketmq offsets', () => {
  it('a consumer crash re-delivers what it consumed since its last commit; without the crash nothing is delivered twice', () => {
    const scenario = (faults: unknown[]) => ({
      ...base, duration: '40s', drain: '150s',
      workload: { producers: [{ id: 'p1', rate: '100/s' }], consumers: [{ group: 'g', count: 2, processing: '5ms' }] },
      faults,
    });
    const crashed = runRocket(scenario([{ at: '12s', kill: 'g-c1', for: '3s' }]));
    expect(crashed.counts['duplicateDeliveries']).toBeGreaterThan(0);
    expect(crashed.counts['duplicateDeliveries']).toBeLessThan(5 * 50 + 50); // at most ~5 s of its share
    expect(crashed.counts['lostAcked']).toBe(0);
    expect(crashed.counts['stillQueued']).toBe(0);
    const control = runRocket(scenario([]));
    expect(control.counts['duplicateDeliveries']).toBe(0);
  });

  it('an idempotent consumer skips the processing of every duplicate', () => {
    const run = (idempotent: boolean) => runRocket({
      ...base, duration: '40s', drain: '150s',
      workload: { producers: [{ id: 'p1', rate: '100/s' }], consumers: [{ group: 'g', count: 2, processing: '5ms', idempotent }] },
      faults: [{ at: '12s', kill: 'g-c1', for: '3s' }],
    }).counts;
    const plain = run(false);
    const counts = run(true);
    // The same re-deliveries: processed again without the check, skipped (and not processed) with it.
    expect(plain['duplicateDeliveries']).toBeGreaterThan(0);
    expect(counts['duplicatesSkipped']).toBe(plain['duplicateDeliveries']);
    expect(counts['duplicateDeliveries']).toBe(0);
  });
});

describe('rocketmq tags', () => {
  it('a consumer subscribed to "TagA || TagB" gets only those tags, filtered at the broker by hash code', () => {
    const { counts, world } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, duration: '10s', drain: '5s',
      workload: { producers: [{ id: 'p1', count: 90, rate: '30/s', tags: ['TagA', 'TagB', 'TagC'] }], consumers: [{ group: 'g', subscription: 'TagA || TagB' }] },
    }, 1, true);
    const received = world.history.ops.filter((o) => o.f === 'receive').map((o) => Number(o.msg!.split('-')[1]) % 3);
    expect(received.length).toBe(60);
    expect(received.includes(2)).toBe(false);
    expect(counts['tagFiltered']).toBe(30);
    expect(counts['clientTagFiltered']).toBe(0);
    // The unsubscribed TagC messages are not backlog for this group.
    expect(counts['stillQueued']).toBe(0);
  });
});

describe('rocketmq retries, dead letters and delay levels', () => {
  it('a failing message comes back after delay level 3 + reconsumeTimes, 16 times, then goes to %DLQ%<group>', () => {
    const { counts, world } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, duration: '65s', drain: '5h',
      // The message is sent once the consumer knows the route of %RETRY%g (its first route poll after creating it).
      workload: { producers: [{ id: 'p1', count: 1, start: '60s' }], consumers: [{ group: 'g', failureRate: 1 }] },
    }, 1, true);
    expect(counts['deliveries']).toBe(17);
    expect(counts['retried']).toBe(16);
    expect(counts['deadLettered']).toBe(1);
    const times = world.history.ops.filter((o) => o.f === 'receive').map((o) => o.time);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const levels = [10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map((s) => s * 1_000_000);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(levels[i]!);
      expect(gap - levels[i]!).toBeLessThan(50_000); // send back, re-put and long-poll wake-up: a few ms
    });
    const queues = new Set(world.history.ops.filter((o) => o.f === 'receive').slice(1).map((o) => o.queue));
    expect(queues).toEqual(new Set(['broker-a:%RETRY%g:0']));
  });

  it('maxReconsumeTimes bounds the retries', () => {
    const { counts } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, duration: '5s', drain: '10m',
      workload: { producers: [{ id: 'p1', count: 3 }], consumers: [{ group: 'g', failureRate: 1, config: { maxReconsumeTimes: 2 } }] },
    });
    expect(counts['deliveries']).toBe(9);
    expect(counts['deadLettered']).toBe(3);
  });

  it('messageDelayLevel is overridable and every delayed message arrives on time, never early', () => {
    const { result, counts } = runRocket({
      cluster: { brokerGroups: 2, slavesPerGroup: 0, config: { messageDelayLevel: '2s 7s 1m' } }, duration: '10s', drain: '2m',
      workload: { producers: [{ id: 'p1', count: 30, rate: '10/s', delayLevels: [1, 2, 3] }], consumers: [{ group: 'g' }] },
    });
    expect(counts['delivered']).toBe(30);
    expect(result.check.delay.count).toBe(30);
    expect(result.check.delay.early).toBe(0);
    expect(result.check.delay.max).toBeLessThan(0.01);
  });

  it('delayed messages still waiting at the end are retained (backlog), not lost', () => {
    const { counts } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, duration: '5s', drain: '5s',
      workload: { producers: [{ id: 'p1', count: 10, rate: '10/s', delayLevel: 5 }], consumers: [{ group: 'g' }] },
    });
    expect(counts['acked']).toBe(10);
    expect(counts['delivered']).toBe(0);
    expect(counts['lostAcked']).toBe(0);
    expect(counts['stillQueued']).toBe(10);
  });
});

describe('rocketmq orderly consumption', () => {
  const scenario = (orderly: boolean, faults: unknown[] = []) => ({
    cluster: { brokerGroups: 2, slavesPerGroup: 0 }, duration: '60s', drain: '120s',
    workload: {
      producers: [{ id: 'p1', rate: '100/s', keys: 16, orderly: true }],
      consumers: [{ group: 'g', count: 2, processing: { uniform: ['1ms', '15ms'] }, failureRate: 0.02, orderly }],
    },
    faults,
  });

  /** Messages whose last delivery came after the first delivery of a later message (same key, same producer). */
  const processedOutOfOrder = (ops: readonly HistoryOp[]): number => {
    const last = new Map<string, HistoryOp>();
    const first = new Map<string, HistoryOp>();
    for (const o of ops) {
      if (o.f !== 'receive') continue;
      last.set(o.msg!, o);
      if (!first.has(o.msg!)) first.set(o.msg!, o);
    }
    const byKey = new Map<string, HistoryOp[]>();
    for (const o of first.values()) byKey.set(o.key!, [...(byKey.get(o.key!) ?? []), o]);
    let count = 0;
    for (const list of byKey.values()) {
      list.sort((a, b) => parseMessageId(a.msg!).seq - parseMessageId(b.msg!).seq);
      for (let i = 0; i < list.length - 1; i++) if (last.get(list[i]!.msg!)!.time > list[i + 1]!.time) count++;
    }
    return count;
  };

  it('concurrently, a failed message comes back through %RETRY% after later ones of its key; orderly retries it in place', () => {
    const concurrent = runRocket(scenario(false), 1, true);
    expect(concurrent.counts['retried']).toBeGreaterThan(0);
    expect(processedOutOfOrder(concurrent.world.history.ops)).toBeGreaterThan(0);
    const orderly = runRocket(scenario(true), 1, true);
    expect(orderly.counts['retried']).toBe(0);
    expect(orderly.counts['duplicateDeliveries']).toBeGreaterThan(0);
    expect(processedOutOfOrder(orderly.world.history.ops)).toBe(0);
    expect(orderly.counts['reorders']).toBe(0);
    expect(orderly.counts['lostAcked']).toBe(0);
    expect(orderly.counts['delivered']).toBe(6000);
  });

  it('a failure suspends the queue and retries the same message locally, keeping the order', () => {
    const run = runRocket({ ...scenario(true), workload: { ...scenario(true).workload, consumers: [{ group: 'g', count: 2, orderly: true, failureRate: 0.05 }] } });
    expect(run.counts['duplicateDeliveries']).toBeGreaterThan(0);
    expect(run.counts['retried']).toBe(0);
    expect(run.counts['reorders']).toBe(0);
  });

  it('a consumer crash: its queues wait for the broker lock to expire, then resume in order (duplicates, no reorder)', () => {
    const run = runRocket(scenario(true, [{ at: '20s', kill: 'g-c1', for: '5s' }]), 1, true);
    expect(run.counts['lostAcked']).toBe(0);
    expect(run.counts['stillQueued']).toBe(0);
    expect(run.counts['reorders']).toBe(0);
    expect(processedOutOfOrder(run.world.history.ops)).toBe(0);
    expect(run.result.notes.some((n) => n.what === 'mq-lock-expired' || n.what === 'mq-lock-refused')).toBe(true);
  });
});
