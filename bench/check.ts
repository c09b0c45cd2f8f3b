/**
 * `npm run bench:check` (issue 7):
 * 1. runs per second of `mqsim check` on a small Kafka scenario (3 brokers, RF 3, 1,000
 *    messages, up to 3 faults, a property that holds so every run executes) with 1 and with 2
 *    worker threads, and the speed-up;
 * 2. every shipped "holds" claim (scenarios/properties/, "Claim (holds)" in its description) checked over its full
 *    `explore.runs` (1,000), the verdicts the README reports.
 * Options: --runs N (part 1, default 400), --skip-claims.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { runCheck } from '../check/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '400' }, 'skip-claims': { type: 'boolean', default: false } } });
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
console.log('   each measured as a user runs it: a fresh \`mqsim check --workers W\` process, wall time from');
console.log('   spawn to exit (start-up and JIT warm-up included), the median of 3');
const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const rates: number[] = [];
for (const workers of [1, 2]) {
  const walls: number[] = [];
  let verdict = '';
  for (let rep = 0; rep < 3; rep++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [cli, 'check', file, '--runs', String(runs), '--workers', String(workers), '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    walls.push((performance.now() - started) / 1000);
    if (child.status !== 0) throw new Error(`mqsim check exited ${child.status}: ${child.stderr}`);
    const report = JSON.parse(child.stdout) as { runsDone: number; firstFailure: number | null };
    if (report.runsDone !== runs) throw new Error(`expected ${runs} runs, the check did ${report.runsDone}`);
    verdict = report.firstFailure === null ? 'holds' : `fails at run ${report.firstFailure}`;
  }
  const seconds = walls.sort((a, b) => a - b)[1]!;
  const rate = runs / seconds;
  rates.push(rate);
  console.log(`   ${workers} worker${workers === 1 ? ' ' : 's'}: ${runs} runs in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} runs/s (${(rate / workers).toFixed(1)} per worker), ${verdict}`);
}
console.log(`   speed-up with 2 workers: ${(rates[1]! / rates[0]!).toFixed(2)}x (target: >= 50 runs/s per core, near-linear speed-up)`);

if (!values['skip-claims']) {
  console.log('\n2. the shipped "holds" claims over their full runs');
  const claims = fileURLToPath(new URL('../../scenarios/properties/', import.meta.url));
  for (const name of readdirSync(claims).filter((f) => f.endsWith('.yaml') && readFileSync(join(claims, f), 'utf8').includes('Claim (holds)')).sort()) {
    const started = performance.now();
    const report = await runCheck(join(claims, name), { workers: os.availableParallelism() });
    const seconds = (performance.now() - started) / 1000;
    const verdict = report.firstFailure === null ? `HOLDS over ${report.runsDone} runs` : `FAILS at run ${report.firstFailure}: ${report.counterexample?.faults.join('; ')}`;
    console.log(`   ${name}: ${verdict} (${seconds.toFixed(0)} s)`);
  }
}
