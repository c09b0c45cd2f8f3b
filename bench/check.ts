/**
 * `npm run bench:check`: runs per second of `mqsim check` with 1 and with 2 worker threads on a
 * property that holds (so every run is executed), and the speed-up.
 *
 * The issue asks for a small Kafka scenario (3 brokers, 1,000 messages, up to 3 faults); until
 * the Kafka model lands it uses the demo property scenario (one broker, ~500 messages, up to 3
 * faults). Options: --file F, --runs N.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCheck } from '../check/index.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: fileURLToPath(new URL('../../scenarios/properties/demo-ack-after-fsync.yaml', import.meta.url)) },
    runs: { type: 'string', default: '300' },
  },
});
const runs = Number(values.runs);

console.log('mqsim check benchmark');
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, node ${process.version}`);
console.log(`scenario: ${values.file}, ${runs} runs\n`);

// Warm up the JIT in this thread (workers warm up on their own; that cost is part of their figure).
await runCheck(values.file, { workers: 1, runs: 20 });

const rates: number[] = [];
for (const workers of [1, 2]) {
  const started = performance.now();
  const report = await runCheck(values.file, { workers, runs });
  const seconds = (performance.now() - started) / 1000;
  const rate = report.runsDone / seconds;
  rates.push(rate);
  console.log(`${workers} worker${workers === 1 ? ' ' : 's'}: ${report.runsDone} runs in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} runs/s (${(rate / workers).toFixed(1)} per worker), verdict ${report.firstFailure === null ? 'holds' : `fails at run ${report.firstFailure}`}`);
}
console.log(`\nspeed-up with 2 workers: ${(rates[1]! / rates[0]!).toFixed(2)}x (target: near 2x; >= 50 runs/s per core)`);
