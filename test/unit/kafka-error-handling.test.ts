import { describe, expect, test } from 'vitest';
import type { HistoryOp } from '../../sim/history.js';
import { earliest, runKafka } from '../kafka-helpers.js';

/** The Kafka consumer's failure handling (failureRate, errorHandling): Spring Kafka's patterns. */

const topics = (...extra: string[]) => [{ name: 'orders', partitions: 2, replicationFactor: 3 }, ...extra.map((name) => ({ name, partitions: 1, replicationFactor: 3 }))];
const base = {
  duration: '20s',
  drain: '60s',
  cluster: { brokers: 3, config: { 'offsets.topic.num.partitions': 5, 'group.initial.rebalance.delay.ms': 0 } },
  network: { latency: { uniform: ['1ms', '3ms'] } },
};
const producer = { id: 'p1', topic: 'orders', rate: '50/s', keys: 20 };
const consumer = (extra: Record<string, unknown>) => ({
  group: 'billing', topic: 'orders', mode: 'subscribe', count: 1, processing: '1ms', config: { ...earliest, 'enable.auto.commit': false }, ...extra,
});
const receives = (ops: readonly HistoryOp[]) => ops.filter((op) => op.f === 'receive' && op.type === 'ok');

describe('error handling', () => {
  test('blocking retries process the failed record again in place: per-key order holds, every record is delivered once', () => {
    const { model, world } = runKafka({ ...base, topics: topics(), workload: { producers: [producer], consumers: [consumer({ failureRate: 0.2, errorHandling: { mode: 'blocking', attempts: 10, backoff: '100ms' } })] } });
    const stats = model.counts();
    expect(stats.retried).toBeGreaterThan(100);
    expect(stats.deadLettered).toBe(0);
    const got = receives(world.history.ops);
    expect(new Set(got.map((op) => op.msg)).size).toBe(got.length);
    expect(got.length).toBe(world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok').length);
    // Per partition, offsets are delivered in order despite the retries.
    const last = new Map<string, number>();
    for (const op of got) {
      expect(op.offset!).toBeGreaterThan(last.get(op.queue!) ?? -1);
      last.set(op.queue!, op.offset!);
    }
  });

  test('after the last attempt: the dead-letter topic keeps the record (not lost); without one it is skipped and lost', () => {
    const run = (dlt: boolean) => runKafka({
      ...base, topics: topics('orders-dlt'),
      workload: { producers: [producer], consumers: [consumer({ failureRate: 0.5, errorHandling: { mode: 'blocking', attempts: 2, dlt } })] },
    });
    const withDlt = run(true);
    const dead = withDlt.model.counts().deadLettered;
    expect(dead).toBeGreaterThan(100);
    expect(withDlt.world.notes.filter((n) => n.what === 'record-dead-lettered')).toHaveLength(Math.min(dead, withDlt.world.notes.length));
    expect(withDlt.model.retained!().size).toBeGreaterThanOrEqual(dead);
    const without = run(false);
    expect(without.model.counts().recordsSkipped).toBeGreaterThan(100);
    expect(without.model.counts().deadLettered).toBe(0);
  });

  test('retry topics: a failed record goes to <topic>-retry-<backoff>, comes back no sooner than its back-off, then to <topic>-dlt', () => {
    const { model, world } = runKafka({
      ...base, topics: topics('orders-retry-2s', 'orders-retry-5s', 'orders-dlt'),
      workload: { producers: [producer], consumers: [consumer({ failureRate: 0.3, errorHandling: { mode: 'retry-topics', backoff: ['2s', '5s'] } })] },
    });
    const stats = model.counts();
    expect(stats.retried).toBeGreaterThan(100);
    expect(stats.deadLettered).toBeGreaterThan(0);
    const sent = new Map(world.history.ops.filter((op) => op.f === 'send' && op.type === 'invoke').map((op) => [op.msg!, op.time]));
    const fromRetry = receives(world.history.ops).filter((op) => op.queue!.startsWith('orders-retry-'));
    expect(fromRetry.length).toBeGreaterThan(50);
    for (const op of fromRetry) expect(op.time - sent.get(op.msg!)!).toBeGreaterThanOrEqual(2_000_000);
    expect(fromRetry.some((op) => op.queue === 'orders-retry-5s-0')).toBe(true);
  });

  test('failureRate alone is Spring Kafka\'s default: 10 attempts in place, no back-off, then skipped', () => {
    const { model, world } = runKafka({ ...base, topics: topics(), workload: { producers: [producer], consumers: [consumer({ failureRate: 0.6 })] } });
    expect(model.counts().retried).toBeGreaterThan(500);
    expect(model.counts().recordsSkipped).toBeGreaterThan(0);
    expect(world.notes.filter((n) => n.what === 'record-retried-in-place').some((n) => (n.detail as { attempt: number }).attempt === 10)).toBe(true);
  });

  test('refused: a retry or dead-letter topic not declared, failureRate on an assign() consumer or an async pool', () => {
    expect(() => runKafka({ ...base, topics: topics(), workload: { consumers: [consumer({ failureRate: 0.1, errorHandling: { mode: 'blocking', dlt: true } })] } })).toThrow('orders-dlt');
    expect(() => runKafka({ ...base, topics: topics('orders-dlt'), workload: { consumers: [consumer({ failureRate: 0.1, errorHandling: { mode: 'retry-topics', backoff: ['5s'] } })] } })).toThrow('orders-retry-5s');
    expect(() => runKafka({ ...base, topics: topics(), workload: { consumers: [{ group: 'billing', topic: 'orders', failureRate: 0.1 }] } })).toThrow('failureRate needs mode: subscribe');
    expect(() => runKafka({ ...base, topics: topics(), workload: { consumers: [consumer({ failureRate: 0.1, processingMode: 'async-pool', commit: 'manual-before' })] } })).toThrow('sync poll loop');
  });
});
