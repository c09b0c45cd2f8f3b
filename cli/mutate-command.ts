import { resolve } from 'node:path';
import { formatScenarioMutations, formatScores, mutationScores, runMutations, type ScenarioMutations } from '../check/mutations.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import type { CliIo } from './commands.js';
import { EXIT } from './exit.js';

/**
 * `mqsim mutate FILE...`: runs each file's `mutations:` and prints, per scenario and mutant,
 * whether the mutant was caught (an expectation failed), then the score per system.
 * Exit 0 when every declared mutant is caught (and every declared known gap survives), 1 otherwise, 2 when a file or a mutation
 * is bad (a path not in the file, a mutant that does not validate, a scenario that fails unmutated).
 */
export interface MutateCommandOptions {
  json?: boolean;
  markdown?: boolean;
}

export function mutateCommand(files: string[], options: MutateCommandOptions, io: CliIo): number {
  const results: ScenarioMutations[] = [];
  let bad = false;
  for (const file of files) {
    let result: ScenarioMutations;
    try {
      result = runMutations(resolve(io.cwd, file));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      for (const problem of error.problems) io.stderr(`${formatProblem({ ...problem, file })}\n`);
      bad = true;
      continue;
    }
    result = { ...result, file };
    results.push(result);
    if (result.problem || result.mutants.some((m) => m.status === 'invalid' || m.status === 'error')) bad = true;
    if (!options.json) io.stdout(formatScenarioMutations(result));
  }
  const scores = mutationScores(results);
  if (options.json) io.stdout(JSON.stringify({ scenarios: results, scores }, null, 2) + '\n');
  else io.stdout('\nmutation score (caught / mutants) per system:\n' + formatScores(scores, options.markdown));
  if (bad) return EXIT.usage;
  // A declared known gap is expected to survive; one that is caught now is stale.
  const unexpected = results.some((r) => r.mutants.some((m) => (m.status === 'survived') !== (m.knownGap !== undefined)));
  return unexpected ? EXIT.expectationFailed : EXIT.ok;
}
