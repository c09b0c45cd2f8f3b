import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../scripts/fuzz.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * Issue #21's bounded runs, the slow half (the fast half is test/unit/hostile-input.test.ts):
 * memory that follows the model, not the message count, and mutated files that never end in an
 * internal error, a timeout or an exhausted heap.
 */
describe('bounded runs', () => {
  it('memory stays bounded with tracing off: 10,000,000 messages in a 512 MiB heap', () => {
    const result = spawnSync(process.execPath, ['--max-old-space-size=512', join(REPO_ROOT, 'dist/cli/main.js'), 'run', 'test/fixtures/memory-bounded-10m.yaml', '--json', '--max-messages', '20000000'], {
      cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.stderr).not.toMatch(/heap out of memory/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).counts.sent).toBe(10_000_000);
  }, 300_000);
});

describe('fuzz: mutated scenario files end in exit 0, 1 or 2, within time and memory', () => {
  it('200 seeded mutations of the shipped scenarios: no exit 3, no timeout, no heap exhaustion', async () => {
    const report = await runFuzz({ cases: 200, seed: 2026, workers: 2, heapMb: 384, caseMs: 60_000 });
    expect(report.findings.map((f) => `${f.outcome} ${f.base}: ${f.stderr.split('\n')[0]}`)).toEqual([]);
    expect(report.outcomes['exit 2']).toBeGreaterThan(0);
    expect(report.outcomes['exit 0'] + report.outcomes['exit 1']).toBeGreaterThan(0);
  }, 300_000);
});
