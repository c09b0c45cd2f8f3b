import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scenarioFiles } from '../cli/commands.js';
import { REPO_ROOT } from '../scripts/golden.js';
import { parseDuration } from '../sim/time.js';
import { BASES, CASES, DOC_ONLY, OTHER_COMMANDS, UNPROVEN, type Json, type KeyCase } from './key-coverage-cases.js';
import { merge, mutationEvidence, outcome, schemaKeys, withValue, type SchemaKey } from './key-coverage.js';

/**
 * The key-coverage suite of one system, run by test/unit/key-coverage-<system>.test.ts (a file per
 * system, so vitest runs them side by side). Issue #15: no key the scenario schema accepts may
 * validate and change nothing. Every key path of the system's schema (walked from the schema
 * itself, so a new key is found) is set to two or more values in a small scenario and the runs
 * must differ (trace hash or result); or a shipped scenario's caught mutant sets it; or it is
 * listed, with its reason, in test/key-coverage-cases.ts.
 */

const SHIPPED = ['kafka', 'rabbitmq', 'rocketmq', 'demo', 'drills'].flatMap((folder) => scenarioFiles(join(REPO_ROOT, 'scenarios', folder)));

/** A shipped scenario's data as written, without what a run does not read (expect:, the other commands' sections). */
function shipped(file: string): Json {
  const raw = parse(readFileSync(join(REPO_ROOT, 'scenarios', file), 'utf8')) as Json;
  for (const key of ['expect', ...Object.keys(OTHER_COMMANDS)]) delete raw[key];
  return raw;
}

/** The default a key's description states, e.g. "(default 30000)" or "default 60s". */
function statedDefault(description: string | undefined): string | undefined {
  return /default:? (-?[\d][\d,_]*(?:\.\d+)?(?:ms|us|s|m|h)?)\b/.exec(description ?? '')?.[1]?.replace(/[,_]/g, '');
}

/** Values to try for a key no case names: undefined when its kind has no generic change. */
export function genericValues(key: SchemaKey): unknown[] | undefined {
  const leaf = key.leaf;
  switch (leaf.kind) {
    case 'boolean': return [true, false];
    case 'enum': return leaf.values.length >= 2 ? leaf.values : undefined;
    case 'integer':
    case 'number': {
      const clamp = (n: number) => Math.min(leaf.max ?? Number.MAX_SAFE_INTEGER, Math.max(leaf.min ?? 1, n));
      const stated = statedDefault(key.description);
      const d = stated !== undefined && /^-?[\d.]+$/.test(stated) ? Number(stated) : undefined;
      if (d === undefined || d < 0) return [clamp(leaf.min ?? 1), clamp((leaf.min ?? 1) + 3)];
      const other = clamp(d <= 3 ? d + 3 : leaf.kind === 'integer' ? Math.floor(d / 10) : d / 10);
      return other === d ? undefined : [d, other];
    }
    case 'string':
    case 'duration': {
      // A duration whose key description replaced the value's is a string stating a default such as "default 30s".
      const stated = statedDefault(key.description);
      if (stated === undefined || !/[a-z]$/.test(stated)) return leaf.kind === 'duration' ? ['100ms', '1s'] : undefined;
      const micros = parseDuration(stated);
      return [stated, `${Math.max(1, Math.floor(micros / 10))}us`];
    }
    case 'size': return ['1KiB', '1MiB'];
    case 'rate': return ['20/s', '80/s'];
    default: return undefined;
  }
}

/** One key's runs, built when its test runs (a base without the entry a key needs fails that test only). */
interface Plan { key: SchemaKey; runs: () => Json[]; shown: unknown[]; refuses: boolean; rejected?: string | undefined }

function plans(system: string): { plans: Plan[]; uncovered: SchemaKey[]; keys: SchemaKey[]; byMutants: Map<string, string> } {
  const keys = schemaKeys(system);
  const byMutants = mutationEvidence(system, keys.map((k) => k.label), SHIPPED);
  const cases: Record<string, KeyCase> = { ...CASES['*'], ...CASES[system] };
  const out: Plan[] = [];
  const uncovered: SchemaKey[] = [];
  for (const key of keys) {
    // An object's keys are each covered; the object itself is their container.
    if (key.parent || Object.hasOwn(DOC_ONLY, key.label) || Object.hasOwn(OTHER_COMMANDS, key.label.split(/[/[{]/)[0]!)) continue;
    const c = cases[key.label];
    if (Object.hasOwn(UNPROVEN[system] ?? {}, key.label) && !c) continue;
    // A case of its own wins; else a shipped scenario's caught mutant is the evidence.
    if (!c && byMutants.has(key.label)) continue;
    const apply = (scenario: Json, set: Record<string, unknown>): Json =>
      Object.entries(set).reduce((s, [path, value]) => withValue(s, path.split('/').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), value), scenario);
    const start = (): Json => apply(merge(c?.from ? shipped(c.from) : BASES[system]!, c?.base ?? {}), c?.set ?? {});
    if (c?.sets) {
      const sets = c.sets;
      out.push({ key, runs: () => sets.map((set) => apply(start(), set)), shown: sets, refuses: c.refuses ?? false });
      continue;
    }
    if (c?.fragments) {
      const fragments = c.fragments;
      out.push({ key, runs: () => fragments.map((f) => merge(start(), f)), shown: fragments, refuses: c.refuses ?? false });
      continue;
    }
    const values = c?.values ?? genericValues(key);
    if (!values) {
      uncovered.push(key);
      continue;
    }
    out.push({ key, runs: () => { const base = start(); return values.map((v) => withValue(base, key.path, v)); }, shown: values, refuses: c?.refuses ?? false, rejected: c?.rejected });
  }
  return { plans: out, uncovered, keys, byMutants };
}

/** The tests of one system: every key covered, each case's runs differing. */
export function keyCoverageSuite(system: string): void {
describe(`${system}: every key the schema accepts changes the run`, () => {
  const { plans: runs, uncovered, keys, byMutants } = plans(system);

  it('every key is covered or allow-listed', () => {
    const hint = (k: SchemaKey) => `  ${k.label}: add to CASES.${system} in test/key-coverage-cases.ts a { base, values } whose runs differ, or to DOC_ONLY with the reason it cannot change a run`;
    if (uncovered.length > 0) throw new Error(`${uncovered.length} keys with no coverage:\n${uncovered.map(hint).join('\n')}`);
  });

  it('no key is both documentation only and changed by a shipped mutant', () => {
    expect([...byMutants.keys()].filter((label) => Object.hasOwn(DOC_ONLY, label))).toEqual([]);
  });

  it('every case names a key of the schema', () => {
    const labels = new Set(keys.map((k) => k.label));
    const stale = [...Object.keys(CASES[system] ?? {}), ...Object.keys(UNPROVEN[system] ?? {})].filter((label) => !labels.has(label));
    expect(stale, `CASES.${system} or UNPROVEN.${system} names keys the schema no longer has: remove them`).toEqual([]);
    const proven = Object.keys(UNPROVEN[system] ?? {}).filter((label) => Object.hasOwn(CASES[system] ?? {}, label));
    expect(proven, `these keys have a case now: take them out of UNPROVEN.${system}`).toEqual([]);
  });

  for (const [label, where] of Object.entries(UNPROVEN[system] ?? {})) it.todo(`${label}: no case yet (read in models/${system}/${where})`);

  it.each(runs.map((p) => [p.key.label, p] as const))('%s', (_label, plan) => {
    const runs = plan.runs();
    const results = runs.map(outcome);
    if (plan.rejected !== undefined) {
      // Rejected where it is set: refused at load (exit 2) with the problem at that key.
      const at = `.${plan.rejected}: `;
      expect(results.filter((r) => !(r.startsWith('refused:') && r.includes(at))), `${plan.key.label} is declared rejected: each run must be refused at ${plan.rejected}`).toEqual([]);
      return;
    }
    const refused = results.filter((r) => r.startsWith('refused:'));
    if (refused.length > 0 && !plan.refuses) throw new Error(`${plan.key.label}: a run of its case does not load, fix the case:\n${refused.join('\n')}`);
    for (let i = 0; i < results.length; i++) {
      for (let j = i + 1; j < results.length; j++) {
        expect(results[i] === results[j], `${plan.key.label}: ${JSON.stringify(plan.shown[i])} and ${JSON.stringify(plan.shown[j])} give the same run`).toBe(false);
      }
    }
  });
});
}
