/**
 * `npm run bench:kafka` (issue 4): 3 brokers, one topic of 6 partitions with replication factor 3,
 * acks=all, one consumer group of three subscribe() members (range, auto-commit), no faults, tracing off; 100,000 then 1,000,000 messages. Prints wall
 * time, simulated messages and events per wall-clock second, peak live heap, and the cost ratio.
 * Target: the million under 10 s on a 2-core machine, cost linear (ratio near 10), heap bounded
 * by the data the model must keep (the partition logs).
 */
import { runScaling } from './harness.js';

const rate = 50_000;
runScaling(
  'kafka',
  (messages) => ({
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
  [100_000, 1_000_000],
  '1,000,000 messages under 10 s wall; cost linear (ratio near 10); heap bounded by the logs',
);
