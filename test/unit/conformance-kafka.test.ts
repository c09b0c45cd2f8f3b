import { describe, expect, it } from 'vitest';
import { formatResults, judgeRecording, loadRecording } from '../../conformance/compare.js';
import { loadDivergences } from '../../conformance/divergences.js';
import { installedKafkaVersion } from '../../conformance/kafka/broker.js';
import { runProbeInModel } from '../../conformance/kafka/model.js';
import { outcomeOf, type KafkaProbe } from '../../conformance/kafka/probe.js';
import { KAFKA_PROBES, probeKeys } from '../../conformance/kafka/probes.js';
import { KAFKA_ZK_PROBES } from '../../conformance/kafka/probes-zk.js';
import { kafkaConformance } from '../../conformance/kafka/system.js';
import { compareOutcomes } from '../../conformance/outcome.js';
import { partitionForKey } from '../../models/kafka/partitioner.js';

/**
 * The Kafka model against real Kafka's recorded outcomes (conformance/recorded/kafka-<version>.json,
 * written by `npm run conformance:record -- --system kafka` against the pinned KRaft brokers), no
 * broker needed: every probe's model outcome equals the recording field by field, except where
 * conformance/DIVERGENCES.md lists the difference.
 */

const VERSION = '4.0.2';

describe(`conformance: the Kafka model against Kafka ${VERSION} as recorded`, () => {
  const recording = loadRecording('kafka', VERSION);

  it('has a recorded outcome for every probe, and at least 25 probes', () => {
    expect(recording).not.toBeNull();
    expect(KAFKA_PROBES.length).toBeGreaterThanOrEqual(33);
    expect(Object.keys(recording!.outcomes).sort()).toEqual(KAFKA_PROBES.map((p) => p.id).sort());
    expect(new Set(KAFKA_PROBES.map((p) => p.id)).size).toBe(KAFKA_PROBES.length);
  });

  it('agrees with every recorded outcome not listed in DIVERGENCES.md', () => {
    const results = judgeRecording(kafkaConformance, recording!, loadDivergences());
    const unlisted = results.filter((r) => r.unlisted.length > 0);
    expect(unlisted.map((r) => r.probe), formatResults(results, `kafka ${VERSION} (recorded) vs model`)).toEqual([]);
  });

  it('lists in DIVERGENCES.md only Kafka disagreements that still exist, each with its reason', () => {
    const results = judgeRecording(kafkaConformance, recording!, loadDivergences());
    // (rows for the ZooKeeper-mode probes are conformance-kafka-zk.test.ts's)
    for (const d of loadDivergences().filter((row) => row.system === 'kafka' && !KAFKA_ZK_PROBES.some((p) => p.id === row.probe))) {
      const result = results.find((r) => r.probe === d.probe);
      expect(result, `DIVERGENCES.md names an unknown kafka probe ${d.probe}`).toBeDefined();
      const differs = result!.modelDifferences.some((m) => d.field === '*' || m.field === d.field);
      expect(differs, `${d.probe} ${d.field} is listed in DIVERGENCES.md but the model agrees now: remove the row`).toBe(true);
      expect(d.why.length).toBeGreaterThan(10);
    }
  });

  it('records thousands of keys per partition count, and the model places each the way the recording says', () => {
    const keys = probeKeys();
    expect(keys.length).toBeGreaterThan(2000);
    const real = String(recording!.outcomes['partitioner-keys-50-partitions']!['partitions.p50']).split(',').map(Number);
    expect(real).toHaveLength(keys.length);
    expect(new Set(real).size).toBe(50);
    // One key moved to another partition is caught in its field.
    const model = kafkaConformance.runModel('partitioner-keys-50-partitions', VERSION);
    const tampered = { ...model, 'partitions.p50': real.map((p, i) => (i === 7 ? (partitionForKey(keys[7]!, 50) + 1) % 50 : p)).join(',') };
    expect(compareOutcomes(recording!.outcomes['partitioner-keys-50-partitions']!, tampered).map((d) => d.field)).toEqual(['partitions.p50']);
  });

  it('compares assignments field by field: a different owner or generation in the recording is caught', () => {
    const id = 'range-join-then-leave';
    const real = recording!.outcomes[id]!;
    const model = kafkaConformance.runModel(id, VERSION);
    expect(compareOutcomes(real, model)).toEqual([]);
    const after = real['assignments.after-leave'] as { members: Record<string, string[]>; generation: string };
    const tampered = { ...real, 'assignments.after-leave': { ...after, generation: '+0' } };
    expect(compareOutcomes(tampered, model).map((d) => d.field)).toEqual(['assignments.after-leave']);
  });

  it('judges timings within the stated tolerance: a member killed without leaving is replaced after about session.timeout.ms, a closed one at once', () => {
    const killed = outcomeOf(KAFKA_PROBES.find((p) => p.id === 'consumer-killed-without-leaving')!, runProbeInModel(KAFKA_PROBES.find((p) => p.id === 'consumer-killed-without-leaving')!));
    expect((killed['assignments.after-kill'] as { after: string }).after).toBe('11000ms ± 3000ms');
    const closed = kafkaConformance.runModel('consumer-close-leaves-at-once', VERSION);
    expect((closed['assignments.after-close'] as { after: string }).after).toBe('1500ms ± 1500ms');
  });

  it('kills only members that run in a process of their own (a kill -9 of the driver would end the probe)', () => {
    for (const probe of KAFKA_PROBES) {
      probe.steps.forEach((step, i) => {
        if (step.op !== 'kill-member') return;
        const joined = probe.steps.slice(0, i).filter((s) => s.op === 'join' && s.member === step.member);
        expect(joined.length, `${probe.id}: ${step.member} never joined`).toBeGreaterThan(0);
        expect(joined.every((s) => s.op === 'join' && s.process === true), `${probe.id}: ${step.member} runs in the driver's JVM`).toBe(true);
      });
    }
  });

  it('records the transaction probes: markers take offsets, read_committed skips aborted records and stops at an open transaction', () => {
    const skips = recording!.outcomes['txn-read-committed-skips-aborted']!;
    expect(skips['reads.read_committed']).toEqual({ 0: ['ta-0@0', 'ta-1@1', 'tc-0@6'] });
    expect(skips['offsets.read_committed']).toBe('0:8');
    const open = recording!.outcomes['txn-open-holds-last-stable-offset']!;
    expect(open['offsets.open-read_committed']).toBe('0:0');
    expect(open['offsets.open-read_uncommitted']).toBe('0:4');
    expect(recording!.outcomes['txn-zombie-fenced']!['txns.z1-commit']).toBe('send INVALID_PRODUCER_EPOCH; commit INVALID_PRODUCER_EPOCH');
  });

  it('catches a model that gets transactions wrong: no fencing, no read_committed filtering', () => {
    const zombie = KAFKA_PROBES.find((p) => p.id === 'txn-zombie-fenced')!;
    // z2 with a transactional.id of its own fences nothing: z1 commits, and its records become visible.
    const unfenced: KafkaProbe = {
      ...zombie,
      steps: zombie.steps.map((s) => (s.op === 'txn' && s.producer === 'z2' ? { ...s, config: { 'transactional.id': 'other' } } : s)),
    };
    const wrong = outcomeOf(unfenced, runProbeInModel(unfenced));
    expect(wrong['txns.z1-commit']).toBe('committed');
    expect(compareOutcomes(recording!.outcomes['txn-zombie-fenced']!, wrong).map((d) => d.field)).toEqual(expect.arrayContaining(['txns.z1-commit', 'reads.read_committed']));
    const skips = KAFKA_PROBES.find((p) => p.id === 'txn-read-committed-skips-aborted')!;
    const uncommitted: KafkaProbe = { ...skips, steps: skips.steps.map((s) => (s.op === 'read' ? { ...s, isolation: 'read_uncommitted' as const } : s)) };
    const read = outcomeOf(uncommitted, runProbeInModel(uncommitted));
    expect(compareOutcomes(recording!.outcomes[skips.id]!, read).map((d) => d.field)).toEqual(['reads.read_committed']);
  });

  it('records leader-epoch truncation: the restarted old leader drops the acks=1 records only it had, and serves the new leader\'s at their offsets', () => {
    const outcome = recording!.outcomes['leader-epoch-truncation-divergent-log']!;
    // Acknowledged by the old leader alone at offsets 2-4, then the new leader's two records at 2-3.
    expect(['p1-0', 'p1-1', 'p1-2', 'p2-0', 'p2-1'].map((id) => (outcome.sends as Record<string, string>)[id])).toEqual(['ok 0@2', 'ok 0@3', 'ok 0@4', 'ok 0@2', 'ok 0@3']);
    expect(outcome['reads.old-leader-alone']).toEqual({ 0: ['p0-0@0', 'p0-1@1', 'p2-0@2', 'p2-1@3'] });
    expect(outcome['offsets.old-leader-alone']).toBe('0:4');
    // The model run gives the same, field by field.
    expect(compareOutcomes(outcome, kafkaConformance.runModel('leader-epoch-truncation-divergent-log', VERSION))).toEqual([]);
  });

  it('pins the Kafka version the pom.xml copies, when the jars are there', () => {
    const installed = installedKafkaVersion();
    if (installed !== null) expect(installed).toBe(VERSION);
  });
});
