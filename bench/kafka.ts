/**
 * `npm run bench:kafka` (issues 4 and 19): the Kafka benchmark scenario (bench/scenarios.ts:
 * 3 brokers, 6 partitions with RF 3, acks=all, a group of 3 consumers), tracing off; 100,000 then
 * 1,000,000 messages. Prints wall time, simulated messages and events per wall-clock second, peak
 * live heap, and the cost ratio.
 */
import { runScaling } from './harness.js';
import { BENCH_SCENARIOS } from './scenarios.js';

runScaling('kafka', BENCH_SCENARIOS.kafka, [100_000, 1_000_000], '1,000,000 messages in 3 s wall; cost linear (10x messages <= 10.5x time); peak live heap <= 100 MiB');
