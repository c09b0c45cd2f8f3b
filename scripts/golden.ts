import '../scenario-sections.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { scenarioFiles } from '../cli/commands.js';

/**
 * Golden trace hashes: every runnable scenario under scenarios/ and the hash of its run. A
 * model change that changes behaviour changes a hash; `npm run golden:update` rewrites the file
 * so the change is a reviewed diff.
 */
export const REPO_ROOT = findRoot();
export const GOLDEN_FILE = join(REPO_ROOT, 'test', 'golden', 'trace-hashes.json');

function findRoot(): string {
  // Works from the sources (scripts/) and from the build (dist/scripts/).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'mqsim') return dir;
    } catch {
      // not here
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the mqsim repository root');
}

/** Scenario files that `mqsim run` runs (compare, drill and property files have their own commands). */
export function runnableScenarios(): string[] {
  return scenarioFiles(join(REPO_ROOT, 'scenarios'))
    .map((path) => relative(REPO_ROOT, path))
    .filter((path) => !/^scenarios\/(compare|drills|properties)\//.test(path));
}

export function computeGoldenHashes(): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const path of runnableScenarios()) hashes[path] = simulate(loadScenario(join(REPO_ROOT, path), { file: path })).traceHash;
  return hashes;
}

export function readGoldenHashes(): Record<string, string> {
  return JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Record<string, string>;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const hashes = computeGoldenHashes();
  writeFileSync(GOLDEN_FILE, JSON.stringify(hashes, null, 2) + '\n');
  console.log(`wrote ${Object.keys(hashes).length} trace hashes to ${relative(process.cwd(), GOLDEN_FILE)}`);
}
