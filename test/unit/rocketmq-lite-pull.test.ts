import { describe, expect, it } from 'vitest';
import { buildRocketmq } from '../../models/rocketmq/index.js';
import { resolveConsumerSettings, resolveLitePullSettings } from '../../models/rocketmq/schema.js';
import type { HistoryOp } from '../../sim/history.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

/** DefaultLitePullConsumer: poll batches, flow control, autoCommit versus commitSync, assign mode. */

const base = { cluster: { brokerGroups: 2, slavesPerGroup: 0 }, network: { latency: { uniform: ['500us', '2ms'] } } };

function receives(ops: readonly HistoryOp[], process?: string): HistoryOp[] {
  return ops.filter((op) => op.f === 'receive' && op.type === 'ok' && (process === undefined || op.process === process));
}

function buildError(consumer: Record<string, unknown>): string {
  const scenario = parseRocket({ ...base, duration: '1s', workload: { consumers: [{ group: 'g', ...consumer }] } });
  try {
    buildRocketmq(new World({ seed: 1 }), scenario);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('rocketmq lite pull consumer', () => {
  it('has DefaultLitePullConsumer\'s defaults', () => {
    expect(resolveConsumerSettings(undefined, true).pullBatchSize).toBe(10);
    expect(resolveConsumerSettings(undefined, false).pullBatchSize).toBe(32);
    const lite = resolveLitePullSettings(undefined, {});
    expect(lite).toMatchObject({
      mode: 'subscribe', processingMode: 'sync', autoCommit: true, autoCommitInterval: 5_000_000, pollTimeout: 5_000_000,
      pullThresholdForAll: 10_000, consumeMaxSpan: 2000, brokerSuspendMaxTime: 20_000_000, consumerTimeoutWhenSuspend: 30_000_000,
    });
  });

  it('refuses settings that belong to the other consumer type, with a message naming them', () => {
    expect(buildError({ config: { autoCommit: false } })).toMatch(/autoCommit is a DefaultLitePullConsumer setting; it needs consumerType: pull/);
    expect(buildError({ processingMode: 'async-pool' })).toMatch(/processingMode needs consumerType: pull/);
    expect(buildError({ consumerType: 'pull', orderly: true })).toMatch(/orderly/);
    expect(buildError({ consumerType: 'pull', failureRate: 0.1 })).toMatch(/failureRate needs a push consumer/);
    expect(buildError({ consumerType: 'pull', mode: 'assign', count: 2 })).toMatch(/count > 1 needs mode: subscribe/);
    expect(buildError({ consumerType: 'pull', workers: 3 })).toMatch(/workers needs processingMode: async-pool/);
    expect(buildError({ consumerType: 'pull', mode: 'assign' })).toBe('');
  });

  it('a sync poll loop processes one batch of at most pullBatchSize messages from one queue at a time', () => {
    const { world } = runRocket({
      ...base, duration: '10s', drain: '60s',
      workload: { producers: [{ id: 'p1', rate: '200/s', stop: '5s' }], consumers: [{ group: 'g', consumerType: 'pull', processing: '1ms', start: '5s' }] },
    }, 3, true);
    const ops = receives(world.history.ops);
    expect(ops.length).toBe(1000);
    // Runs of receives from one queue at consecutive offsets: what one poll() returned. The
    // 8 queues' pull tasks feed the cache in turn, so a run is one batch.
    const runs: number[] = [];
    let run = 1;
    for (let i = 1; i <= ops.length; i++) {
      const same = i < ops.length && ops[i]!.queue === ops[i - 1]!.queue && ops[i]!.offset === ops[i - 1]!.offset! + 1;
      if (same) run++;
      else {
        runs.push(run);
        run = 1;
      }
    }
    // The consumer starts after the 1000 messages are stored: every pull comes back full (125 per queue: 12 of 10 and one of 5).
    expect(Math.max(...runs)).toBe(10);
    expect(runs.filter((r) => r === 10).length).toBe(96);
  });

  it('assign(): every queue of the topic, no %RETRY% subscription, one assignment for the whole run while another group\'s consumers come and go', () => {
    const { world, counts } = runRocket({
      ...base, duration: '40s', drain: '30s',
      workload: {
        producers: [{ id: 'p1', rate: '50/s' }],
        consumers: [
          { group: 'g', consumerType: 'pull', mode: 'assign', processing: '1ms' },
          { group: 'h', consumerType: 'pull', count: 2, start: '10s', stop: '25s' },
        ],
      },
    }, 2, true);
    const assigns = world.history.ops.filter((op) => op.f === 'assign' && op.process === 'g-c1');
    expect(assigns).toHaveLength(1);
    expect(assigns[0]!.queues).toEqual([0, 1, 2, 3].flatMap((q) => [`broker-a:TopicTest:${q}`]).concat([0, 1, 2, 3].map((q) => `broker-b:TopicTest:${q}`)).sort());
    expect(counts['lostAcked']).toBe(0);
    expect(new Set(receives(world.history.ops, 'g-c1').map((op) => op.msg)).size).toBe(2000);
  });

  it('subscribe: the group\'s consumers split the queues by rebalance, without a %RETRY% topic', () => {
    const { world, counts } = runRocket({
      ...base, duration: '30s', drain: '10s',
      workload: { producers: [{ id: 'p1', rate: '50/s' }], consumers: [{ group: 'g', consumerType: 'pull', count: 2, processing: '1ms' }] },
    }, 2, true);
    const last = (p: string) => world.history.ops.filter((op) => op.f === 'assign' && op.process === p).at(-1)!.queues!;
    expect(last('g-c1')).toHaveLength(4);
    expect(last('g-c2')).toHaveLength(4);
    expect([...last('g-c1'), ...last('g-c2')].every((q) => !q.includes('%RETRY%'))).toBe(true);
    expect(counts['lostAcked']).toBe(0);
    expect(counts['duplicateDeliveries']).toBe(0);
  });

  it('auto-commit with a worker pool commits what the pool has not processed (loss); commitSync after processing does not', () => {
    const run = (consumer: Record<string, unknown>) => runRocket({
      ...base, duration: '40s', drain: '180s',
      workload: { producers: [{ id: 'p1', rate: '100/s', keys: 20 }], consumers: [{ group: 'billing', count: 2, consumerType: 'pull', ...consumer }] },
      faults: [{ at: '30s', kill: 'billing-c1', for: '5s' }],
    }, 11).counts;
    const pool = run({ processingMode: 'async-pool', workers: 1, processing: '50ms' });
    expect(pool['lostAcked']).toBeGreaterThan(0);
    const manual = run({ processing: '5ms', config: { autoCommit: false } });
    expect(manual['lostAcked']).toBe(0);
    expect(manual['duplicateDeliveries']).toBeGreaterThan(0);
    const autoSync = run({ processing: '5ms' });
    expect(autoSync['lostAcked']).toBe(0);
    // The auto-commit lags by up to autoCommitIntervalMillis more than commitSync after each batch.
    expect(autoSync['duplicateDeliveries']).toBeGreaterThan(manual['duplicateDeliveries']!);
  });

  it('a slow application: the client cache stops at pullThresholdForQueue per queue and the backlog waits at the broker', () => {
    const { counts, result } = runRocket({
      cluster: { brokerGroups: 1, slavesPerGroup: 0 }, network: { latency: '1ms' }, duration: '20s', drain: '200s',
      workload: { producers: [{ id: 'p1', rate: '400/s' }], consumers: [{ group: 'g', consumerType: 'pull', processing: '20ms', config: { pullThresholdForQueue: 200 } }] },
    }, 4);
    expect(counts['flowControlledPulls']).toBeGreaterThan(0);
    expect(counts['pullCacheMax']).toBeLessThanOrEqual(4 * (200 + 10));
    expect(result.check.backlog.max).toBeGreaterThan(5000);
    expect(counts['lostAcked']).toBe(0);
    expect(counts['stillQueued']).toBe(0);
  });

  it('seek: begin replays every queue, end skips the backlog (the data loss RocketMQ warns of), an offset out of range is refused', () => {
    const run = (offset: number | string, processing: string) => runRocket({
      ...base, duration: '20s', drain: '60s',
      workload: {
        producers: [{ id: 'p1', rate: '100/s' }],
        consumers: [{ group: 'g', consumerType: 'pull', mode: 'assign', processing, seek: [{ at: '10s', offset }] }],
      },
    }, 5).counts;
    const begin = run('begin', '1ms');
    expect(begin['duplicatedMessages']).toBeGreaterThan(900);
    expect(begin['lostAcked']).toBe(0);
    // 20 ms a message for 100/s: at 10 s a backlog waits; seekToEnd jumps over it.
    const end = run('end', '20ms');
    expect(end['lostAcked']).toBeGreaterThan(100);
    const illegal = run(1_000_000, '1ms');
    expect(illegal['duplicateDeliveries']).toBe(0);
    expect(illegal['lostAcked']).toBe(0);
  });

  it('seek needs a pull consumer', () => {
    expect(buildError({ seek: [{ at: '1s', offset: 0 }] })).toMatch(/seek needs consumerType: pull/);
  });
});
