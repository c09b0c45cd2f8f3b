import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * README's "where a mechanism lives" table is a promise to newcomers: each row's file exists
 * and holds the mechanism (the `look for` text), so a move or a rename that breaks the map
 * fails here instead of misleading a reader.
 */
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Layout'));
const rows = [...section.matchAll(/^\| ([^|]+) \| ((?:`[^`]+`(?:, )?)+) \| ((?:`[^`]+`(?:, )?)+) \|$/gm)].map((m) => ({
  mechanism: m[1]!.trim(),
  files: [...m[2]!.matchAll(/`([^`]+)`/g)].map((f) => f[1]!),
  needles: [...m[3]!.matchAll(/`([^`]+)`/g)].map((f) => f[1]!),
}));

describe('README: where a mechanism lives', () => {
  it('the table lists the mechanisms a newcomer asks for', () => {
    expect(rows.length).toBeGreaterThanOrEqual(13);
  });

  it.each(rows.map((r) => [r.mechanism, r] as const))('%s', (_mechanism, row) => {
    row.files.forEach((file, i) => {
      const path = join(REPO_ROOT, file);
      expect(existsSync(path), file).toBe(true);
      expect(readFileSync(path, 'utf8'), `${file} should hold ${row.needles[i] ?? row.needles[0]}`).toContain(row.needles[i] ?? row.needles[0]!);
    });
  });
});
