import { describe, expect, it } from 'vitest';
import { formatResults, judgeRecording, loadRecording } from '../../conformance/compare.js';
import { loadDivergences } from '../../conformance/divergences.js';
import { compareOutcomes } from '../../conformance/outcome.js';
import { outcomeOf, type Observed, type RocketProbe } from '../../conformance/rocketmq/probe.js';
import { ROCKETMQ_PROBES } from '../../conformance/rocketmq/probes.js';
import { rocketmqConformance } from '../../conformance/rocketmq/system.js';
import { conformanceSystem } from '../../conformance/systems.js';

/**
 * The RocketMQ model against a real RocketMQ 5.3.3's recorded outcomes
 * (conformance/recorded/rocketmq-5.3.3.json), no broker needed: every probe's model outcome
 * must equal the recording field by field, except where conformance/DIVERGENCES.md lists the
 * difference. `npm run conformance` refreshes the check against a live NameServer and broker.
 */

describe('conformance: the RocketMQ model against RocketMQ 5.3.3 as recorded', () => {
  const recording = loadRecording('rocketmq', '5.3.3');

  it('is one of the conformance systems, with a recorded outcome for every probe, and at least 25 probes', () => {
    expect(conformanceSystem('rocketmq')).toBe(rocketmqConformance);
    expect(recording).not.toBeNull();
    expect(recording!.version).toBe('5.3.3');
    expect(ROCKETMQ_PROBES.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(recording!.outcomes).sort()).toEqual(ROCKETMQ_PROBES.map((p) => p.id).sort());
    expect(new Set(ROCKETMQ_PROBES.map((p) => p.id)).size).toBe(ROCKETMQ_PROBES.length);
  });

  it('agrees with every recorded outcome not listed in DIVERGENCES.md', () => {
    const results = judgeRecording(rocketmqConformance, recording!, loadDivergences());
    const unlisted = results.filter((r) => r.unlisted.length > 0);
    expect(unlisted.map((r) => r.probe), formatResults(results, 'rocketmq 5.3.3 (recorded) vs model')).toEqual([]);
  });

  it('lists in DIVERGENCES.md only RocketMQ disagreements that still exist, each with its reason', () => {
    const results = judgeRecording(rocketmqConformance, recording!, loadDivergences());
    const listed = loadDivergences().filter((d) => d.system === 'rocketmq');
    for (const d of listed) {
      const result = results.find((r) => r.probe === d.probe);
      expect(result, `DIVERGENCES.md names an unknown probe ${d.probe}`).toBeDefined();
      const differs = result!.modelDifferences.some((m) => d.field === '*' || m.field === d.field);
      expect(differs, `${d.probe} ${d.field} is listed in DIVERGENCES.md but the model agrees now: remove the row`).toBe(true);
      expect(d.why.length).toBeGreaterThan(10);
    }
  });

  it('compares each field: a recording changed in one field is caught there', () => {
    const id = 'alloc-by-circle-3c-8q';
    const real = recording!.outcomes[id]!;
    const model = rocketmqConformance.runModel(id, '5.3.3');
    expect(compareOutcomes(real, model)).toEqual([]);
    expect(model['assignments.1']).toEqual({ 'g-c1': 'q0 q3 q6', 'g-c2': 'q1 q4 q7', 'g-c3': 'q2 q5' });
    const tampered = { ...real, 'assignments.1': { 'g-c1': 'q0 q1 q2', 'g-c2': 'q3 q4 q5', 'g-c3': 'q6 q7' } };
    expect(compareOutcomes(tampered, model).map((d) => d.field)).toEqual(['assignments.1']);
  });

  it('turns what a run saw into outcome fields the same way for both sides: timings in whole seconds', () => {
    const probe: RocketProbe = { id: 'x', about: '', topics: [{ name: 'T', queues: 4 }], steps: [], outcome: ['delays', 'retryDelays', 'queueSteps', 'reconsumeTimes'] };
    const observed: Observed = {
      sends: [{ id: 'p1-0', at: 100, status: 'SEND_OK', queueId: 3 }, { id: 'p1-1', at: 110, status: 'SEND_OK', queueId: 0 }],
      deliveries: [
        { consumer: 'g-c1', group: 'g', id: 'p1-0', queueId: 3, reconsumeTimes: 0, at: 1_540 },
        { consumer: 'g-c1', group: 'g', id: 'p1-1', queueId: 0, reconsumeTimes: 0, at: 2_650 },
        { consumer: 'g-c1', group: 'g', id: 'p1-0', queueId: 0, reconsumeTimes: 1, at: 4_600 },
      ],
      checks: [], assignments: [], routes: [], dlq: [], clusters: [],
    };
    expect(outcomeOf(probe, observed)).toEqual({
      'delays.g': { 'p1-0': 1, 'p1-1': 3 },
      'retryDelays.g': { 'p1-0': [3] },
      queueSteps: { 1: 1 },
      'reconsumeTimes.g': { 'p1-0': [0, 1], 'p1-1': [0] },
    });
  });
});
