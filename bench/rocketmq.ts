/**
 * `npm run bench:rocketmq` (issues 6 and 19): the RocketMQ benchmark scenario (bench/scenarios.ts:
 * 2 broker groups with slaves, 8 queues, 4 consumers, sync sends from 50 producers), tracing off;
 * 100,000 then 1,000,000 messages.
 */
import { runScaling } from './harness.js';
import { BENCH_SCENARIOS } from './scenarios.js';

runScaling('rocketmq', BENCH_SCENARIOS.rocketmq, [100_000, 1_000_000], '1,000,000 messages in 3 s wall; cost linear (10x messages <= 10.5x time); peak live heap <= 100 MiB');
