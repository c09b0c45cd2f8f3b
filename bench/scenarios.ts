/**
 * The model benchmarks' scenarios, as data a scenario file would hold, for N messages. Shared by
 * bench:kafka, bench:rabbitmq and bench:rocketmq (wall time, heap, linearity) and bench:trace-share
 * (what the trace hash and the checkers cost), so both measure the same runs.
 */
export type BenchSystem = 'kafka' | 'rabbitmq' | 'rocketmq';

const rate = 50_000;
const regions = ['eu', 'us', 'asia', 'latam'];
const rocketProducers = 50;
const rocketRatePerProducer = 1_000;

export const BENCH_SCENARIOS: Record<BenchSystem, (messages: number) => Record<string, unknown>> = {
  /**
   * Issue 4: 3 brokers, one topic of 6 partitions with replication factor 3, acks=all, one
   * consumer group of three subscribe() members (range, auto-commit), no faults.
   */
  kafka: (messages) => ({
    name: `bench-kafka-${messages}`,
    system: 'kafka',
    seed: 1,
    duration: `${Math.ceil(messages / rate) + 2}s`,
    drain: '10s',
    // __consumer_offsets at its default 50 partitions, RF 3.
    cluster: { brokers: 3 },
    topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }],
    network: { latency: { uniform: ['200us', '1ms'] } },
    workload: {
      producers: [{ id: 'p1', topic: 'orders', rate: `${rate}/s`, count: messages, keys: 1000, payload: '256B', config: { acks: 'all' } }],
      // Issue 4's benchmark: 3 consumers in one group (subscribe), two partitions each.
      consumers: [{ group: 'billing', topic: 'orders', mode: 'subscribe', count: 3, config: { 'auto.offset.reset': 'earliest' } }],
    },
    limits: { maxEvents: 200_000_000 },
  }),
  /**
   * Issue 5: messages published with confirms to a topic exchange bound to 4 durable queues (each
   * message routed to one of them by its key), 2 consumers per queue with manual acks and
   * prefetch, persistent messages, no faults.
   */
  rabbitmq: (messages) => ({
    name: `bench-rabbitmq-${messages}`,
    system: 'rabbitmq',
    seed: 1,
    duration: `${Math.ceil(messages / rate) + 2}s`,
    drain: '10s',
    exchanges: [{ name: 'orders', type: 'topic', durable: true }],
    queues: regions.map((region) => ({ name: `orders.${region}`, durable: true })),
    bindings: regions.map((region, i) => ({ exchange: 'orders', queue: `orders.${region}`, routingKey: `orders.*.key-${i}` })),
    network: { latency: { uniform: ['200us', '1ms'] } },
    workload: {
      producers: [{ id: 'p1', rate: `${rate}/s`, count: messages, keys: 4, payload: '256B', exchange: 'orders', routingKey: 'orders.new.{key}', persistent: true, config: { confirm: true } }],
      consumers: regions.map((region) => ({ queue: `orders.${region}`, count: 2, config: { autoAck: false, prefetch: 100 } })),
    },
    limits: { maxEvents: 200_000_000 },
  }),
  /**
   * Issue 6: 2 broker groups with a slave each (ASYNC_MASTER, ASYNC_FLUSH, the defaults), the
   * topic's 8 queues (4 per group), 4 consumers in one group, sync sends (50 producers, since a
   * sync producer has one send in flight), no faults.
   */
  rocketmq: (messages) => ({
    name: `bench-rocketmq-${messages}`,
    system: 'rocketmq',
    seed: 1,
    // Sync sends fall a little behind the planned rate (one in flight per producer): leave room.
    duration: `${Math.ceil((messages / (rocketProducers * rocketRatePerProducer)) * 1.5) + 3}s`,
    drain: '10s',
    cluster: { brokerGroups: 2, slavesPerGroup: 1 },
    network: { latency: { uniform: ['200us', '1ms'] } },
    workload: {
      producers: Array.from({ length: rocketProducers }, (_, i) => ({ id: `p${i + 1}`, rate: `${rocketRatePerProducer}/s`, count: messages / rocketProducers, payload: '256B' })),
      consumers: [{ group: 'billing', count: 4 }],
    },
    limits: { maxEvents: 200_000_000 },
  }),
};
