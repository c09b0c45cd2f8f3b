import { spawnSync } from 'node:child_process';
import type { ConformanceSystem } from '../systems.js';
import { installedKafkaVersion, kafkaClasspath, type KafkaFlavour } from './broker.js';
import { runProbeInModel } from './model.js';
import { needsBrokerControl, outcomeOf, type KafkaProbe } from './probe.js';
import { KAFKA_PROBES } from './probes.js';
import { KAFKA_ZK_PROBES } from './probes-zk.js';
import { runProbeOnRealKafka, startKafkaHarness, startZkHarness, type KafkaBrokerControl, type KafkaHarness } from './real.js';

/**
 * Kafka's two conformance systems: `kafka` (4.0.2, KRaft; conformance/kafka/java/pom.xml) and
 * `kafka-zk` (3.9.1, ZooKeeper mode; conformance/kafka/java-zk/pom.xml). Both record as system
 * `kafka`, by version (conformance/recorded/kafka-4.0.2.json, kafka-3.9.1.json), with the mode.
 */
function kafkaSystem(flavour: KafkaFlavour, probes: readonly KafkaProbe[], start: () => Promise<KafkaHarness>): ConformanceSystem {
  return {
    system: 'kafka',
    ...(flavour === 'zookeeper' ? { name: 'kafka-zk' } : {}),
    mode: flavour,
    probes: probes.map((p) => ({ id: p.id, about: p.about, needsBrokerControl: needsBrokerControl(p) })),
    async startBroker() {
      const harness = await start();
      return Object.assign(harness, { version: installedKafkaVersion(flavour) ?? 'unknown' });
    },
    async serverVersion(url) {
      // A Kafka broker does not report its software version to clients: with --url the version is
      // the pinned client jar's (the driver prints it once it reached the cluster).
      const out = spawnSync('java', ['-Xmx64m', '-cp', kafkaClasspath(flavour), 'Driver', 'version', url.replace(/^kafka:\/\//, '')], { encoding: 'utf8', timeout: 30_000 });
      if (out.status !== 0) throw new Error(`kafka at ${url} not reachable: ${out.stderr.slice(-500)}`);
      return out.stdout.trim();
    },
    async runReal(url, id, control) {
      const probe = probes.find((p) => p.id === id)!;
      return outcomeOf(probe, await runProbeOnRealKafka(url, probe, control as KafkaBrokerControl | undefined));
    },
    runModel(id, realVersion) {
      const probe = probes.find((p) => p.id === id)!;
      return outcomeOf(probe, runProbeInModel(probe, realVersion));
    },
  };
}

export const kafkaConformance: ConformanceSystem = kafkaSystem('kraft', KAFKA_PROBES, startKafkaHarness);
export const kafkaZkConformance: ConformanceSystem = kafkaSystem('zookeeper', KAFKA_ZK_PROBES, startZkHarness);
