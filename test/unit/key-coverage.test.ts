import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemNames } from '../../models/index.js';
import { CASES, DOC_ONLY, OTHER_COMMANDS } from '../key-coverage-cases.js';
import { schemaKeys } from '../key-coverage.js';

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

