/**
 * `npm run bench:rabbitmq` (issue 5): messages published with confirms to a topic exchange bound
 * to 4 durable queues (each message routed to one of them by its key), 2 consumers per queue with
 * manual acks and prefetch, persistent messages, no faults, tracing off; 100,000 then 1,000,000
 * messages. Target: the million under 10 s on a 2-core machine, cost linear.
 */
import { runScaling } from './harness.js';

const rate = 50_000;
const regions = ['eu', 'us', 'asia', 'latam'];
runScaling(
  'rabbitmq',
  (messages) => ({
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
  [100_000, 1_000_000],
  '1,000,000 messages under 10 s wall; cost linear (ratio near 10)',
);
