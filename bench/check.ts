/**
 * `npm run bench:check` (issue 7):
 * 1. runs per second of `mqsim check` on a small Kafka scenario (3 brokers, RF 3, 1,000
 *    messages, up to 3 faults, a property that holds so every run executes) with 1 and with 2
 *    worker threads, and the speed-up;
 * 2. every shipped "holds" claim (scenarios/properties/*-no-loss.yaml) checked over its full
 *    `explore.runs` (1,000), the verdicts the README reports.
 * Options: --runs N (part 1, default 200), --skip-claims.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { runCheck } from '../check/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, 'skip-claims': { type: 'boolean', default: false } } });
const runs = Number(values.runs);

const small = {
  name: 'bench-check-kafka',
  description: 'Small Kafka scenario for the mqsim check benchmark.',
  system: 'kafka',
  seed: 1,
  duration: '20s',
  drain: '20s',
  cluster: { brokers: 3, config: { 'min.insync.replicas': 2 } },
  topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
  workload: {
    producers: [{ id: 'p1', topic: 'orders', rate: '50/s', count: 1000, keys: 10, config: { acks: 'all' } }],
    consumers: [{ group: 'billing', topic: 'orders', config: { 'auto.offset.reset': 'earliest' } }],
  },
  explore: { faults: { kinds: ['crash', 'kill', 'pause', 'partition'], max: 3, roles: ['broker'], for: ['1s', '5s'], spacing: '20s', keepPageCache: true } },
  property: ['noLostAcked'],
};
const dir = mkdtempSync(join(os.tmpdir(), 'mqsim-bench-check-'));
const file = join(dir, 'bench-check-kafka.yaml');
writeFileSync(file, stringify(small));

console.log('mqsim check benchmark');
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, node ${process.version}\n`);
console.log(`1. a small Kafka scenario (3 brokers, RF 3, 1,000 messages, up to 3 faults), ${runs} runs`);
await runCheck(file, { workers: 1, runs: 10 }); // warm the JIT of this thread
const rates: number[] = [];
for (const workers of [1, 2]) {
  const started = performance.now();
  const report = await runCheck(file, { workers, runs });
  const seconds = (performance.now() - started) / 1000;
  const rate = report.runsDone / seconds;
  rates.push(rate);
  console.log(`   ${workers} worker${workers === 1 ? ' ' : 's'}: ${report.runsDone} runs in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} runs/s (${(rate / workers).toFixed(1)} per worker), ${report.firstFailure === null ? 'holds' : `fails at run ${report.firstFailure}`}`);
}
console.log(`   speed-up with 2 workers: ${(rates[1]! / rates[0]!).toFixed(2)}x (target: >= 50 runs/s per core, near-linear speed-up)`);

if (!values['skip-claims']) {
  console.log('\n2. the shipped "holds" claims over their full runs');
  const claims = fileURLToPath(new URL('../../scenarios/properties/', import.meta.url));
  for (const name of readdirSync(claims).filter((f) => f.endsWith('-no-loss.yaml')).sort()) {
    const started = performance.now();
    const report = await runCheck(join(claims, name), { workers: os.availableParallelism() });
    const seconds = (performance.now() - started) / 1000;
    const verdict = report.firstFailure === null ? `HOLDS over ${report.runsDone} runs` : `FAILS at run ${report.firstFailure}: ${report.counterexample?.faults.join('; ')}`;
    console.log(`   ${name}: ${verdict} (${seconds.toFixed(0)} s)`);
  }
}
