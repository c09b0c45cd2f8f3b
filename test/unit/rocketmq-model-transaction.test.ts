import { describe, expect, it } from 'vitest';
import { runRocket } from '../rocketmq-helpers.js';

/** Transactional messages: half message, END_TRANSACTION, check-back, transactionCheckMax. */

const cluster = (config: Record<string, unknown> = {}) => ({ brokerGroups: 1, slavesPerGroup: 0, config: { transactionCheckInterval: 5000, ...config } });

describe('rocketmq transactions', () => {
  it('a half message is invisible until END_TRANSACTION commits it; a rollback is never delivered', () => {
    const { counts, world } = runRocket({
      cluster: cluster(), duration: '10s', drain: '10s',
      workload: { producers: [{ id: 'p1', count: 100, rate: '20/s', transaction: { commit: 0.5, duration: '1s' } }], consumers: [{ group: 'g' }] },
    }, 1, true);
    const ops = world.history.ops;
    const committed = new Set(ops.filter((o) => o.f === 'send' && o.type === 'ok').map((o) => o.msg));
    const rolledBack = new Set(ops.filter((o) => o.f === 'send' && o.type === 'fail').map((o) => o.msg));
    expect(committed.size + rolledBack.size).toBe(counts['sent']);
    expect(committed.size).toBeGreaterThan(0);
    expect(rolledBack.size).toBeGreaterThan(0);
    const received = ops.filter((o) => o.f === 'receive');
    expect(new Set(received.map((o) => o.msg))).toEqual(committed);
    // Delivered only after the local transaction (1 s) ended.
    const invoked = new Map(ops.filter((o) => o.type === 'invoke').map((o) => [o.msg, o.time]));
    for (const r of received) expect(r.time - invoked.get(r.msg)!).toBeGreaterThanOrEqual(1_000_000);
    expect(counts['transactionChecks']).toBe(0);
  });

  it('UNKNOW is resolved by CHECK_TRANSACTION_STATE with the state of the local transaction', () => {
    const { counts, world } = runRocket({
      cluster: cluster(), duration: '10s', drain: '20s',
      workload: { producers: [{ id: 'p1', count: 50, rate: '20/s', transaction: { commit: 0.5, unknown: 1 } }], consumers: [{ group: 'g' }] },
    }, 1, true);
    expect(counts['unknown']).toBe(50);
    expect(counts['transactionChecks']).toBe(50);
    expect(counts['transactionCommitted'] + counts['transactionRolledBack']!).toBe(50);
    expect(counts['delivered']).toBe(counts['transactionCommitted']);
    const answers = world.notes.filter((n) => n.what === 'check-transaction-state');
    expect(answers.length).toBe(50);
  });

  it('a half message still UNKNOW after transactionCheckMax checks is discarded', () => {
    const { counts } = runRocket({
      cluster: cluster({ transactionCheckMax: 3, transactionCheckInterval: 1000, transactionTimeOut: 500 }), duration: '5s', drain: '20s',
      workload: { producers: [{ id: 'p1', count: 4, rate: '10/s', transaction: { unknown: 1, checkUnknown: 1 } }], consumers: [{ group: 'g' }] },
    });
    expect(counts['transactionChecks']).toBe(12);
    expect(counts['transactionDiscarded']).toBe(4);
    expect(counts['delivered']).toBe(0);
  });

  it('a producer that died mid-transaction is checked back after its restart and rolls back what never finished', () => {
    const { counts } = runRocket({
      cluster: cluster(), duration: '20s', drain: '30s',
      workload: { producers: [{ id: 'p1', rate: '2/s', transaction: { commit: 1, duration: '1500ms' } }], consumers: [{ group: 'g' }] },
      faults: [{ at: '5s', kill: 'p1', for: '3s' }],
    });
    expect(counts['transactionRolledBack']).toBe(1);
    expect(counts['transactionChecks']).toBe(1);
    expect(counts['failedButDelivered']).toBe(0);
    expect(counts['lostAcked']).toBe(0);
  });
});
