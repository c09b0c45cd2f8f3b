/**
 * `npm run bench:demo`: the demo queue (one broker, one producer at 20,000 messages/s, 2
 * consumers, acks after fsync, no faults) at 100,000 and 1,000,000 messages. The harness the
 * Kafka, RabbitMQ and RocketMQ benchmarks use too.
 */
import { runScaling } from './harness.js';

const rate = 20_000;
runScaling(
  'demo',
  (messages) => ({
    name: `bench-demo-${messages}`,
    system: 'demo',
    seed: 1,
    duration: `${Math.ceil(messages / rate) + 1}s`,
    drain: '10s',
    sampleEvery: '1s',
    network: { latency: { uniform: ['200us', '1ms'] } },
    workload: {
      producers: [{ id: 'p1', rate: `${rate}/s`, count: messages, payload: '512B' }],
      consumers: [{ group: 'workers', count: 2, config: { 'poll.interval': '10ms' } }],
    },
    cluster: { config: { 'max.deliveries.per.fetch': 500 } },
    limits: { maxEvents: 100_000_000 },
  }),
  [100_000, 1_000_000],
  'cost linear in messages (ratio near 10); heap bounded by the model\'s own data',
);
