import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';

/**
 * The switches bench:trace-share uses to measure what the trace hash and the checkers cost
 * (WorldOptions.hashTrace, checkHistory): each leaves out only what it names, so the run itself
 * (its events and trace records) is the same and the difference in time is that part's cost.
 */
describe('trace-share switches (benchmarks only)', () => {
  const scenario = loadScenario('scenarios/kafka/acks-1-leader-failover.yaml');
  const full = simulate(scenario);

  it('hashTrace false: the same run, every record still counted, the hash reported as off', () => {
    const noHash = simulate(scenario, { hashTrace: false });
    expect(full.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(noHash.traceHash).toBe('off');
    expect(noHash.events).toBe(full.events);
    expect(noHash.traceRecords).toBe(full.traceRecords);
    expect(noHash.counts).toEqual(full.counts);
  });

  it('checkHistory false: the same run, the checkers read nothing (counts 0)', () => {
    const unchecked = simulate(scenario, { checkHistory: false });
    expect(unchecked.traceHash).toBe(full.traceHash);
    expect(unchecked.events).toBe(full.events);
    expect(full.counts.sent).toBeGreaterThan(0);
    expect(full.counts.lostAcked).toBeGreaterThan(0);
    expect(unchecked.counts.sent).toBe(0);
    expect(unchecked.counts.lostAcked).toBe(0);
  });
});
