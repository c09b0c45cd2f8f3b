import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_DRIVER, ombScenario, parseProperties, readOmbDriver, readOmbWorkload, type OmbWorkload } from '../../cli/omb-workload.js';
import { parseScenario } from '../../models/scenario.js';
import { mqsim } from '../cli-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OMB = join(ROOT, 'examples', 'omb');

const WORKLOAD: OmbWorkload = {
  name: '2 topics / 4 partitions / 1Kb', topics: 2, partitionsPerTopic: 4, messageSize: 1024, subscriptionsPerTopic: 2,
  consumerPerSubscription: 3, producersPerTopic: 2, producerRate: 1000, testDurationMinutes: 1, warmupDurationMinutes: 0.5, keyDistributor: 'NO_KEY',
};

describe('OpenMessaging Benchmark workloads and drivers', () => {
  it('reads Java properties as OMB drivers write them', () => {
    expect(parseProperties('# comment\nacks=all\n  linger.ms = 1\nbatch.size: 1048576\n! other\n\n')).toEqual([['acks', 'all'], ['linger.ms', '1'], ['batch.size', '1048576']]);
  });

  it('maps a workload and the Kafka driver: topics, partitions, producers sharing the rate, a group per subscription, the driver\'s configs', () => {
    const driver = readOmbDriver(join(OMB, 'drivers', 'kafka.yaml'), 'kafka.yaml');
    const { data, system, ignored } = ombScenario(WORKLOAD, driver);
    expect(system).toBe('kafka');
    expect(data.duration).toBe('90s');
    expect(data.cluster).toEqual({ brokers: 3 });
    expect(data.topics).toEqual([0, 1].map((t) => ({ name: `topic-${t}`, partitions: 4, replicationFactor: 3, config: { 'min.insync.replicas': 2 } })));
    const workload = data.workload as { producers: Record<string, unknown>[]; consumers: Record<string, unknown>[] };
    expect(workload.producers).toHaveLength(4);
    expect(workload.producers[0]).toEqual({ id: 'p-0-0', topic: 'topic-0', rate: '250/s', payload: '1024B', config: { acks: 'all', 'linger.ms': 1, 'batch.size': 1048576 } });
    expect(workload.consumers).toHaveLength(4);
    expect(workload.consumers[3]).toMatchObject({ group: 'sub-1-1', topic: 'topic-1', count: 3, mode: 'subscribe', commit: 'manual-async-after', config: { 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, 'max.partition.fetch.bytes': 10485760 } });
    expect(ignored).toEqual(['commonConfig bootstrap.servers']);
    expect(String(data.description)).toContain('Not modelled: commonConfig bootstrap.servers');
    const scenario = parseScenario(ombScenario(WORKLOAD, driver).yaml, 'built.yaml');
    expect(scenario.system).toBe('kafka');
    // Keys: OMB's pool of 10,000 for the keyed distributors.
    expect((ombScenario({ ...WORKLOAD, keyDistributor: 'KEY_ROUND_ROBIN' }, driver).data.workload as { producers: { keys?: number }[] }).producers[0]!.keys).toBe(10_000);
  });

  it('maps the RabbitMQ (classic and quorum) and RocketMQ drivers onto valid scenarios', () => {
    const rabbit = ombScenario(WORKLOAD, readOmbDriver(join(OMB, 'drivers', 'rabbitmq.yaml'), 'rabbitmq.yaml'));
    expect(rabbit.system).toBe('rabbitmq');
    expect(rabbit.data.exchanges).toEqual([{ name: 'topic-0', type: 'fanout', durable: false }, { name: 'topic-1', type: 'fanout', durable: false }]);
    expect(rabbit.data.bindings).toContainEqual({ exchange: 'topic-1', queue: 'topic-1-sub-1' });
    expect(rabbit.ignored).toContain('driver amqpUris');
    const quorum = ombScenario(WORKLOAD, readOmbDriver(join(OMB, 'drivers', 'rabbitmq-quorum.yaml'), 'q.yaml'));
    expect(quorum.data.cluster).toEqual({ brokers: 3 });
    expect((quorum.data.queues as { arguments?: object }[])[0]!.arguments).toEqual({ 'x-queue-type': 'quorum' });
    const rocket = ombScenario(WORKLOAD, readOmbDriver(join(OMB, 'drivers', 'rocketmq.yaml'), 'rocketmq.yaml'));
    expect(rocket.data.topics).toContainEqual({ name: 'topic-0', readQueueNums: 4, writeQueueNums: 4 });
    for (const built of [rabbit, quorum, rocket]) expect(parseScenario(built.yaml, 'built.yaml').system).toBe(built.system);
  });

  it('every shipped example workload maps onto a valid scenario with every shipped driver', () => {
    const workloads = readdirSync(join(OMB, 'workloads'));
    const drivers = readdirSync(join(OMB, 'drivers'));
    expect(workloads.length).toBeGreaterThanOrEqual(6);
    for (const w of workloads) {
      const workload = readOmbWorkload(join(OMB, 'workloads', w), w);
      for (const d of drivers) {
        const built = ombScenario(workload, readOmbDriver(join(OMB, 'drivers', d), d));
        expect(parseScenario(built.yaml, `${w}+${d}`).name, `${w} + ${d}`).toMatch(/^omb-/);
      }
    }
    expect(ombScenario(readOmbWorkload(join(OMB, 'workloads', workloads[0]!), 'w'), DEFAULT_KAFKA_DRIVER).system).toBe('kafka');
  });

  it('mqsim run --omb writes OMB\'s result JSON: 10 s windows of rates, backlog and latencies (ms), aggregates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-omb-'));
    const r = await mqsim(['run', '--omb', join(OMB, 'workloads', 'small-smoke-test.yaml'), '--driver', join(OMB, 'drivers', 'kafka.yaml'), '--quiet', '--result', join(dir, 'result.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS .*small-smoke-test\.yaml \+ .*kafka\.yaml [0-9a-f]{16} \d+ events\n$/);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['workload', 'driver', 'messageSize', 'topics', 'partitions', 'producersPerTopic', 'consumersPerTopic', 'publishRate', 'publishErrorRate', 'consumeRate', 'backlog',
      'publishLatencyAvg', 'publishLatency50pct', 'publishLatency75pct', 'publishLatency95pct', 'publishLatency99pct', 'publishLatency999pct', 'publishLatency9999pct', 'publishLatencyMax',
      'aggregatedPublishLatencyAvg', 'aggregatedPublishLatency50pct', 'aggregatedPublishLatency99pct', 'aggregatedPublishLatencyMax', 'aggregatedPublishLatencyQuantiles',
      'endToEndLatencyAvg', 'endToEndLatency50pct', 'endToEndLatency99pct', 'endToEndLatencyMax', 'aggregatedEndToEndLatencyAvg', 'aggregatedEndToEndLatency99pct', 'aggregatedEndToEndLatencyQuantiles']) {
      expect(result, key).toHaveProperty(key);
    }
    expect(result).toMatchObject({ workload: 'smoke test / 2 partitions / 512b', driver: 'Kafka', messageSize: 512, topics: 1, partitions: 2, producersPerTopic: 2, consumersPerTopic: 2 });
    // 30 s of test after the 6 s warm-up: three windows at the 400/s the workload asks for.
    const publishRate = result.publishRate as number[];
    expect(publishRate).toHaveLength(3);
    for (const rate of publishRate) expect(rate).toBeGreaterThan(390);
    for (const rate of result.consumeRate as number[]) expect(rate).toBeGreaterThan(390);
    const p50 = result.aggregatedPublishLatency50pct as number;
    const p99 = result.aggregatedPublishLatency99pct as number;
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(result.aggregatedPublishLatencyMax as number).toBeGreaterThanOrEqual(p99);
    expect(Object.keys(result.aggregatedPublishLatencyQuantiles as object)).toEqual(['50.0', '75.0', '90.0', '95.0', '99.0', '99.9', '99.99', '100.0']);
    expect((result.backlog as number[]).every((b) => b >= 0 && b < 400)).toBe(true);
  });

  it('--print-scenario prints a scenario mqsim runs; bad files and flags are refused with where and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-omb-'));
    const printed = await mqsim(['run', '--omb', join(OMB, 'workloads', 'small-smoke-test.yaml'), '--driver', join(OMB, 'drivers', 'rocketmq.yaml'), '--print-scenario']);
    expect(printed.code).toBe(0);
    writeFileSync(join(dir, 'built.yaml'), printed.stdout);
    expect((await mqsim(['validate', 'built.yaml'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'bad.yaml'), 'name: x\ntopics: 1\npartitionsPerTopic: 1\nmessageSize: 1024\nsubscriptionsPerTopic: 1\nconsumerPerSubscription: 1\nproducersPerTopic: 1\nproducerRate: 100\ntestDurationMinutes: 1\nkeyDistributer: NO_KEY\n');
    const bad = await mqsim(['run', '--omb', 'bad.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:10:1: keyDistributer: unknown key "keyDistributer" \(did you mean "keyDistributor"\?\)/);
    writeFileSync(join(dir, 'max.yaml'), readFileSync(join(OMB, 'workloads', 'small-smoke-test.yaml'), 'utf8').replace('producerRate: 400', 'producerRate: 0'));
    const max = await mqsim(['run', '--omb', 'max.yaml'], dir);
    expect(max.code).toBe(2);
    expect(max.stderr).toContain('producerRate 0 (OMB: as fast as the driver goes) has no fixed-rate equivalent');
    const both = await mqsim(['run', 'scenarios/demo/steady-state.yaml', '--omb', join(OMB, 'workloads', 'small-smoke-test.yaml')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give no scenario files with it');
    const stray = await mqsim(['run', 'scenarios/demo/steady-state.yaml', '--driver', 'x.yaml']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--driver goes with --omb');
  });
});
