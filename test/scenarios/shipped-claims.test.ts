import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../check/index.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * Every shipped claim (scenarios/properties/) keeps the verdict its description states and
 * README reports: a "fails" claim finds its counterexample within its explore.runs from the
 * default seed (shrinking is left to check.test.ts and bench:check: for the 60-second Kafka
 * claims it costs a minute each); a "holds" claim survives a sample of runs here (its full
 * 1,000 run in `npm run bench:check`, which would take minutes in CI).
 */
const DIR = join(REPO_ROOT, 'scenarios/properties');
const HOLDS_SAMPLE = 20;

const claims = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort().map((name) => {
  const verdict = /Claim \((holds|fails)\)/.exec(readFileSync(join(DIR, name), 'utf8'))?.[1];
  return { name, verdict };
});

describe('shipped claims', () => {
  it('every claim states its verdict as "Claim (holds)" or "Claim (fails)" in its description', () => {
    expect(claims.filter((c) => c.verdict === undefined).map((c) => c.name)).toEqual([]);
  });

  for (const { name } of claims.filter((c) => c.verdict === 'fails')) {
    it(`${name}: fails within its explore.runs from the default seed`, async () => {
      const report = await runCheck(join(DIR, name), { shrink: false });
      expect(report.firstFailure, `${name} should fail within ${report.runs} runs`).not.toBeNull();
    }, 120_000);
  }

  for (const { name } of claims.filter((c) => c.verdict === 'holds')) {
    it(`${name}: holds over ${HOLDS_SAMPLE} runs`, async () => {
      const report = await runCheck(join(DIR, name), { runs: HOLDS_SAMPLE, workers: 2 });
      expect(report.counterexample?.faults ?? null, report.counterexample?.message).toBeNull();
      expect(report.runsDone).toBe(HOLDS_SAMPLE);
    }, 120_000);
  }
});
