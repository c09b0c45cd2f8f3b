import { describe, expect, it } from 'vitest';
import { groupOf, type HistoryOp } from '../../sim/history.js';
import { runRocket } from '../rocketmq-helpers.js';

/** The idempotent consumer: duplicates RocketMQ re-delivers are recorded as skips, not as processing. */

const crash = (idempotent: boolean, extra: Record<string, unknown> = {}) => ({
  duration: '60s', drain: '180s', cluster: { brokerGroups: 2, slavesPerGroup: 0 }, network: { latency: { uniform: ['500us', '2ms'] } },
  workload: {
    producers: [{ id: 'p1', rate: '100/s', keys: 20 }],
    consumers: [{ group: 'billing', count: 2, processing: '20ms', idempotent, ...extra }],
  },
  faults: [{ at: '20s', kill: 'billing-c1', for: '5s' }],
});

function ofKind(ops: readonly HistoryOp[], f: HistoryOp['f']): HistoryOp[] {
  return ops.filter((op) => op.f === f && op.type === 'ok');
}

describe('rocketmq idempotent consumer', () => {
  it('re-deliveries after a consumer crash are skips: processed once, the raw re-deliveries counted apart', () => {
    const plain = runRocket(crash(false), 41, true);
    const idem = runRocket(crash(true), 41, true);
    // Without the check the re-deliveries are processed again.
    expect(plain.counts['duplicateDeliveries']).toBeGreaterThan(0);
    expect(ofKind(plain.world.history.ops, 'skip')).toHaveLength(0);
    // With it: no message processed twice, one skip op per duplicate skipped, each after that message's processing.
    expect(idem.counts['duplicateDeliveries']).toBe(0);
    expect(idem.counts['lostAcked']).toBe(0);
    const skips = ofKind(idem.world.history.ops, 'skip');
    expect(skips.length).toBe(idem.counts['duplicatesSkipped']);
    expect(skips.length).toBeGreaterThan(0);
    const processed = new Map<string, HistoryOp>();
    for (const op of ofKind(idem.world.history.ops, 'receive')) {
      expect(processed.has(`${groupOf(op)}/${op.msg}`), op.msg).toBe(false);
      processed.set(`${groupOf(op)}/${op.msg}`, op);
    }
    for (const skip of skips) {
      const first = processed.get(`${groupOf(skip)}/${skip.msg}`);
      expect(first, skip.msg).toBeDefined();
      expect(first!.index).toBeLessThan(skip.index);
    }
    // Skips are not deliveries: the receive count is the distinct messages.
    expect(idem.counts['deliveries']).toBe(idem.counts['delivered']);
  });

  it('records the receive when the processing commits, not when the message is handed over', () => {
    const plain = runRocket(crash(false), 41);
    const idem = runRocket(crash(true), 41);
    // processing is 20 ms: the idempotent consumer's end-to-end latency includes it.
    expect(idem.result.check.latency.p50 - plain.result.check.latency.p50).toBeGreaterThanOrEqual(19_000);
  });

  it('a failed (RECONSUME_LATER) consumption rolls back: the retry is its first processing, not a duplicate', () => {
    const { counts } = runRocket({
      duration: '20s', drain: '120s', cluster: { brokerGroups: 1, slavesPerGroup: 0 }, network: { latency: '1ms' },
      workload: { producers: [{ id: 'p1', rate: '20/s' }], consumers: [{ group: 'g', processing: '5ms', failureRate: 0.3, idempotent: true }] },
    }, 3);
    expect(counts['retried']).toBeGreaterThan(0);
    expect(counts['duplicateDeliveries']).toBe(0);
    expect(counts['duplicatesSkipped']).toBe(0);
    expect(counts['lostAcked']).toBe(0);
  });

  it('broadcasting: each consumer keeps its own table, so every consumer processes every message once', () => {
    const { counts, world } = runRocket({
      duration: '10s', drain: '20s', cluster: { brokerGroups: 1, slavesPerGroup: 0 }, network: { latency: '1ms' },
      workload: {
        producers: [{ id: 'p1', rate: '50/s', count: 200 }],
        consumers: [{ group: 'b', count: 2, idempotent: true, config: { messageModel: 'BROADCASTING' } }],
      },
    }, 1, true);
    const receives = ofKind(world.history.ops, 'receive');
    for (const c of ['b-c1', 'b-c2']) expect(new Set(receives.filter((op) => op.process === c).map((op) => op.msg)).size, c).toBe(200);
    expect(counts['duplicatesSkipped']).toBe(0);
    expect(counts['lostAcked']).toBe(0);
  });
});
