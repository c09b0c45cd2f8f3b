import type { KafkaProbe } from './probe.js';
import { KAFKA_PROBES, uncleanProbe } from './probes.js';

/**
 * The probes run against Kafka 3.9.1 in ZooKeeper mode (ZooKeeper and three brokers,
 * conformance/kafka/broker-zk.ts), through the model's ZooKeeper mode (`cluster.metadata:
 * zookeeper`, version 3.9): where ZooKeeper mode matters (an operator's stop runs a controlled
 * shutdown that moves leadership before the process exits; a killed broker is acted on once its
 * ZooKeeper session expires; unclean leader election with only an out-of-sync replica left), and
 * a few of the 4.0 (KRaft) probes to show that client-side behaviour is the same here.
 *
 * zookeeper.session.timeout.ms is 6000 on both sides (broker-zk.ts), ZooKeeper's tickTime 2000.
 */

/** Long enough for ZooKeeper to expire a killed broker's session (6 s, checked every 2 s tick) and the controller to act on it. */
const SESSION_EXPIRED = 10_000;

const R3 = [[1, 2, 3]];

/** A 4.0 probe run as is on ZooKeeper mode's three brokers (its topics keep one replica, so where a partition lives does not matter). */
function onZookeeper(id: string): KafkaProbe {
  const probe = KAFKA_PROBES.find((p) => p.id === id);
  if (probe === undefined) throw new Error(`no kafka probe ${id}`);
  return { ...probe, id: `zk-${id}`, cluster: 'cluster', metadata: 'zookeeper' };
}

export const KAFKA_ZK_PROBES: readonly KafkaProbe[] = [
  ...['partitioner-keys-12-partitions', 'range-join-then-leave', 'auto-offset-reset-earliest', 'txn-read-committed-skips-aborted', 'txn-zombie-fenced'].map(onZookeeper),
  {
    id: 'zk-controlled-shutdown-moves-leadership',
    about: 'an operator\'s stop (SIGTERM) of broker 1, leader of every partition and the controller: its controlled shutdown moves leadership to broker 2 before the process exits; a new producer\'s record then goes to broker 2',
    cluster: 'cluster',
    metadata: 'zookeeper',
    topics: [{ name: 'k', replicas: R3 }],
    steps: [
      { op: 'produce', producer: 'p0', topic: 'k', count: 2, config: { acks: 'all' } },
      { op: 'flush' },
      { op: 'leaders', label: 'before', topic: 'k' },
      { op: 'fault', action: 'stop', brokers: [1] },
      { op: 'leaders', label: 'at-exit', topic: 'k' },
      { op: 'produce', producer: 'p1', topic: 'k', count: 1, config: { acks: 'all' } },
      { op: 'flush' },
      { op: 'read', label: 'after-stop', topic: 'k' },
      { op: 'fault', action: 'restart', brokers: [1] },
    ],
  },
  {
    id: 'zk-broker-failure-detection',
    about: 'kill -9 of broker 2, leader of partition 1: ZooKeeper expires its session after zookeeper.session.timeout.ms (6 s here), the controller (broker 1) elects broker 3',
    cluster: 'cluster',
    metadata: 'zookeeper',
    topics: [{ name: 'f', replicas: [[1, 2, 3], [2, 3, 1]] }],
    steps: [
      { op: 'fault', action: 'kill', brokers: [2] },
      { op: 'await-leader', label: 'partition-1', topic: 'f', partition: 1, from: 2, timed: { around: 7_000, tolerance: 2_500 } },
      { op: 'leaders', label: 'after', topic: 'f' },
      { op: 'fault', action: 'restart', brokers: [2] },
    ],
  },
  ...[false, true].map((unclean) => uncleanProbe(unclean, SESSION_EXPIRED, 'zookeeper')),
];
