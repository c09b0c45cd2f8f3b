import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseScenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import type { RunResult } from '../sim/result.js';

/**
 * The model benchmarks' common harness: runs a scenario built for N messages with tracing off,
 * and measures wall time, simulated messages and events per wall-clock second, and peak live
 * heap: ten times during the run a forced GC (node --expose-gc) and a heap reading, so the
 * figure is what the run keeps, not garbage not yet collected. Those forced full GCs are the
 * probe's cost, not the simulation's (with a million records live each one walks them all, and
 * at 100,000 RocketMQ messages they were half the time), so the probe gets a run of its own:
 * the wall time is that of a run without it, as a user's run, and the two runs must give the
 * same trace hash. Runs the small size first, then the large one, and prints the cost ratio,
 * which is near the size ratio when cost is linear.
 */
export interface BenchCase {
  label: string;
  messages: number;
  result: RunResult;
  /** Wall time of the run without the heap probe. */
  wallSeconds: number;
  /** Time the heap probe's forced GCs took in the probed run (reported, not in the wall time). */
  probeGcSeconds: number;
  peakHeapMiB: number;
}

export function machineLine(): string {
  return `machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, ${os.platform()} ${os.arch()}, node ${process.version}`;
}

function heapMiB(): number {
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

/**
 * Runs one scenario (raw data as a scenario file would hold) twice: once as a user runs it,
 * for the wall time, and once with the heap probe, for the peak live heap.
 */
export function runBenchCase(label: string, messages: number, raw: Record<string, unknown>): BenchCase {
  const gc = (globalThis as { gc?: () => void }).gc;
  const scenario = parseScenario(stringify(raw), `<bench ${label}>`);
  gc?.();
  const started = performance.now();
  const result = simulate(scenario);
  const wallSeconds = (performance.now() - started) / 1000;
  if (!gc) return { label, messages, result, wallSeconds, probeGcSeconds: 0, peakHeapMiB: Number.NaN };
  gc();
  let peak = heapMiB();
  let samples = 0;
  let probeMs = 0;
  const probed = simulate(scenario, {
    progress: () => {
      // About a hundred progress calls per run: collect and read the heap at every tenth.
      if (++samples % 10 !== 0) return;
      const probeStarted = performance.now();
      gc();
      peak = Math.max(peak, heapMiB());
      probeMs += performance.now() - probeStarted;
    },
  });
  if (probed.traceHash !== result.traceHash) throw new Error(`${label}: the probed run differs from the timed one (${probed.traceHash} vs ${result.traceHash}): nondeterminism`);
  gc();
  peak = Math.max(peak, heapMiB());
  return { label, messages, result, wallSeconds, probeGcSeconds: probeMs / 1000, peakHeapMiB: peak };
}

export function printCase(c: BenchCase): void {
  const r = c.result;
  console.log(`${c.label}: ${c.messages.toLocaleString('en-US')} messages`);
  console.log(`   wall ${c.wallSeconds.toFixed(2)} s, ${Math.round(r.counts.sent / c.wallSeconds).toLocaleString('en-US')} messages/s, ${Math.round(r.events / c.wallSeconds).toLocaleString('en-US')} events/s (${r.events.toLocaleString('en-US')} events)`);
  console.log(`   peak live heap ${c.peakHeapMiB.toFixed(0)} MiB (from a second run with a forced GC at ten points: ${c.probeGcSeconds.toFixed(2)} s of GCs); sent ${r.counts.sent}, acked ${r.counts.acked}, delivered ${r.counts.delivered}, lost ${r.counts.lostAcked}, virtual ${(r.virtualTime / 1e6).toFixed(1)} s`);
}

/** Small then large; prints both and the linearity ratio. Returns the cases. */
export function runScaling(name: string, build: (messages: number) => Record<string, unknown>, sizes: readonly [number, number], target: string): BenchCase[] {
  console.log(`mqsim ${name} benchmark (tracing off)`);
  console.log(machineLine());
  console.log(`target: ${target}\n`);
  // Warm the JIT so the small run is not mostly compilation.
  runBenchCase('warm-up', Math.min(10_000, sizes[0]), build(Math.min(10_000, sizes[0])));
  const cases = sizes.map((n) => runBenchCase(`${name} ${n.toLocaleString('en-US')}`, n, build(n)));
  for (const c of cases) printCase(c);
  const [small, large] = cases as [BenchCase, BenchCase];
  console.log(`\ncost ratio ${large.messages / small.messages}x messages: ${(large.wallSeconds / small.wallSeconds).toFixed(2)}x wall time (linear when near ${large.messages / small.messages})`);
  return cases;
}
