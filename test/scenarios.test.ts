import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { readGoldenHashes, REPO_ROOT, runnableScenarios } from '../scripts/golden.js';
import { scenarioFiles } from '../cli/commands.js';

const files = runnableScenarios();

describe('shipped scenarios', () => {
  it('there are scenarios to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('every scenario file under scenarios/ validates and starts with the schema line', () => {
    for (const path of scenarioFiles(join(REPO_ROOT, 'scenarios'))) {
      const text = loadScenario(path);
      expect(text.name).toBeTruthy();
    }
  });

  const golden = readGoldenHashes();
  it('the golden file lists exactly the shipped scenarios (npm run golden:update)', () => {
    expect(Object.keys(golden).sort()).toEqual([...files].sort());
  });

  describe.each(files)('%s', (path) => {
    it('runs, its expectations hold, and its trace hash is the golden one', () => {
      const result = simulate(loadScenario(join(REPO_ROOT, path), { file: path }), { checkDeterminism: true });
      const failed = result.expectations.filter((e) => !e.pass).map((e) => `${e.metric} ${e.op} ${e.value} (actual ${e.actual})`);
      expect(failed).toEqual([]);
      expect(result.expectations.length).toBeGreaterThan(0);
      expect(result.traceHash, `trace hash of ${path} changed: if the change is intended, run npm run golden:update`).toBe(golden[path]);
    });
  });
});
