/**
 * `npm run bench:rocketmq` (issue 6): 2 broker groups with a slave each (ASYNC_MASTER,
 * ASYNC_FLUSH, the defaults), the topic's 8 queues (4 per group), 4 consumers in one group,
 * sync sends (50 producers, since a sync producer has one send in flight), no faults, tracing off;
 * 100,000 then 1,000,000 messages. Target: the million under 10 s on a 2-core machine, cost linear.
 */
import { runScaling } from './harness.js';

const producers = 50;
const ratePerProducer = 1_000;
runScaling(
  'rocketmq',
  (messages) => ({
    name: `bench-rocketmq-${messages}`,
    system: 'rocketmq',
    seed: 1,
    // Sync sends fall a little behind the planned rate (one in flight per producer): leave room.
    duration: `${Math.ceil((messages / (producers * ratePerProducer)) * 1.5) + 3}s`,
    drain: '10s',
    cluster: { brokerGroups: 2, slavesPerGroup: 1 },
    network: { latency: { uniform: ['200us', '1ms'] } },
    workload: {
      producers: Array.from({ length: producers }, (_, i) => ({ id: `p${i + 1}`, rate: `${ratePerProducer}/s`, count: messages / producers, payload: '256B' })),
      consumers: [{ group: 'billing', count: 4 }],
    },
    limits: { maxEvents: 200_000_000 },
  }),
  [100_000, 1_000_000],
  '1,000,000 messages under 10 s wall; cost linear (ratio near 10)',
);
