/**
 * `npm run bench:trace-share` (issue 19, "tracing off costs nothing"): what the trace hash and
 * the history's checkers cost in a model benchmark. Runs the same benchmark scenario
 * (bench/scenarios.ts) in this one process three ways, in turn, several rounds:
 *   full      as a user runs it (hash on, checkers on, no trace file);
 *   no hash   the trace hash left out (WorldOptions.hashTrace false);
 *   neither   the hash and the checkers left out (checkHistory false: the clients still record
 *             their history ops, nobody reads them).
 * Prints the median CPU time (process.cpuUsage: less sensitive than wall time to other jobs on
 * the machine) and wall time of each, and the shares of the full run's time: hash = full - no
 * hash, checkers = no hash - neither. Target: hash + checkers <= 15% of the full run.
 * Options: --system kafka|rabbitmq|rocketmq|all (default all), --messages N (default 300,000),
 * --rounds R (default 3).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseScenario } from '../models/scenario.js';
import { simulate, type SimulateOptions } from '../models/simulate.js';
import { machineLine } from './harness.js';
import { BENCH_SCENARIOS, type BenchSystem } from './scenarios.js';

const { values } = parseArgs({ options: { system: { type: 'string', default: 'all' }, messages: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '3' } } });
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const systems: BenchSystem[] = values.system === 'all' ? ['kafka', 'rabbitmq', 'rocketmq'] : [values.system as BenchSystem];
for (const system of systems) if (!(system in BENCH_SCENARIOS)) throw new Error(`--system: no benchmark for ${system} (kafka, rabbitmq, rocketmq, all)`);

const modes: { name: string; options: SimulateOptions }[] = [
  { name: 'full', options: {} },
  { name: 'no hash', options: { hashTrace: false } },
  { name: 'neither', options: { hashTrace: false, checkHistory: false } },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log('mqsim trace-share benchmark: what the trace hash and the checkers cost');
console.log(machineLine());
console.log(`${messages.toLocaleString('en-US')} messages, ${rounds} rounds of (full, no hash, neither), medians\n`);
for (const system of systems) {
  const scenario = parseScenario(stringify(BENCH_SCENARIOS[system](messages)), `<bench ${system}>`);
  // Warm the JIT with a small run of each mode.
  const warm = parseScenario(stringify(BENCH_SCENARIOS[system](Math.min(20_000, messages))), `<bench ${system} warm-up>`);
  for (const mode of modes) simulate(warm, mode.options);
  const cpu: number[][] = modes.map(() => []);
  const wall: number[][] = modes.map(() => []);
  let delivered = -1;
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round, so no mode always runs first or last.
    for (let k = 0; k < modes.length; k++) {
      const m = (k + round) % modes.length;
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      const result = simulate(scenario, modes[m]!.options);
      wall[m]!.push((performance.now() - wallStart) / 1000);
      const used = process.cpuUsage(cpuStart);
      cpu[m]!.push((used.user + used.system) / 1e6);
      if (m === 0) delivered = result.counts.delivered;
    }
  }
  const [full, noHash, neither] = cpu.map(median) as [number, number, number];
  const walls = wall.map(median);
  console.log(`${system} (${delivered.toLocaleString('en-US')} delivered)`);
  modes.forEach((mode, m) => console.log(`   ${mode.name.padEnd(8)} cpu ${median(cpu[m]!).toFixed(2)} s, wall ${walls[m]!.toFixed(2)} s`));
  const hashShare = (full - noHash) / full;
  const checkShare = (noHash - neither) / full;
  console.log(`   trace hash ${(100 * hashShare).toFixed(1)}%, checkers ${(100 * checkShare).toFixed(1)}%, together ${(100 * (hashShare + checkShare)).toFixed(1)}% of the full run's CPU time (target <= 15%)\n`);
}
