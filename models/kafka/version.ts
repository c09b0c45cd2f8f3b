/**
 * The Kafka version the model follows. Where versions differ in what users see, the model
 * switches on `cluster.version`; everything else is the same in both:
 *
 * - ZooKeeper mode: 3.9 is the last release line that has it (and, with no cluster.metadata,
 *   runs in it, as the model always did); Kafka 4.0 removed ZooKeeper (KIP-500 completed): a
 *   4.0 cluster is KRaft, and `cluster.metadata: zookeeper` with version 4.0 is refused.
 *
 * Checked against real brokers by conformance/ (4.0.2 in KRaft mode, 3.9.1 in ZooKeeper mode;
 * conformance/recorded/kafka-*.json): no other difference the probes show needs a switch.
 *
 * The default is 3.9 (what the model followed before the switch existed: ZooKeeper mode unless
 * the scenario says kraft).
 */
export const KAFKA_VERSIONS = ['3.9', '4.0'] as const;
export type KafkaVersion = (typeof KAFKA_VERSIONS)[number];
export const DEFAULT_KAFKA_VERSION: KafkaVersion = '3.9';

/** Whether the version has ZooKeeper mode (Kafka 4 removed it). */
export function hasZooKeeper(version: KafkaVersion): boolean {
  return version === '3.9';
}

/** The metadata mode a cluster runs in when the scenario names none. */
export function defaultMetadataMode(version: KafkaVersion): 'zookeeper' | 'kraft' {
  return hasZooKeeper(version) ? 'zookeeper' : 'kraft';
}

/** The model's version for a real Kafka version (conformance): its major.minor. */
export function kafkaVersionOf(realVersion: string): KafkaVersion {
  const minor = realVersion.split('.').slice(0, 2).join('.');
  const known = KAFKA_VERSIONS.find((v) => v === minor);
  if (known === undefined) throw new Error(`no Kafka model version for ${realVersion}; the model follows ${KAFKA_VERSIONS.join(', ')}`);
  return known;
}
