import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import '../scenario-sections.js';
import { judge, formatResults, loadRecording, recordingPath, type ProbeResult } from './compare.js';
import { loadDivergences } from './divergences.js';
import { compareOutcomes, type Outcome, type Recording } from './outcome.js';
import { CONFORMANCE_SYSTEMS, conformanceSystem, type BrokerControl, type ConformanceSystem } from './systems.js';

/**
 * `npm run conformance` (node dist/conformance/run.js [--system S] [--record]): for each system,
 * start its real broker on loopback, put every probe (or those of --probe a,b) through it and through the model, and fail
 * (exit 1) if a real outcome differs from its recording or the model disagrees anywhere not
 * listed in DIVERGENCES.md. `--record` writes the real outcomes as the recording instead of
 * comparing them. `runAgainst` is what `mqsim conformance --url` uses on a user's own broker.
 */

export interface LiveRun {
  readonly system: string;
  readonly version: string;
  readonly results: ProbeResult[];
  readonly realOutcomes: Record<string, Outcome>;
  /** Probes not run: they kill the broker, and this one is not the harness's own. */
  readonly skipped: string[];
  /** Probes whose first real run differed from the recording and that were run once more. */
  readonly retried: string[];
  readonly seconds: number;
}

/** Every probe of a system against a running broker; compared with the recording when `compareRecording`. */
export async function runAgainst(
  system: ConformanceSystem, url: string, version: string,
  options: { compareRecording?: boolean; control?: BrokerControl; progress?: (line: string) => void; only?: readonly string[] } = {},
): Promise<LiveRun> {
  const started = performance.now();
  const divergences = loadDivergences();
  const recording = options.compareRecording ? loadRecording(system.system, version) : undefined;
  const results: ProbeResult[] = [];
  const realOutcomes: Record<string, Outcome> = {};
  const skipped: string[] = [];
  const retried: string[] = [];
  const runOne = async (id: string): Promise<ProbeResult> => {
    options.progress?.(`${system.system} ${id}`);
    const recorded = recording === undefined ? undefined : recording?.outcomes[id] ?? null;
    let real = await system.runReal(url, id, options.control);
    // Real probes run in wall-clock time on a shared machine: one that differs from its
    // recording runs once more, and fails only if it differs again (the retry is reported).
    if (recorded && compareOutcomes(recorded, real).length > 0) {
      retried.push(id);
      real = await system.runReal(url, id, options.control);
    }
    realOutcomes[id] = real;
    return judge(system, id, real, version, divergences, recorded);
  };
  const byId = new Map<string, ProbeResult>();
  const runnable = system.probes.filter((p) => options.only === undefined || options.only.includes(p.id)).filter((p) => {
    if (p.needsBrokerControl && options.control === undefined) skipped.push(p.id);
    return !(p.needsBrokerControl && options.control === undefined);
  });
  // One at a time in the probes' order; or with `concurrency`, the probes that leave the broker
  // alone that many at a time, then those that kill or stop it, alone.
  const lanes = Math.max(1, system.concurrency ?? 1);
  const shared = runnable.filter((p) => lanes > 1 && !p.needsBrokerControl).map((p) => p.id);
  await Promise.all(Array.from({ length: Math.min(lanes, shared.length) }, async () => {
    for (let id = shared.shift(); id !== undefined; id = shared.shift()) byId.set(id, await runOne(id));
  }));
  for (const p of runnable.filter((q) => !byId.has(q.id))) byId.set(p.id, await runOne(p.id));
  for (const p of runnable) results.push(byId.get(p.id)!);
  return { system: system.system, version, results, realOutcomes, skipped, retried, seconds: (performance.now() - started) / 1000 };
}

export function liveRunFailed(run: LiveRun): boolean {
  return run.results.some((r) => r.unlisted.length > 0 || (r.recordingDifferences !== null && r.recordingDifferences.length > 0));
}

async function main(argv: string[]): Promise<number> {
  const record = argv.includes('--record');
  const at = argv.indexOf('--system');
  // --probe a,b: only those probes (with --record, their outcomes replace theirs in the recording).
  const probeAt = argv.indexOf('--probe');
  const only = probeAt >= 0 ? (argv[probeAt + 1] ?? '').split(',').filter((id) => id !== '') : undefined;
  const names = at >= 0 ? [argv[at + 1] ?? ''] : CONFORMANCE_SYSTEMS.map((s) => s.system);
  let failed = false;
  for (const name of names) {
    const system = conformanceSystem(name);
    if (system === undefined) {
      process.stderr.write(`unknown system ${name}; known: ${CONFORMANCE_SYSTEMS.map((s) => s.system).join(', ')}\n`);
      return 2;
    }
    const started = performance.now();
    const broker = await system.startBroker();
    let run: LiveRun;
    try {
      process.stdout.write(`${system.system} ${broker.version} started on loopback in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
      const unknown = only?.filter((id) => !system.probes.some((p) => p.id === id)) ?? [];
      if (unknown.length > 0) throw new Error(`no ${system.system} probe ${unknown.join(', ')}`);
      run = await runAgainst(system, broker.url, broker.version, { compareRecording: !record, control: broker, ...(only ? { only } : {}) });
    } finally {
      await broker.stop();
    }
    const total = (performance.now() - started) / 1000;
    if (record) {
      const earlier = only ? loadRecording(system.system, broker.version)?.outcomes ?? {} : {};
      // The recording's order kept (a small diff), new probes after.
      const ids = [...Object.keys(earlier), ...system.probes.map((p) => p.id).filter((id) => !(id in earlier) && id in run.realOutcomes)];
      const outcomes = Object.fromEntries(ids.map((id) => [id, run.realOutcomes[id] ?? earlier[id]!]));
      const recording: Recording = { system: system.system, version: broker.version, outcomes };
      writeFileSync(recordingPath(system.system, broker.version), `${JSON.stringify(recording, null, 2)}\n`);
      process.stdout.write(`recorded ${Object.keys(run.realOutcomes).length} outcomes to ${recordingPath(system.system, broker.version)}\n`);
    }
    process.stdout.write(`${formatResults(run.results, `${system.system} ${broker.version}: real broker vs recording vs model`)}\n`);
    if (run.retried.length > 0) process.stdout.write(`differed from the recording on a first run, so ran twice: ${run.retried.join(', ')}\n`);
    process.stdout.write(`probes ran in ${run.seconds.toFixed(1)}s (${total.toFixed(1)}s with the broker's start and stop)\n`);
    if (liveRunFailed(run)) failed = true;
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (error: unknown) => {
    process.stderr.write(`conformance: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 3;
  });
}
