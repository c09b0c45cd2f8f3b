import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonical, compareOutcomes, type FieldDifference, type Outcome, type Recording } from './outcome.js';
import { conformanceDir, isListed, type Divergence } from './divergences.js';
import type { ConformanceSystem } from './systems.js';

/**
 * Putting the probes through both sides: the real outcome (from a live broker, or from the
 * recording) against the model's, field by field; and a live outcome against its recording.
 */

export interface ProbeResult {
  readonly system: string;
  readonly probe: string;
  readonly about: string;
  readonly real: Outcome;
  readonly model: Outcome;
  /** Fields where the model differs from the real outcome. */
  readonly modelDifferences: readonly FieldDifference[];
  /** Of those, the ones not listed in DIVERGENCES.md. */
  readonly unlisted: readonly FieldDifference[];
  /** DIVERGENCES.md has a row for this probe. */
  readonly listed: boolean;
  /** A live run: fields where the real outcome differs from the recording (null: no recording compared). */
  readonly recordingDifferences: readonly FieldDifference[] | null;
}

export function recordingPath(system: string, version: string): string {
  return join(conformanceDir(), 'recorded', `${system}-${version}.json`);
}

export function loadRecording(system: string, version: string): Recording | null {
  const file = recordingPath(system, version);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Recording : null;
}

/** One probe's real outcome against the model's, following that real version. */
export function judge(system: ConformanceSystem, probe: string, real: Outcome, version: string, divergences: readonly Divergence[], recorded?: Outcome | null): ProbeResult {
  const model = system.runModel(probe, version);
  const modelDifferences = compareOutcomes(real, model);
  return {
    system: system.system,
    probe,
    about: system.probes.find((p) => p.id === probe)?.about ?? '',
    real,
    model,
    modelDifferences,
    unlisted: modelDifferences.filter((d) => !isListed(divergences, system.system, probe, d.field)),
    listed: divergences.some((d) => d.system === system.system && d.probe === probe),
    recordingDifferences: recorded === undefined ? null : recorded === null ? [{ field: '*', expected: undefined, actual: 'recorded outcome missing' }] : compareOutcomes(recorded, real),
  };
}

/** The model against a recording, no broker needed (what npm test does). */
export function judgeRecording(system: ConformanceSystem, recording: Recording, divergences: readonly Divergence[]): ProbeResult[] {
  return system.probes.map((p) => {
    const real = recording.outcomes[p.id];
    if (real === undefined) throw new Error(`${system.system} ${recording.version}: no recorded outcome for probe ${p.id}`);
    return judge(system, p.id, real, recording.version, divergences);
  });
}

function short(value: unknown): string {
  const text = value === undefined ? 'absent' : canonical(value as never);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The agree/disagree table, then each disagreement field by field. */
export function formatResults(results: readonly ProbeResult[], title: string): string {
  const lines = [title, ''];
  const width = Math.max(5, ...results.map((r) => r.probe.length));
  lines.push(`${'probe'.padEnd(width)}  model`);
  for (const r of results) {
    const verdict = r.modelDifferences.length === 0 ? 'agrees' : r.unlisted.length === 0 ? 'differs (listed in DIVERGENCES.md)' : 'DISAGREES';
    const recording = r.recordingDifferences === null ? '' : r.recordingDifferences.length === 0 ? '' : '  REAL OUTCOME DIFFERS FROM RECORDING';
    lines.push(`${r.probe.padEnd(width)}  ${verdict}${recording}`);
  }
  const agree = results.filter((r) => r.modelDifferences.length === 0).length;
  const listed = results.filter((r) => r.modelDifferences.length > 0 && r.unlisted.length === 0).length;
  lines.push('', `${results.length} probes: ${agree} agree, ${listed} listed divergences, ${results.length - agree - listed} unlisted disagreements`);
  for (const r of results) {
    if (r.modelDifferences.length === 0 && r.listed) lines.push(`  ${r.probe} agrees now but DIVERGENCES.md lists it: remove its rows`);
  }
  for (const r of results) {
    for (const d of r.modelDifferences) lines.push(`  ${r.probe} ${d.field}${r.unlisted.includes(d) ? '' : ' (listed)'}:\n    real:  ${short(d.expected)}\n    model: ${short(d.actual)}`);
    for (const d of r.recordingDifferences ?? []) lines.push(`  ${r.probe} ${d.field} (recording):\n    recorded: ${short(d.expected)}\n    now:      ${short(d.actual)}`);
  }
  return lines.join('\n');
}
