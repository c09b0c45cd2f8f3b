import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaCluster, KafkaProcess, kafkaClasspath, PROBE_BROKER_CONFIG, PROBE_TXN_CONFIG, type NodeSpec } from './broker.js';

/**
 * Real Apache Kafka in ZooKeeper mode for the conformance probes: the pinned Kafka 3.9.1 (the
 * last release line with ZooKeeper; Kafka 4 removed it) from the Maven Central jars that
 * conformance/kafka/java-zk/pom.xml copies, and ZooKeeper's own server from the zookeeper jar
 * Kafka 3.9.1 depends on (org.apache.zookeeper.server.ZooKeeperServerMain, standalone), all on
 * loopback with small heaps and data in a temp folder:
 *
 * - ZooKeeper on 127.0.0.1:19280 (node id 0 in the harness; never faulted by a probe);
 * - brokers 1..3 on 127.0.0.1:19291..19293. Broker 1 starts first and is registered before the
 *   others start, so it wins the /controller znode, as broker-1 does in the model.
 *
 * zookeeper.session.timeout.ms is 6000 here (default 18000), the same in the model's scenarios,
 * so that a killed broker's session expires in seconds.
 */

export const ZK_PORT = 19280;
const ZK_BASE = 19290;
/** The same in the model (conformance/kafka/model.ts). */
export const PROBE_ZK_CONFIG = { 'zookeeper.session.timeout.ms': 6_000 } as const;

export async function startZkCluster(): Promise<KafkaCluster> {
  kafkaClasspath('zookeeper');
  const home = mkdtempSync(join(tmpdir(), 'mqsim-kafka-zk-'));
  const bootstrap = [1, 2, 3].map((i) => `127.0.0.1:${ZK_BASE + i}`).join(',');
  const cluster = new KafkaCluster(home, bootstrap, 'zookeeper');
  const zooCfg = join(home, 'zoo.cfg');
  // tickTime 2000 (ZooKeeper's default): sessions may ask for 4 s to 40 s.
  writeFileSync(zooCfg, [
    'tickTime=2000', `dataDir=${join(home, 'zookeeper')}`, `clientPort=${ZK_PORT}`, 'clientPortAddress=127.0.0.1',
    'admin.enableServer=false', 'maxClientCnxns=0', '',
  ].join('\n'));
  cluster.nodes.push(new KafkaProcess({ id: 0, roles: 'controller', port: ZK_PORT }, zooCfg, join(home, 'zookeeper.log'), 'zookeeper',
    'org.apache.zookeeper.server.ZooKeeperServerMain', '-Xmx96m'));
  for (const id of [1, 2, 3]) {
    const spec: NodeSpec = { id, roles: 'broker', port: ZK_BASE + id };
    const props: Record<string, string | number> = {
      'broker.id': id,
      'zookeeper.connect': `127.0.0.1:${ZK_PORT}`,
      listeners: `PLAINTEXT://127.0.0.1:${spec.port}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${spec.port}`,
      'log.dirs': join(home, `data-${id}`),
      ...PROBE_BROKER_CONFIG,
      ...PROBE_ZK_CONFIG,
      ...PROBE_TXN_CONFIG,
      'offsets.topic.replication.factor': 3,
      'offsets.topic.num.partitions': 5,
      'transaction.state.log.num.partitions': 5,
    };
    const file = join(home, `server-${id}.properties`);
    writeFileSync(file, `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
    cluster.nodes.push(new KafkaProcess(spec, file, join(home, `node-${id}.log`), 'zookeeper'));
  }
  try {
    cluster.node(0).start();
    cluster.node(1).start();
    await cluster.waitReady(1);
    cluster.node(2).start();
    cluster.node(3).start();
    await cluster.waitReady(3);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
