// README "Library API for test authors": this file is the example, word for word between the
// markers (a test below compares them); it imports 'mqsim' as a user's project does.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe as describeReadme, expect as expectReadme, it as itReadme } from 'vitest';
// --- example start ---
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { faultSchedule, loadScenario, noLostAcked, runCheck, scenarioVariant, simulate, type RunResult } from 'mqsim';

// Your own configuration, as a scenario file (mqsim init writes a starter).
const mine = loadScenario('scenarios/properties/demo-ack-after-fsync.yaml');

describe('our broker settings', () => {
  it('lose no acknowledged message, whatever one crash, pause or partition does', () => {
    const variants = scenarioVariant(mine, {
      faults: faultSchedule({ nodes: ['broker', 'p1'], duration: '10s', maxFaults: 1, kinds: ['crash', 'pause', 'partition'] }),
    });
    fc.assert(
      fc.property(variants, (scenario) => {
        const result: RunResult = simulate(scenario);
        const verdict = noLostAcked(result);
        // On failure, fast-check shrinks the fault schedule and prints the smallest one.
        expect(verdict.ok ? '' : verdict.message).toBe('');
        expect(result.counts.lostAcked).toBe(0);
      }),
      { numRuns: 15, seed: 1 },
    );
  });

  it('holds under the search mqsim check runs (worker threads, shrinking, a counterexample file)', async () => {
    const report = await runCheck('scenarios/properties/demo-ack-after-fsync.yaml', { runs: 20, workers: 1 });
    expect(report.firstFailure).toBeNull();
    expect(report.counterexample).toBeNull();
  });
});
// --- example end ---

describeReadme('the README shows this example', () => {
  itReadme('word for word', () => {
    const here = readFileSync(import.meta.filename, 'utf8');
    const example = /\/\/ --- example start ---\n([\s\S]*?)\/\/ --- example end ---/.exec(here)![1]!;
    const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expectReadme(readme).toContain('```ts\n' + example + '```');
  });
});
