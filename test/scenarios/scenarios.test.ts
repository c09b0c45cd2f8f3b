import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadScenario, scenarioJsonSchema } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { readGoldenHashes, REPO_ROOT, runnableScenarios } from '../../scripts/golden.js';
import { scenarioFiles } from '../../cli/commands.js';
import { modelFor } from '../../models/index.js';
import { NOTES_DOC, notesDocument } from '../../scripts/notes-doc.js';

const files = runnableScenarios();

/** Runs a shipped file once and requires that it has expectations and that every one holds. */
function runAndCheckExpectations(path: string): ReturnType<typeof simulate> {
  const result = simulate(loadScenario(join(REPO_ROOT, path), { file: path }));
  const failed = result.expectations.filter((e) => !e.pass).map((e) => `${e.metric} ${e.op} ${e.value} (actual ${e.actual})`);
  expect(failed).toEqual([]);
  expect(result.expectations.length).toBeGreaterThan(0);
  return result;
}

describe('shipped scenarios', () => {
  it('there are scenarios to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('every scenario file under scenarios/ validates and starts with the schema line', () => {
    // Compare files (scenarios/compare/) are not scenarios: test/report-compare.test.ts validates them.
    for (const path of scenarioFiles(join(REPO_ROOT, 'scenarios')).filter((p) => !/[\\/]scenarios[\\/]compare[\\/]/.test(p))) {
      const firstLine = readFileSync(path, 'utf8').split('\n')[0];
      expect(firstLine, path).toMatch(/^# yaml-language-server: \$schema=(\.\.\/)+mqsim\.schema\.json$/);
      expect(loadScenario(path).name).toBeTruthy();
    }
  });

  it('the committed JSON Schema is the one the code generates (regenerate with: npx mqsim schema > scenarios/mqsim.schema.json)', () => {
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'scenarios', 'mqsim.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });

  it('docs/trace-notes.md is the one the note catalogues give (regenerate with: npm run docs:notes)', () => {
    expect(readFileSync(NOTES_DOC, 'utf8')).toBe(notesDocument());
  });

  const golden = readGoldenHashes();
  it('the golden file lists exactly the shipped scenarios (npm run golden:update)', () => {
    expect(Object.keys(golden).sort()).toEqual([...files].sort());
  });

  describe.each(files)('%s', (path) => {
    it('runs, its expectations hold, and its trace hash is the golden one', () => {
      // Simulated once here; test/scenarios/determinism-sample.test.ts runs a sample again in another process.
      const result = runAndCheckExpectations(path);
      expect(result.traceHash, `trace hash of ${path} changed: if the change is intended, run npm run golden:update`).toBe(golden[path]);
      // Every note the run wrote is in its system's catalogue (models/<system>/notes.ts).
      const catalogue = modelFor(result.system)!.notes;
      expect([...new Set(result.notes.map((n) => n.what))].filter((what) => !Object.hasOwn(catalogue, what)), 'notes missing from the catalogue').toEqual([]);
    });
  });

  // A drill is a scenario too: its expect: is what the lesson claims (the loss it teaches, the stuck
  // LSO), so a model change that quietly removes the lesson must fail here, not in a classroom.
  const drills = scenarioFiles(join(REPO_ROOT, 'scenarios', 'drills')).map((path) => relative(REPO_ROOT, path));
  describe.each(drills)('%s', (path) => {
    it('runs and the expectations its lesson rests on hold', () => {
      runAndCheckExpectations(path);
    });
  });
});
