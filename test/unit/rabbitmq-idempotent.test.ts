import { describe, expect, it } from 'vitest';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { loadScenario } from '../../models/scenario.js';
import { World } from '../../sim/world.js';

/**
 * RabbitMQ's idempotent consumer: a processed-ids table per group, written in the same local
 * transaction as the processing, so a message redelivered after a consumer crash (processed,
 * not yet acked) is skipped by whichever consumer of the group gets it — and recorded as a
 * history `skip`, not a `receive`, so the duplicate checker counts processing.
 */
function run(idempotent: boolean) {
  const scenario = loadScenario(`
name: rabbitmq-idempotent
system: rabbitmq
seed: 3
duration: 10s
drain: 30s
queues: [{ name: orders, durable: true }]
workload:
  producers:
    - { id: p1, rate: 390/s, routingKey: orders, persistent: true, config: { confirm: true } }
  consumers:
    - { group: billing, queue: orders, count: 2, processing: 5ms, idempotent: ${idempotent}, config: { prefetch: 50, ackEvery: 20, heartbeat: 2s } }
faults:
  - { at: 2s, kill: billing-c1, for: 1s }
  - { at: 4s, kill: billing-c2, for: 5s }
`);
  const world = new World({ seed: scenario.seed ?? 1, keepHistory: true });
  const model = rabbitmqModel.build(world, scenario as RabbitScenario);
  const result = world.run({ duration: scenario.duration, drain: scenario.drain!, faults: scenario.faults! });
  return { result, counts: model.counts(), ops: world.history.ops };
}

describe('rabbitmq idempotent consumer', () => {
  it('without it, messages processed but not yet acked when a consumer dies are processed again', () => {
    const { result, counts, ops } = run(false);
    expect(result.check.counts.duplicateDeliveries).toBeGreaterThan(0);
    expect(counts.duplicatesSkipped).toBe(0);
    expect(ops.some((op) => op.f === 'skip')).toBe(false);
  });

  it('with it, the redeliveries are skipped (recorded as skips, counted), nothing is processed twice and nothing is lost', () => {
    const { result, counts, ops } = run(true);
    expect(result.check.counts.duplicateDeliveries).toBe(0);
    expect(result.check.counts.lostAcked).toBe(0);
    const skips = ops.filter((op) => op.f === 'skip');
    expect(skips.length).toBeGreaterThan(0);
    expect(counts.duplicatesSkipped).toBe(skips.length);
    // Every skipped message was processed once, and the skip is a redelivery of it.
    const processed = new Set(ops.filter((op) => op.f === 'receive').map((op) => op.msg));
    for (const skip of skips) {
      expect(processed.has(skip.msg)).toBe(true);
      expect(skip.redelivered).toBe(true);
    }
    // The table is the group's: billing-c2 stays dead past the broker's heartbeat timeout, so its
    // unacked messages go to billing-c1, which skips the ones c2 had processed.
    const processedBy = new Map(ops.filter((op) => op.f === 'receive').map((op) => [op.msg, op.process]));
    expect(skips.some((skip) => processedBy.get(skip.msg) !== skip.process)).toBe(true);
  });
});
