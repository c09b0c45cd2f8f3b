import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * conformance/DIVERGENCES.md: the model's accepted disagreements with a real broker, one table
 * row each: system, probe, field (an outcome field, or * for the whole probe), real, model, and
 * why it is accepted or when it will be fixed. A disagreement not listed fails
 * `npm run conformance` and the conformance test.
 */

export interface Divergence {
  readonly system: string;
  readonly probe: string;
  readonly field: string;
  readonly why: string;
}

/** The repository root (where package.json is), from the source tree or from dist/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('conformance: repository root not found');
    dir = up;
  }
  return dir;
}

export function conformanceDir(): string {
  return join(repoRoot(), 'conformance');
}

export function parseDivergences(text: string): Divergence[] {
  const rows: Divergence[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, ''));
    if (cells.length < 6 || cells[0] === 'system' || /^-+$/.test(cells[0]!)) continue;
    rows.push({ system: cells[0]!, probe: cells[1]!, field: cells[2]!, why: cells[5]! });
  }
  return rows;
}

export function loadDivergences(): Divergence[] {
  const file = join(conformanceDir(), 'DIVERGENCES.md');
  return existsSync(file) ? parseDivergences(readFileSync(file, 'utf8')) : [];
}

/** Is this model disagreement listed? */
export function isListed(divergences: readonly Divergence[], system: string, probe: string, field: string): boolean {
  return divergences.some((d) => d.system === system && d.probe === probe && (d.field === '*' || d.field === field));
}
