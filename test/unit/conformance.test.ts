import { describe, expect, it } from 'vitest';
import { formatResults, judgeRecording, loadRecording } from '../../conformance/compare.js';
import { loadDivergences, parseDivergences } from '../../conformance/divergences.js';
import { compareOutcomes } from '../../conformance/outcome.js';
import { RABBITMQ_PROBES } from '../../conformance/rabbitmq/probes.js';
import { rabbitmqConformance } from '../../conformance/rabbitmq/system.js';

/**
 * The model against the real brokers' recorded outcomes (conformance/recorded/), no broker
 * needed: every probe's model outcome must equal the recording field by field, except where
 * conformance/DIVERGENCES.md lists the difference. `npm run conformance` refreshes the check
 * against a live broker.
 */

describe('conformance: the RabbitMQ model against RabbitMQ 3.10.8 as recorded', () => {
  const recording = loadRecording('rabbitmq', '3.10.8');

  it('has a recorded outcome for every probe, and at least 25 probes', () => {
    expect(recording).not.toBeNull();
    expect(RABBITMQ_PROBES.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(recording!.outcomes).sort()).toEqual(RABBITMQ_PROBES.map((p) => p.id).sort());
  });

  it('agrees with every recorded outcome not listed in DIVERGENCES.md', () => {
    const results = judgeRecording(rabbitmqConformance, recording!, loadDivergences());
    const unlisted = results.filter((r) => r.unlisted.length > 0);
    expect(unlisted.map((r) => r.probe), formatResults(results, 'rabbitmq 3.10.8 (recorded) vs model')).toEqual([]);
  });

  it('lists in DIVERGENCES.md only disagreements that still exist, each with its reason', () => {
    const results = judgeRecording(rabbitmqConformance, recording!, loadDivergences());
    const listed = loadDivergences().filter((d) => d.system === 'rabbitmq');
    expect(listed.length).toBeGreaterThan(0);
    for (const d of listed) {
      const result = results.find((r) => r.probe === d.probe);
      expect(result, `DIVERGENCES.md names an unknown probe ${d.probe}`).toBeDefined();
      const differs = result!.modelDifferences.some((m) => d.field === '*' || m.field === d.field);
      expect(differs, `${d.probe} ${d.field} is listed in DIVERGENCES.md but the model agrees now: remove the row`).toBe(true);
      expect(d.why.length).toBeGreaterThan(10);
    }
  });

  it('compares each field: a recording changed in one field is caught there', () => {
    const id = 'alternate-exchange-e2e-to-nowhere';
    const real = recording!.outcomes[id]!;
    const model = rabbitmqConformance.runModel(id, '3.10.8');
    expect(compareOutcomes(real, model)).toEqual([]);
    const tampered = { ...real, returns: [] };
    expect(compareOutcomes(tampered, model).map((d) => d.field)).toEqual(['returns']);
  });

  it('follows the version where RabbitMQ versions differ: 4.0 dead-letters after 20 returns, 3.10 never', () => {
    const id = 'quorum-delivery-limit-default';
    const at310 = rabbitmqConformance.runModel(id, '3.10.8');
    const at40 = rabbitmqConformance.runModel(id, '4.0.5');
    expect(at310['deliveries.cd']).toEqual([]);
    expect(at40['deliveries.cd']).toEqual(['m1 via (default)/dead x-death=[delivery_limit@qq×1 from (default)/qq] x-first-death=delivery_limit@qq from (default)']);
    expect(compareOutcomes(recording!.outcomes[id]!, at40).map((d) => d.field)).toEqual(['deliveries.c1', 'deliveries.cd']);
  });

  it('reads DIVERGENCES.md rows by system, probe and field', () => {
    const rows = parseDivergences('| system | probe | field | real | model | why |\n| --- | --- | --- | --- | --- | --- |\n| rabbitmq | `p1` | returns | a | b | accepted: reason |\n');
    expect(rows).toEqual([{ system: 'rabbitmq', probe: 'p1', field: 'returns', why: 'accepted: reason' }]);
  });
});
