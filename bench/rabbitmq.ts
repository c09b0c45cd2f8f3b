/**
 * `npm run bench:rabbitmq` (issues 5 and 19): the RabbitMQ benchmark scenario (bench/scenarios.ts:
 * a topic exchange to 4 durable queues, 2 consumers each, confirms, manual acks), tracing off;
 * 100,000 then 1,000,000 messages.
 */
import { runScaling } from './harness.js';
import { BENCH_SCENARIOS } from './scenarios.js';

runScaling('rabbitmq', BENCH_SCENARIOS.rabbitmq, [100_000, 1_000_000], '1,000,000 messages in 3 s wall; cost linear (10x messages <= 10.5x time)');
