import { describe, expect, it } from 'vitest';
import { formatResults, judgeRecording, loadRecording } from '../../conformance/compare.js';
import { loadDivergences } from '../../conformance/divergences.js';
import { installedKafkaVersion } from '../../conformance/kafka/broker.js';
import { runProbeInModel } from '../../conformance/kafka/model.js';
import { outcomeOf, type KafkaProbe } from '../../conformance/kafka/probe.js';
import { KAFKA_ZK_PROBES } from '../../conformance/kafka/probes-zk.js';
import { kafkaZkConformance } from '../../conformance/kafka/system.js';
import { conformanceSystem } from '../../conformance/systems.js';
import { compareOutcomes } from '../../conformance/outcome.js';

/**
 * The Kafka model's ZooKeeper mode against Kafka 3.9.1 in ZooKeeper mode as recorded
 * (conformance/recorded/kafka-3.9.1.json, written by `npm run conformance:record -- --system
 * kafka-zk`), no broker needed.
 */

const VERSION = '3.9.1';

describe(`conformance: the Kafka model's ZooKeeper mode against Kafka ${VERSION} as recorded`, () => {
  const recording = loadRecording('kafka', VERSION);

  it('has a recorded outcome for every ZooKeeper-mode probe, and says the mode', () => {
    expect(recording).not.toBeNull();
    expect(recording!.mode).toBe('zookeeper');
    expect(loadRecording('kafka', '4.0.2')!.mode).toBe('kraft');
    expect(Object.keys(recording!.outcomes).sort()).toEqual(KAFKA_ZK_PROBES.map((p) => p.id).sort());
    expect(KAFKA_ZK_PROBES).toHaveLength(9);
    expect(KAFKA_ZK_PROBES.every((p) => p.metadata === 'zookeeper' && p.cluster === 'cluster')).toBe(true);
    expect(conformanceSystem('kafka-zk')).toBe(kafkaZkConformance);
  });

  it('agrees with every recorded outcome not listed in DIVERGENCES.md', () => {
    const results = judgeRecording(kafkaZkConformance, recording!, loadDivergences());
    const unlisted = results.filter((r) => r.unlisted.length > 0);
    expect(unlisted.map((r) => r.probe), formatResults(results, `kafka ${VERSION} (recorded) vs model`)).toEqual([]);
    expect(results.every((r) => r.modelDifferences.length === 0)).toBe(true);
  });

  it('records a controlled shutdown that moved leadership before the broker exited, and a timed failure detection', () => {
    const stop = recording!.outcomes['zk-controlled-shutdown-moves-leadership']!;
    expect([stop['leaders.before'], stop['leaders.at-exit']]).toEqual(['0:1', '0:2']);
    expect(recording!.outcomes['zk-broker-failure-detection']!['leaders.partition-1']).toEqual({ leader: '3', after: '7000ms ± 2500ms' });
  });

  it('lists in DIVERGENCES.md only ZooKeeper-mode disagreements that still exist', () => {
    const results = judgeRecording(kafkaZkConformance, recording!, loadDivergences());
    for (const d of loadDivergences().filter((row) => row.system === 'kafka' && KAFKA_ZK_PROBES.some((p) => p.id === row.probe))) {
      const differs = results.find((r) => r.probe === d.probe)!.modelDifferences.some((m) => d.field === '*' || m.field === d.field);
      expect(differs, `${d.probe} ${d.field} is listed in DIVERGENCES.md but the model agrees now: remove the row`).toBe(true);
    }
  });

  it('catches a model without controlled shutdown: after a kill -9 instead of the stop, broker 2 does not lead yet', () => {
    const probe = KAFKA_ZK_PROBES.find((p) => p.id === 'zk-controlled-shutdown-moves-leadership')!;
    // A kill -9 instead of the operator's stop: no ControlledShutdown, the session expires later.
    const killed: KafkaProbe = { ...probe, steps: probe.steps.map((s) => (s.op === 'fault' && s.action === 'stop' ? { ...s, action: 'kill' as const } : s)) };
    const wrong = outcomeOf(killed, runProbeInModel(killed, VERSION));
    expect(compareOutcomes(recording!.outcomes[probe.id]!, wrong).map((d) => d.field)).toContain('leaders.at-exit');
  });

  it('pins the ZooKeeper-mode Kafka version the java-zk pom copies, when the jars are there', () => {
    const installed = installedKafkaVersion('zookeeper');
    if (installed !== null) expect(installed).toBe(VERSION);
  });
});
