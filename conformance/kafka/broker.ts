import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceDir } from '../divergences.js';

/**
 * Real Apache Kafka (KRaft) for the conformance probes, from the Maven Central jars that
 * conformance/kafka/java/pom.xml pins (`mvn -q -f conformance/kafka/java/pom.xml
 * dependency:copy-dependencies` copies them to target/dependency), run with `java -cp` on
 * loopback only, small heaps, data in a temp folder thrown away afterwards:
 *
 * - `single`: one node in combined mode (process.roles=broker,controller), node.id 1, on
 *   127.0.0.1:19092 (controller listener 19093), for the client-side probes;
 * - `cluster`: one dedicated controller (node.id 100, 127.0.0.1:19190) and three brokers
 *   (node.id 1..3 on 127.0.0.1:19191..19193), for the replication probes: a broker can be
 *   killed (kill -9) and restarted on its data, paused (SIGSTOP) and resumed (SIGCONT) while
 *   the controller quorum stays up.
 *
 * Storage is formatted with the version's own StorageTool, each process is started as
 * `java -cp ... kafka.Kafka server.properties`, and stopped by its pid.
 */

/**
 * Which pinned Kafka: `kraft` (conformance/kafka/java/pom.xml, 4.0.2) or `zookeeper`
 * (conformance/kafka/java-zk/pom.xml, 3.9.1, the last line with ZooKeeper mode). One pom cannot
 * carry two Kafka versions; the driver source (java/Driver.java) is compiled against each.
 */
export type KafkaFlavour = 'kraft' | 'zookeeper';

export const KAFKA_JAVA_DIR = (flavour: KafkaFlavour = 'kraft'): string => join(conformanceDir(), 'kafka', flavour === 'kraft' ? 'java' : 'java-zk');
export const KAFKA_LIBS = (flavour: KafkaFlavour = 'kraft'): string => join(KAFKA_JAVA_DIR(flavour), 'target', 'dependency');
const CLUSTER_ID = 'bXFzaW1Db25mb3JtYW5jZQ';
const BROKER_HEAP = '-Xmx320m';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pinned Kafka version: the kafka-clients jar copied from the pom. */
export function installedKafkaVersion(flavour: KafkaFlavour = 'kraft'): string | null {
  if (!existsSync(KAFKA_LIBS(flavour))) return null;
  const jar = readdirSync(KAFKA_LIBS(flavour)).find((f) => /^kafka-clients-[0-9.]+\.jar$/.test(f));
  return jar ? jar.slice('kafka-clients-'.length, -'.jar'.length) : null;
}

/** The jars, then the compiled driver (java/*.java compiled into the flavour's target/classes when a source is newer). */
export function kafkaClasspath(flavour: KafkaFlavour = 'kraft'): string {
  const libs = KAFKA_LIBS(flavour);
  if (installedKafkaVersion(flavour) === null) {
    throw new Error(`Kafka jars missing: run mvn -q -f ${join(KAFKA_JAVA_DIR(flavour), 'pom.xml')} dependency:copy-dependencies`);
  }
  const classes = join(KAFKA_JAVA_DIR(flavour), 'target', 'classes');
  // The driver's sources (Driver.java and the classes it uses) live in java/; compiled again when one is newer.
  const sources = KAFKA_JAVA_DIR('kraft');
  const newest = Math.max(...readdirSync(sources).filter((f) => f.endsWith('.java')).map((f) => statSync(join(sources, f)).mtimeMs));
  const compiled = join(classes, 'Driver.class');
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < newest) {
    mkdirSync(classes, { recursive: true });
    const out = spawnSync('javac', ['-nowarn', '-cp', `${libs}/*`, '-sourcepath', sources, '-d', classes, join(sources, 'Driver.java')], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`javac Driver.java failed:\n${out.stderr}`);
  }
  return `${classes}:${libs}/*`;
}

export interface NodeSpec {
  readonly id: number;
  readonly roles: 'broker,controller' | 'broker' | 'controller';
  readonly port: number;
  readonly controllerPort?: number;
}

export class KafkaProcess {
  proc: ChildProcess | null = null;
  paused = false;
  /** The main class and heap (ZooKeeper's server runs from the same jars with another main class). */
  constructor(readonly spec: NodeSpec, readonly props: string, readonly log: string,
    readonly flavour: KafkaFlavour = 'kraft', readonly main = 'kafka.Kafka', readonly heap = BROKER_HEAP) {}

  start(): void {
    const out = openSync(this.log, 'a');
    this.proc = spawn('java', [this.heap, '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp', `${KAFKA_LIBS(this.flavour)}/*`, this.main, this.props], { stdio: ['ignore', out, out] });
    this.paused = false;
  }

  /** An operator's stop: SIGTERM, and the process's own shutdown (a broker's controlled shutdown) until it exits. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    if (this.paused) this.resume();
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(proc.pid!, 'SIGTERM');
    await exited;
    this.proc = null;
  }

  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error(`kafka node ${this.spec.id} is not running`);
    return this.proc.pid;
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
    this.proc = null;
    this.paused = false;
  }

  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
    this.paused = false;
  }
}

/** One set of Kafka processes (the single node, or the controller and three brokers). */
export class KafkaCluster {
  readonly nodes: KafkaProcess[] = [];
  constructor(readonly home: string, readonly bootstrap: string, readonly flavour: KafkaFlavour = 'kraft') {}

  node(id: number): KafkaProcess {
    const node = this.nodes.find((n) => n.spec.id === id);
    if (node === undefined) throw new Error(`no kafka node ${id}`);
    return node;
  }

  /** Brokers answer a metadata request with every broker registered: the cluster is usable. */
  async waitReady(brokers: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = spawnSync('java', ['-Xmx64m', '-XX:TieredStopAtLevel=1', '-cp', kafkaClasspath(this.flavour), 'Driver', 'ready', this.bootstrap, String(brokers)], { encoding: 'utf8', timeout: 20_000 });
      if (out.status === 0) return;
      if (Date.now() > deadline) throw new Error(`kafka at ${this.bootstrap} not ready with ${brokers} brokers: ${out.stdout}${out.stderr}`);
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    for (const node of [...this.nodes].reverse()) {
      if (node.paused && node.proc) node.resume();
      await node.kill();
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

function properties(spec: NodeSpec, home: string, voters: string, extra: Record<string, string | number>): string {
  const listeners: string[] = [];
  const map = ['CONTROLLER:PLAINTEXT'];
  if (spec.roles !== 'controller') {
    listeners.push(`PLAINTEXT://127.0.0.1:${spec.port}`);
    map.push('PLAINTEXT:PLAINTEXT');
  }
  if (spec.roles !== 'broker') listeners.push(`CONTROLLER://127.0.0.1:${spec.controllerPort ?? spec.port}`);
  const lines: Record<string, string | number> = {
    'process.roles': spec.roles,
    'node.id': spec.id,
    'controller.quorum.voters': voters,
    listeners: listeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': map.join(','),
    'log.dirs': join(home, `data-${spec.id}`),
    ...extra,
  };
  if (spec.roles !== 'controller') {
    lines['advertised.listeners'] = `PLAINTEXT://127.0.0.1:${spec.port}`;
    lines['inter.broker.listener.name'] = 'PLAINTEXT';
  }
  const file = join(home, `server-${spec.id}.properties`);
  writeFileSync(file, `${Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const format = spawnSync('java', ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', `${KAFKA_LIBS()}/*`,
    'kafka.tools.StorageTool', 'format', '-t', CLUSTER_ID, '-c', file], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`kafka-storage format failed for node ${spec.id}: ${format.stdout}${format.stderr}`);
  return file;
}

/**
 * Broker settings both kinds of cluster share, the same in the model's scenarios
 * (conformance/kafka/model.ts): no initial rebalance delay, so a probe's members join in one
 * rebalance without waiting 3 s.
 */
export const PROBE_BROKER_CONFIG = {
  'group.initial.rebalance.delay.ms': 0,
  'auto.create.topics.enable': 'false',
} as const;

/**
 * The single node's transaction settings, the same in the model's scenarios: the coordinator
 * looks for timed-out transactions every second (default 10 s), so a transaction.timeout.ms
 * probe waits seconds, not tens of seconds.
 */
export const PROBE_TXN_CONFIG = {
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000,
} as const;

/** One node in combined mode (broker and controller), for the client-side probes. */
export async function startSingle(port = 19092): Promise<KafkaCluster> {
  kafkaClasspath();
  const home = mkdtempSync(join(tmpdir(), 'mqsim-kafka-single-'));
  const cluster = new KafkaCluster(home, `127.0.0.1:${port}`);
  const spec: NodeSpec = { id: 1, roles: 'broker,controller', port, controllerPort: port + 1 };
  const file = properties(spec, home, `1@127.0.0.1:${port + 1}`, {
    ...PROBE_BROKER_CONFIG,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    ...PROBE_TXN_CONFIG,
  });
  const node = new KafkaProcess(spec, file, join(home, 'node-1.log'));
  cluster.nodes.push(node);
  try {
    node.start();
    await cluster.waitReady(1);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** A dedicated controller and three brokers, for the replication probes. */
export async function startCluster(base = 19190): Promise<KafkaCluster> {
  kafkaClasspath();
  const home = mkdtempSync(join(tmpdir(), 'mqsim-kafka-cluster-'));
  const bootstrap = [1, 2, 3].map((i) => `127.0.0.1:${base + i}`).join(',');
  const cluster = new KafkaCluster(home, bootstrap);
  const voters = `100@127.0.0.1:${base}`;
  const shared = { ...PROBE_BROKER_CONFIG, 'offsets.topic.replication.factor': 3, 'offsets.topic.num.partitions': 5 };
  const controller: NodeSpec = { id: 100, roles: 'controller', port: base };
  cluster.nodes.push(new KafkaProcess(controller, properties(controller, home, voters, shared), join(home, 'node-100.log')));
  for (const id of [1, 2, 3]) {
    const spec: NodeSpec = { id, roles: 'broker', port: base + id };
    cluster.nodes.push(new KafkaProcess(spec, properties(spec, home, voters, shared), join(home, `node-${id}.log`)));
  }
  try {
    for (const node of cluster.nodes) node.start();
    await cluster.waitReady(3);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** The last lines of a node's log, for an error message. */
export function logTail(cluster: KafkaCluster, id: number, lines = 20): string {
  const file = cluster.node(id).log;
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '';
}
