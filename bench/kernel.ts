/**
 * The kernel benchmark (`npm run bench:kernel`, which builds and runs dist/bench/kernel.js):
 *
 *  1. the bare event loop: events per second with empty handlers, self-rescheduling chains
 *     keeping a realistic number of events pending in the heap;
 *  2. an M/M/1 queue on mqsim's kernel (bench/mm1.ts);
 *  3. the same M/M/1 model in SimPy (bench/mm1_simpy.py, run with the system Python).
 *
 * It prints customers per wall-clock second for both and their ratio, and checks that both
 * mean waits agree with each other and with Wq = rho / (mu - lambda) within 5%. The SimPy
 * script replays mqsim's own random draws (a port of seedrandom's Alea), so both simulators
 * follow the same sample path: a fourth check holds their mean waits to within 1e-4 of each
 * other, which catches a modelling difference that 5% would let through. Exits 1 if a check
 * fails; SimPy missing is reported as skipped (with how to install it), not a failure.
 *
 * Options: --events N, --chains N (bare loop), --customers N, --seed S, --no-simpy.
 * MQSIM_PYTHON picks the Python (default /usr/bin/python3, where Debian's python3-simpy3 lives).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kernel } from '../sim/kernel.js';
import { RandomStreams } from '../sim/random.js';
import { mm1ExpectedWait, runMm1, type Mm1Result } from './mm1.js';

const TOLERANCE = 0.05;
/** Same draws, same path: only mqsim's rounding of delays to whole microseconds differs. */
const SAME_PATH_TOLERANCE = 1e-4;
const TARGET_RATIO = 20;
const ARRIVAL_RATE = 0.9;
const SERVICE_RATE = 1;
const INSTALL_HINT = 'apt-get install python3-simpy3';

const { values: options } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    chains: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    'no-simpy': { type: 'boolean', default: false },
  },
});
const totalEvents = positiveInt('events', options.events);
const chains = positiveInt('chains', options.chains);
const customers = positiveInt('customers', options.customers);
const seed = options.seed;

function positiveInt(name: string, text: string): number {
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer, got ${text}`);
    process.exit(2);
  }
  return value;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number): string => n.toFixed(digits);

// ---------------------------------------------------------------------------------------
// 1. Bare event loop.

interface LoopResult {
  events: number;
  wallMs: number;
  pending: number;
}

/**
 * `chains` self-rescheduling chains; each handler does nothing but schedule its chain's next
 * event after a delay from a precomputed table (exponential, mean 1 ms), so the heap holds
 * `chains` events in a realistic random order and the loop measures the kernel only.
 */
function bareLoop(events: number, chainCount: number): LoopResult {
  const kernel = new Kernel({ maxEvents: events + chainCount });
  const rng = new RandomStreams('bench').stream('delays');
  const delays = new Float64Array(4096);
  for (let i = 0; i < delays.length; i++) delays[i] = 1 + Math.round(rng.exponential(1_000));
  let cursor = 0;
  let toSchedule = events - Math.min(events, chainCount);
  let pendingSample = 0;

  const tick = (chain: number): void => {
    if (toSchedule > 0) {
      toSchedule--;
      kernel.at(kernel.now + delays[cursor++ & 4095]!, tick, chain);
      if (toSchedule === events >> 1) pendingSample = kernel.pending;
    }
  };

  const start = performance.now();
  for (let chain = 0; chain < Math.min(events, chainCount); chain++) kernel.at(delays[cursor++ & 4095]!, tick, chain);
  kernel.run();
  const wallMs = performance.now() - start;
  if (kernel.eventsRun !== events) throw new Error(`bare loop ran ${kernel.eventsRun} events, expected ${events}`);
  return { events: kernel.eventsRun, wallMs, pending: pendingSample || Math.min(events, chainCount) };
}

// ---------------------------------------------------------------------------------------
// 3. SimPy.

type SimpyOutcome =
  | { kind: 'ran'; customers: number; meanWait: number; wallSeconds: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; reason: string };

const pythonPath = process.env.MQSIM_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
// dist/bench/kernel.js -> <repo>/bench/mm1_simpy.py (the .py file is not copied by tsc).
const simpyScript = fileURLToPath(new URL('../../bench/mm1_simpy.py', import.meta.url));

function pythonVersion(): string {
  const result = spawnSync(pythonPath, ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return `not found (${pythonPath})`;
  return `${(result.stdout || result.stderr).trim()} (${pythonPath})`;
}

function runSimpy(): SimpyOutcome {
  if (!existsSync(simpyScript)) return { kind: 'failed', reason: `SimPy script not found at ${simpyScript}` };
  const result = spawnSync(
    pythonPath,
    [simpyScript, '--customers', String(customers), '--seed', seed, '--arrival-rate', String(ARRIVAL_RATE), '--service-rate', String(SERVICE_RATE)],
    { encoding: 'utf8', timeout: 30 * 60 * 1000, maxBuffer: 1 << 20 },
  );
  const spawnError = result.error as NodeJS.ErrnoException | undefined;
  if (spawnError?.code === 'ENOENT') {
    return { kind: 'skipped', reason: `no Python at ${pythonPath}; install it and SimPy with: apt-get install python3 python3-simpy3` };
  }
  if (spawnError) return { kind: 'failed', reason: `could not run ${pythonPath}: ${spawnError.message}` };
  const lastLine = result.stdout.trim().split('\n').pop() ?? '';
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(lastLine) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed.skipped === 'string') return { kind: 'skipped', reason: parsed.skipped };
  if (result.status === 3) return { kind: 'skipped', reason: `SimPy is not installed; install it with: ${INSTALL_HINT}` };
  if (result.status !== 0 || !parsed || typeof parsed.meanWait !== 'number' || typeof parsed.wallSeconds !== 'number' || typeof parsed.customers !== 'number') {
    const why = result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`;
    return { kind: 'failed', reason: `${why}; stdout: ${result.stdout.trim().slice(-500)}; stderr: ${result.stderr.trim().slice(-500)}` };
  }
  return { kind: 'ran', customers: parsed.customers, meanWait: parsed.meanWait, wallSeconds: parsed.wallSeconds };
}

// ---------------------------------------------------------------------------------------

const cpus = os.cpus();
console.log('mqsim kernel benchmark');
console.log(`machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.arch()}, node ${process.version}, ${pythonVersion()}`);
console.log('');

// A short warm-up so the timed loop runs optimized code, as a long simulation would.
bareLoop(Math.min(totalEvents, 1_000_000), chains);
const loop = bareLoop(totalEvents, chains);
console.log(`1. bare event loop: ${int(loop.events)} events, empty self-rescheduling handlers, ${int(loop.pending)} events pending`);
console.log(`   ${fixed(loop.wallMs / 1000, 3)} s wall, ${int(loop.events / (loop.wallMs / 1000))} events/s (${fixed((loop.wallMs * 1e6) / loop.events, 1)} ns/event)`);
console.log('');

const expected = mm1ExpectedWait(ARRIVAL_RATE, SERVICE_RATE);
const model = `lambda ${ARRIVAL_RATE}, mu ${SERVICE_RATE}, 1 server, FIFO, ${int(customers)} customers, seed ${seed}`;
const mq: Mm1Result = runMm1({ customers, seed, arrivalRate: ARRIVAL_RATE, serviceRate: SERVICE_RATE });
const mqRate = mq.customers / (mq.wallMs / 1000);
console.log(`2. M/M/1 on mqsim (${model})`);
console.log(`   mean wait ${fixed(mq.meanWait, 4)} (expected ${fixed(expected, 4)}), ${int(mq.events)} events, ${fixed(mq.wallMs / 1000, 3)} s wall`);
console.log(`   ${int(mqRate)} customers/s, ${int(mq.events / (mq.wallMs / 1000))} events/s`);
console.log('');

let simpy: SimpyOutcome;
if (options['no-simpy']) {
  simpy = { kind: 'skipped', reason: '--no-simpy' };
} else {
  console.log(`3. M/M/1 on SimPy (${model}, mqsim's random draws) ...`);
  simpy = runSimpy();
}
let simpyRate = 0;
if (simpy.kind === 'ran') {
  simpyRate = simpy.customers / simpy.wallSeconds;
  console.log(`   mean wait ${fixed(simpy.meanWait, 4)} (expected ${fixed(expected, 4)}), ${fixed(simpy.wallSeconds, 3)} s wall`);
  console.log(`   ${int(simpyRate)} customers/s`);
} else if (simpy.kind === 'skipped') {
  if (options['no-simpy']) console.log('3. M/M/1 on SimPy: SKIPPED (--no-simpy)');
  else console.log(`   SKIPPED: ${simpy.reason}`);
} else {
  console.log(`   FAILED: ${simpy.reason}`);
}
console.log('');

console.log('speed (customers per wall-clock second):');
console.log(`   mqsim ${int(mqRate)}/s`);
if (simpy.kind === 'ran') {
  const ratio = mqRate / simpyRate;
  console.log(`   SimPy ${int(simpyRate)}/s`);
  console.log(`   mqsim/SimPy ${fixed(ratio, 1)}x (target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? 'MET' : 'NOT MET'})`);
} else {
  console.log('   SimPy skipped: no ratio');
}
console.log('');

let failed = 0;
function check(ok: boolean, text: string): void {
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);
}
const within = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

console.log(`checks (tolerance ${TOLERANCE * 100}%):`);
check(within(mq.meanWait, expected) <= TOLERANCE, `mqsim mean wait ${fixed(mq.meanWait, 4)} vs Wq ${fixed(expected, 4)}: ${fixed(100 * within(mq.meanWait, expected), 2)}% off`);
if (simpy.kind === 'ran') {
  const mean = (mq.meanWait + simpy.meanWait) / 2;
  check(within(simpy.meanWait, expected) <= TOLERANCE, `SimPy mean wait ${fixed(simpy.meanWait, 4)} vs Wq ${fixed(expected, 4)}: ${fixed(100 * within(simpy.meanWait, expected), 2)}% off`);
  const apart = Math.abs(mq.meanWait - simpy.meanWait) / mean;
  check(apart <= TOLERANCE, `mqsim vs SimPy mean wait: ${fixed(100 * apart, 2)}% apart`);
  check(apart <= SAME_PATH_TOLERANCE, `mqsim vs SimPy on the same random draws: ${apart.toExponential(1)} apart (limit ${SAME_PATH_TOLERANCE.toExponential(0)})`);
} else if (simpy.kind === 'skipped') {
  console.log(`SKIP SimPy mean wait vs Wq, mqsim vs SimPy (SimPy skipped: ${simpy.reason})`);
} else {
  check(false, `SimPy run: ${simpy.reason}`);
}

if (failed > 0) {
  console.log(`${failed} check(s) failed`);
  process.exitCode = 1;
}
