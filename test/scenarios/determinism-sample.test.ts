import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGoldenHashes, REPO_ROOT, runnableScenarios } from '../../scripts/golden.js';

/**
 * Determinism of the shipped scenarios, across processes: every fifth scenario (a fixed sample
 * that covers every system) is run by the built CLI in a separate process with
 * --check-determinism (twice there, failing at the first differing event), and its trace hash
 * must be the golden one this process's test/scenarios/scenarios.test.ts checks. Each scenario
 * is simulated once for its golden; only the sample runs again.
 */
const sample = runnableScenarios().filter((_, i) => i % 5 === 0);

describe('determinism across processes (a sample of the shipped scenarios)', () => {
  it('the sample covers every system', () => {
    for (const system of ['demo', 'kafka', 'rabbitmq', 'rocketmq']) {
      expect(sample.some((path) => path.includes(`/${system}/`) || path.includes(`/${system}-`)), system).toBe(true);
    }
  });

  it('runs twice in another process with the same events, and gives the golden trace hashes', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'run', ...sample, '--check-determinism', '--json'], {
      cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    });
    expect(result.stderr).toBe('');
    const results = JSON.parse(result.stdout) as { traceHash: string }[];
    const golden = readGoldenHashes();
    expect(results.map((r) => r.traceHash)).toEqual(sample.map((path) => golden[path]));
  }, 300_000);
});
