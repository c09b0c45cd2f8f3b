import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemNames } from '../../models/index.js';
import { CASES, DOC_ONLY, OTHER_COMMANDS } from '../key-coverage-cases.js';
import { REPO_ROOT } from '../../scripts/golden.js';
import { mutationEvidence, schemaKeys } from '../key-coverage.js';

/**
 * Issue #15, keys that validate but do nothing: the checks over every system. Each system's own
 * keys are run by test/unit/key-coverage-<system>.test.ts (test/key-coverage-suite.ts).
 */
describe('the allow-lists', () => {
  it('every system has its key-coverage test file', () => {
    const missing = systemNames().filter((s) => !existsSync(join(import.meta.dirname, `key-coverage-${s}.test.ts`)));
    expect(missing, 'add test/unit/key-coverage-<system>.test.ts calling keyCoverageSuite(<system>)').toEqual([]);
  });

  it('name keys some system\'s schema still has', () => {
    const labels = new Set(systemNames().flatMap((s) => schemaKeys(s).map((k) => k.label)));
    const roots = new Set([...labels].map((l) => l.split(/[/[{]/)[0]!));
    expect(Object.keys(DOC_ONLY).filter((l) => !labels.has(l)), 'DOC_ONLY keys no schema has').toEqual([]);
    expect(Object.keys(OTHER_COMMANDS).filter((r) => !roots.has(r)), 'OTHER_COMMANDS sections no schema has').toEqual([]);
    expect(Object.keys(CASES['*']!).filter((l) => !labels.has(l)), 'CASES[\'*\'] keys no schema has').toEqual([]);
  });
});

describe('the schema walker', () => {
  it('reaches into config records, lists, union variants, distributions and fault kinds', () => {
    const labels = schemaKeys('kafka').map((k) => k.label);
    for (const label of [
      'workload/consumers[]/config/fetch.min.bytes', 'topics[]/config/unclean.leader.election.enable', 'faults[]{crash}/keepPageCache',
      'workload/consumers[]/errorHandling{mode=blocking}/attempts', 'network/latency{normal}/normal/min', 'workload/producers[]/keys{count}/zipf',
    ]) expect(labels).toContain(label);
  });

  it('reads a shipped mutant\'s dotted path as the key it sets', () => {
    const labels = schemaKeys('kafka').map((k) => k.label);
    const evidence = mutationEvidence('kafka', labels, [join(REPO_ROOT, 'scenarios', 'kafka', 'acks-1-leader-failover.yaml')]);
    expect(evidence.get('workload/producers[]/config/acks')).toMatch(/acks-1-leader-failover\.yaml: mutant "acks=all"/);
  });
});
