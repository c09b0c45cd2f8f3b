import { stringify } from 'yaml';
import { z } from 'zod';
import { readScenarioText } from '../models/scenario.js';
import { ScenarioError, validateWith, YamlSource } from '../sim/scenario/load.js';

/**
 * OpenMessaging Benchmark (OMB) inputs: a workload file (workloads/*.yaml) and a driver file
 * (driver-kafka/kafka.yaml, driver-rabbitmq/rabbitmq.yaml, driver-rocketmq/rocketmq.yaml), mapped
 * onto an mqsim scenario (`mqsim run --omb workload.yaml --driver driver.yaml`). The mapping:
 *
 * | OMB | scenario |
 * | --- | --- |
 * | topics, partitionsPerTopic | topics `topic-0..`, each with that many partitions (Kafka), queues per broker group (RocketMQ); RabbitMQ: a fanout exchange per topic |
 * | messageSize | the producers' payload size (bytes) |
 * | producersPerTopic, producerRate | producers `p-<topic>-<n>`, the aggregate rate split evenly among them |
 * | subscriptionsPerTopic, consumerPerSubscription | a consumer group (RabbitMQ: a queue bound to the topic's exchange) per subscription, with that many consumers |
 * | warmupDurationMinutes, testDurationMinutes | duration = warm-up (default 1 min, as OMB) + test; the result measures the test only (consumer groups have joined by then) |
 * | keyDistributor | NO_KEY: no keys; KEY_ROUND_ROBIN and RANDOM_NANO: 10,000 keys (OMB's pool size) |
 * | driver replicationFactor, topicConfig | Kafka: replication factor (brokers = max(3, RF)), min.insync.replicas and unclean.leader.election.enable per topic |
 * | driver producerConfig, consumerConfig | Kafka: the keys the model has (acks, linger.ms, batch.size, enable.idempotence, ...); enable.auto.commit=false commits after each poll as OMB's consumer does (commitAsync) |
 * | driver messagePersistence, queueType | RabbitMQ: persistent messages and durable queues; CLASSIC or QUORUM queues (3 nodes) |
 * | driver (RocketMQ) | sync sends, clustering consumers; the client settings OMB passes (namesrvAddr, ...) have no simulated meaning |
 *
 * Keys the model does not have (bootstrap.servers, serializers, compression) are listed in the
 * scenario's description as not modelled; a key OMB's workload format does not have is an error.
 */

const positive = z.number().int().min(1);
const count = z.number().int().min(0);

export const ombWorkloadSchema = z.strictObject({
  name: z.string().min(1).max(200),
  topics: positive.max(10_000),
  partitionsPerTopic: positive.max(100_000),
  messageSize: positive.max(1024 * 1024 * 1024),
  useRandomizedPayloads: z.boolean().optional(),
  randomBytesRatio: z.number().min(0).max(1).optional(),
  randomizedPayloadPoolSize: count.optional(),
  payloadFile: z.string().optional(),
  subscriptionsPerTopic: count.max(10_000),
  consumerPerSubscription: count.max(10_000),
  producersPerTopic: positive.max(10_000),
  producerRate: z.number().min(0).max(1e9),
  consumerBacklogSizeGB: z.number().min(0).optional(),
  backlogDrainRatio: z.number().min(0).optional(),
  testDurationMinutes: z.number().gt(0).max(365 * 24 * 60),
  warmupDurationMinutes: z.number().min(0).optional(),
  keyDistributor: z.enum(['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO']).optional(),
  producerRateMultiplier: z.number().optional(),
  randomizedPayloadPoolSizeMultiplier: z.number().optional(),
});
export type OmbWorkload = z.output<typeof ombWorkloadSchema>;

/** Driver files differ per system; the keys every one has, the rest kept as given. */
export const ombDriverSchema = z.looseObject({
  name: z.string().min(1),
  driverClass: z.string().min(1),
  replicationFactor: positive.max(1000).optional(),
  reset: z.boolean().optional(),
  topicConfig: z.string().optional(),
  commonConfig: z.string().optional(),
  producerConfig: z.string().optional(),
  consumerConfig: z.string().optional(),
  messagePersistence: z.boolean().optional(),
  queueType: z.enum(['CLASSIC', 'QUORUM', 'classic', 'quorum']).optional(),
});
export type OmbDriver = z.output<typeof ombDriverSchema>;

/** The default driver when none is given: OMB's driver-kafka/kafka.yaml settings that matter here. */
export const DEFAULT_KAFKA_DRIVER: OmbDriver = {
  name: 'Kafka',
  driverClass: 'io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver',
  replicationFactor: 3,
  topicConfig: 'min.insync.replicas=2',
  producerConfig: 'acks=all\nlinger.ms=1\nbatch.size=1048576',
  consumerConfig: 'auto.offset.reset=earliest\nenable.auto.commit=false',
};

/** Reads a YAML file with a zod schema: problems with file:line:col, as for scenarios. */
function readYaml<T>(path: string, shown: string, schema: z.ZodType<T>): T {
  const source = new YamlSource(readScenarioText(path, shown), shown);
  if (source.problems.length > 0) throw new ScenarioError(source.problems);
  const { data, problems } = validateWith(source, schema);
  if (problems.length > 0 || data === undefined) throw new ScenarioError(problems);
  return data;
}

export function readOmbWorkload(path: string, shown: string): OmbWorkload {
  return readYaml(path, shown, ombWorkloadSchema);
}

export function readOmbDriver(path: string, shown: string): OmbDriver {
  return readYaml(path, shown, ombDriverSchema);
}

/** Java properties text (`key=value` or `key: value` lines, `#` and `!` comments). */
export function parseProperties(text: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of (text ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (match) out.push([match[1]!, match[2]!.trim()]);
  }
  return out;
}

export type OmbSystem = 'kafka' | 'rabbitmq' | 'rocketmq';

export function driverSystem(driver: OmbDriver): OmbSystem {
  const text = `${driver.driverClass} ${driver.name}`.toLowerCase();
  if (text.includes('rabbit')) return 'rabbitmq';
  if (text.includes('rocketmq')) return 'rocketmq';
  if (text.includes('kafka')) return 'kafka';
  throw new ScenarioError([{ file: '(driver)', line: 1, column: 1, path: 'driverClass', message: `${driver.driverClass}: mqsim models the Kafka, RabbitMQ and RocketMQ drivers`, allowed: ['...kafka.KafkaBenchmarkDriver', '...rabbitmq.RabbitMqBenchmarkDriver', '...rocketmq.RocketMQBenchmarkDriver'] }]);
}

type ConfigType = 'int' | 'bool' | 'string' | 'acks' | 'assignor';
const KAFKA_PRODUCER_KEYS: Record<string, ConfigType> = {
  acks: 'acks', retries: 'int', 'delivery.timeout.ms': 'int', 'request.timeout.ms': 'int', 'retry.backoff.ms': 'int',
  'max.in.flight.requests.per.connection': 'int', 'linger.ms': 'int', 'batch.size': 'int', 'metadata.max.age.ms': 'int', 'enable.idempotence': 'bool',
};
const KAFKA_CONSUMER_KEYS: Record<string, ConfigType> = {
  'fetch.max.wait.ms': 'int', 'fetch.min.bytes': 'int', 'max.partition.fetch.bytes': 'int', 'auto.offset.reset': 'string', 'request.timeout.ms': 'int',
  'retry.backoff.ms': 'int', 'enable.auto.commit': 'bool', 'auto.commit.interval.ms': 'int', 'session.timeout.ms': 'int', 'heartbeat.interval.ms': 'int',
  'max.poll.interval.ms': 'int', 'max.poll.records': 'int', 'metadata.max.age.ms': 'int', 'partition.assignment.strategy': 'assignor',
};
const KAFKA_TOPIC_KEYS: Record<string, ConfigType> = { 'min.insync.replicas': 'int', 'unclean.leader.election.enable': 'bool' };

const ASSIGNORS: Record<string, string> = {
  RangeAssignor: 'range', RoundRobinAssignor: 'roundrobin', StickyAssignor: 'sticky', CooperativeStickyAssignor: 'cooperative-sticky',
};

function convert(key: string, value: string, type: ConfigType): unknown {
  switch (type) {
    case 'int': {
      if (!/^-?\d+$/.test(value)) throw new Error(`${key}=${value}: expected an integer`);
      return Number(value);
    }
    case 'bool':
      if (value !== 'true' && value !== 'false') throw new Error(`${key}=${value}: expected true or false`);
      return value === 'true';
    case 'acks':
      return value === '-1' ? 'all' : value;
    case 'assignor': {
      const first = value.split(',')[0]!.trim();
      const simple = first.split('.').at(-1)!;
      return ASSIGNORS[simple] ?? first;
    }
    default:
      return value;
  }
}

/** The keys of a properties text the model has, converted; the rest named as not modelled. */
function mapConfig(text: string | undefined, keys: Record<string, ConfigType>, where: string, ignored: string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of parseProperties(text)) {
    const type = keys[key];
    if (type === undefined) {
      ignored.push(`${where} ${key}`);
      continue;
    }
    try {
      config[key] = convert(key, value, type);
    } catch (error) {
      throw new ScenarioError([{ file: '(driver)', line: 1, column: 1, path: where, message: (error as Error).message }]);
    }
  }
  return config;
}

function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s === '' ? 'workload' : s.slice(0, 150);
}

function rateText(perSecond: number): string {
  // mqsim rates: N/s; fractions as N/m or N/h are not needed here (rates below 1/s are refused).
  return `${Number(perSecond.toFixed(3))}/s`;
}

/** Where the measured test starts (µs): after OMB's warm-up (default 1 minute). */
export function ombMeasureFrom(workload: OmbWorkload): number {
  return Math.round((workload.warmupDurationMinutes ?? 1) * 60) * 1_000_000;
}

export interface OmbScenario {
  /** The scenario as data (what --print-scenario prints as YAML). */
  data: Record<string, unknown>;
  yaml: string;
  system: OmbSystem;
  /** Driver keys the model has no meaning for. */
  ignored: string[];
}

/** Maps an OMB workload and driver onto a scenario of the driver's system. */
export function ombScenario(workload: OmbWorkload, driver: OmbDriver, seed = 1): OmbScenario {
  const system = driverSystem(driver);
  const problem = (path: string, message: string) => new ScenarioError([{ file: '(workload)', line: 1, column: 1, path, message }]);
  if (workload.producerRate <= 0) throw problem('producerRate', 'producerRate 0 (OMB: as fast as the driver goes) has no fixed-rate equivalent in a simulation; give the rate to simulate');
  const producers = workload.topics * workload.producersPerTopic;
  const perProducer = workload.producerRate / producers;
  if (perProducer < 1) throw problem('producerRate', `${workload.producerRate}/s over ${producers} producers is below 1/s per producer; raise producerRate or use fewer producers`);
  const ignored: string[] = [];
  const topicNames = Array.from({ length: workload.topics }, (_, t) => `topic-${t}`);
  const keys = (workload.keyDistributor ?? 'NO_KEY') === 'NO_KEY' ? {} : { keys: 10_000 };
  const payload = `${workload.messageSize}B`;
  const data: Record<string, unknown> = {
    name: `omb-${slug(workload.name)}-${slug(driver.name)}`,
    description: '',
    system,
    seed,
    duration: `${Math.round(((workload.warmupDurationMinutes ?? 1) + workload.testDurationMinutes) * 60)}s`,
    drain: '30s',
  };
  const producerList: Record<string, unknown>[] = [];
  const consumerList: Record<string, unknown>[] = [];
  if (system === 'kafka') {
    const rf = driver.replicationFactor ?? 1;
    const topicConfig = mapConfig(driver.topicConfig, KAFKA_TOPIC_KEYS, 'topicConfig', ignored);
    const producerConfig = mapConfig(driver.producerConfig, KAFKA_PRODUCER_KEYS, 'producerConfig', ignored);
    const consumerConfig = mapConfig(driver.consumerConfig, KAFKA_CONSUMER_KEYS, 'consumerConfig', ignored);
    for (const [key] of parseProperties(driver.commonConfig)) ignored.push(`commonConfig ${key}`);
    const autoCommit = consumerConfig['enable.auto.commit'] !== false;
    data.cluster = { brokers: Math.max(3, rf) };
    data.topics = topicNames.map((name) => ({
      name, partitions: workload.partitionsPerTopic, replicationFactor: rf,
      ...(Object.keys(topicConfig).length > 0 ? { config: topicConfig } : {}),
    }));
    for (const [t, topic] of topicNames.entries()) {
      for (let p = 0; p < workload.producersPerTopic; p++) {
        producerList.push({ id: `p-${t}-${p}`, topic, rate: rateText(perProducer), payload, ...keys, ...(Object.keys(producerConfig).length > 0 ? { config: producerConfig } : {}) });
      }
      for (let s = 0; s < workload.subscriptionsPerTopic; s++) {
        if (workload.consumerPerSubscription === 0) continue;
        consumerList.push({
          group: `sub-${t}-${s}`, topic, count: workload.consumerPerSubscription, mode: 'subscribe',
          ...(autoCommit ? {} : { commit: 'manual-async-after' }),
          config: { 'auto.offset.reset': 'earliest', ...consumerConfig },
        });
      }
    }
  } else if (system === 'rabbitmq') {
    const quorum = (driver.queueType ?? 'CLASSIC').toUpperCase() === 'QUORUM';
    const persistent = driver.messagePersistence ?? false;
    if (quorum) data.cluster = { brokers: 3 };
    if (workload.partitionsPerTopic > 1) ignored.push(`partitionsPerTopic ${workload.partitionsPerTopic} (RabbitMQ has no partitions: one queue per subscription)`);
    data.exchanges = topicNames.map((name) => ({ name, type: 'fanout', durable: persistent || quorum }));
    const queues: Record<string, unknown>[] = [];
    const bindings: Record<string, unknown>[] = [];
    for (const [t, topic] of topicNames.entries()) {
      for (let p = 0; p < workload.producersPerTopic; p++) {
        producerList.push({ id: `p-${t}-${p}`, exchange: topic, rate: rateText(perProducer), payload, ...keys, persistent, config: { confirm: true } });
      }
      for (let s = 0; s < workload.subscriptionsPerTopic; s++) {
        const queue = `${topic}-sub-${s}`;
        queues.push({ name: queue, durable: persistent || quorum, ...(quorum ? { arguments: { 'x-queue-type': 'quorum' } } : {}) });
        bindings.push({ exchange: topic, queue });
        if (workload.consumerPerSubscription > 0) consumerList.push({ group: queue, queue, count: workload.consumerPerSubscription });
      }
    }
    data.queues = queues;
    data.bindings = bindings;
    for (const key of Object.keys(driver)) {
      if (!['name', 'driverClass', 'messagePersistence', 'queueType'].includes(key)) ignored.push(`driver ${key}`);
    }
  } else {
    data.topics = topicNames.map((name) => ({ name, readQueueNums: workload.partitionsPerTopic, writeQueueNums: workload.partitionsPerTopic }));
    for (const [t, topic] of topicNames.entries()) {
      for (let p = 0; p < workload.producersPerTopic; p++) {
        producerList.push({ id: `p-${t}-${p}`, topic, rate: rateText(perProducer), payload, ...keys });
      }
      for (let s = 0; s < workload.subscriptionsPerTopic; s++) {
        if (workload.consumerPerSubscription > 0) consumerList.push({ group: `sub-${t}-${s}`, topic, count: workload.consumerPerSubscription });
      }
    }
    for (const key of Object.keys(driver)) {
      if (!['name', 'driverClass'].includes(key)) ignored.push(`driver ${key}`);
    }
  }
  data.workload = { producers: producerList, ...(consumerList.length > 0 ? { consumers: consumerList } : {}) };
  const notes = [
    `Built by mqsim from the OpenMessaging Benchmark workload "${workload.name}" and the ${driver.name} driver:`,
    `${workload.topics} topic(s) x ${workload.partitionsPerTopic} partition(s), ${workload.producersPerTopic} producer(s) per topic at ${workload.producerRate}/s in all,`,
    `${workload.subscriptionsPerTopic} subscription(s) per topic x ${workload.consumerPerSubscription} consumer(s), ${workload.messageSize}-byte messages, ${workload.testDurationMinutes} min.`,
  ];
  notes.push(`The first ${workload.warmupDurationMinutes ?? 1} min are OMB's warm-up, not in the result file.`);
  if (ignored.length > 0) notes.push(`Not modelled: ${ignored.join(', ')}.`);
  data.description = notes.join(' ');
  const yaml = `# Built by: mqsim run --omb (OpenMessaging Benchmark workload ${JSON.stringify(workload.name)}, driver ${JSON.stringify(driver.name)})\n${stringify(data, { lineWidth: 0, aliasDuplicateObjects: false })}`;
  return { data, yaml, system, ignored };
}
