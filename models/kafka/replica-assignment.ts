import { OFFSETS_TOPIC } from './group-coordinator.js';
import { TRANSACTION_STATE_TOPIC } from './coordinator/transaction/transaction-coordinator.js';
import { ConfigError, type ConfigPath } from '../../sim/scenario/config-error.js';
import type { TopicAssignment } from './controller.js';
import type { BrokerConfig, KafkaTopicSpec } from './schema.js';

/**
 * Where a topic's partition replicas go: Kafka's rack-unaware assignment (AdminUtils /
 * ReplicaAssignment) with its random start index and shift fixed at 0, so runs are reproducible:
 * partition p's first (preferred) replica is broker (p mod N)+1, the others follow with Kafka's
 * shifting. CreatePartitions continues it past the existing partitions.
 */

/** Kafka's replica assignment (AdminUtils / ReplicaAssignment, rack-unaware) with start index and shift 0. */
export function assignReplicas(brokers: readonly string[], partitions: number, replicationFactor: number): string[][] {
  const n = brokers.length;
  const out: string[][] = [];
  let shift = 0;
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = p % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}

/**
 * The scenario's topics with their replica assignments (and __consumer_offsets when a group
 * subscribes: offsets.topic.num.partitions, offsets.topic.replication.factor capped by the
 * broker count), and a lookup by name for the workload's entries.
 */
export function planTopics(topicSpecs: readonly KafkaTopicSpec[], brokers: readonly string[], config: BrokerConfig, groupsUsed: boolean, transactionsUsed = false): {
  topics: TopicAssignment[];
  topicOf: (name: string | undefined, what: string, path?: ConfigPath) => TopicAssignment;
} {
  const brokerCount = brokers.length;
  const topics: TopicAssignment[] = [];
  const seenTopics = new Set<string>();
  for (const [i, spec] of topicSpecs.entries()) {
    if (seenTopics.has(spec.name)) throw ConfigError.at(['topics', i, 'name'], `topic ${spec.name} is defined twice`);
    seenTopics.add(spec.name);
    const rf = spec.replicationFactor ?? Math.min(3, brokerCount);
    if (rf > brokerCount) throw ConfigError.at(['topics', i, 'replicationFactor'], `topic ${spec.name}: replicationFactor ${rf} is larger than the ${brokerCount} brokers`);
    topics.push({
      topic: spec.name,
      partitions: assignReplicas(brokers, spec.partitions ?? 1, rf),
      minInsyncReplicas: spec.config?.['min.insync.replicas'] ?? config.minInsyncReplicas,
      uncleanLeaderElection: spec.config?.['unclean.leader.election.enable'] ?? config.uncleanLeaderElection,
    });
  }
  if (groupsUsed) {
    topics.push({
      topic: OFFSETS_TOPIC,
      partitions: assignReplicas(brokers, config.offsetsTopicPartitions, Math.min(config.offsetsTopicReplicationFactor, brokerCount)),
      minInsyncReplicas: config.minInsyncReplicas,
      uncleanLeaderElection: config.uncleanLeaderElection,
    });
  }
  if (transactionsUsed) {
    topics.push({
      topic: TRANSACTION_STATE_TOPIC,
      partitions: assignReplicas(brokers, config.transactionStatePartitions, Math.min(config.transactionStateReplicationFactor, brokerCount)),
      minInsyncReplicas: config.minInsyncReplicas,
      uncleanLeaderElection: config.uncleanLeaderElection,
    });
  }
  const internal = (t: string) => t === OFFSETS_TOPIC || t === TRANSACTION_STATE_TOPIC;
  /** A topic by name; `path` is where the name stands in the scenario entry being checked (see withPath). */
  const topicOf = (name: string | undefined, what: string, path: ConfigPath = []): TopicAssignment => {
    if (name === undefined) return topics[0]!;
    const topic = topics.find((t) => t.topic === name && !internal(t.topic));
    if (!topic) {
      const names = topics.filter((t) => !internal(t.topic)).map((t) => t.topic);
      throw ConfigError.at(path, `${what}: no topic named "${name}" (topics: ${names.join(', ')})`, names, name);
    }
    return topic;
  };
  return { topics, topicOf };
}
