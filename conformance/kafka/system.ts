import { spawnSync } from 'node:child_process';
import type { ConformanceSystem } from '../systems.js';
import { installedKafkaVersion, kafkaClasspath } from './broker.js';
import { runProbeInModel } from './model.js';
import { needsBrokerControl, outcomeOf } from './probe.js';
import { KAFKA_PROBES } from './probes.js';
import { runProbeOnRealKafka, startKafkaHarness, type KafkaBrokerControl } from './real.js';

export const kafkaConformance: ConformanceSystem = {
  system: 'kafka',
  probes: KAFKA_PROBES.map((p) => ({ id: p.id, about: p.about, needsBrokerControl: needsBrokerControl(p) })),
  async startBroker() {
    const harness = await startKafkaHarness();
    return Object.assign(harness, { version: installedKafkaVersion() ?? 'unknown' });
  },
  async serverVersion(url) {
    // A Kafka broker does not report its software version to clients: with --url the version is
    // the pinned client jar's (the driver prints it once it reached the cluster).
    const out = spawnSync('java', ['-Xmx64m', '-cp', kafkaClasspath(), 'Driver', 'version', url.replace(/^kafka:\/\//, '')], { encoding: 'utf8', timeout: 30_000 });
    if (out.status !== 0) throw new Error(`kafka at ${url} not reachable: ${out.stderr.slice(-500)}`);
    return out.stdout.trim();
  },
  async runReal(url, id, control) {
    const probe = KAFKA_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, await runProbeOnRealKafka(url, probe, control as KafkaBrokerControl | undefined));
  },
  runModel(id, realVersion) {
    const probe = KAFKA_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, runProbeInModel(probe, realVersion));
  },
};
