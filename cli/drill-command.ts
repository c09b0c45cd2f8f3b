import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { renderDrillHtml } from '../drill/html.js';
import { runDrill } from '../drill/engine.js';
import { answerProblem, playDrill, type DrillIo } from '../drill/terminal.js';
import { loadScenarioFile } from '../models/scenario.js';
import { checkOutputFile } from './outputs.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import { useColor, type CliIo } from './commands.js';
import { EXIT, UsageError } from './exit.js';

export interface DrillCommandOptions {
  answers?: string;
  nonInteractive?: boolean;
  /** Write the drill as a self-contained web page to this file instead of playing it in the terminal. */
  html?: string;
}

/**
 * `mqsim drill FILE`: the drill in the terminal, reading answers and commands from stdin.
 * With `--html FILE`, writes the drill's web page instead (the terminal drill does not run).
 */
export async function drillCommand(file: string, options: DrillCommandOptions, io: CliIo, stdin: NodeJS.ReadableStream): Promise<number> {
  checkOutputFile('--html', options.html, io.cwd);
  let run;
  try {
    run = runDrill(loadScenarioFile(resolve(io.cwd, file), { file }));
  } catch (error) {
    if (error instanceof ScenarioError) {
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (options.html !== undefined) {
    const out = resolve(io.cwd, options.html);
    try {
      writeFileSync(out, renderDrillHtml(run));
    } catch (error) {
      io.stderr(`mqsim drill: cannot write ${options.html}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    io.stdout(`wrote ${options.html}: ${run.spec.title} (${run.steps.length} steps; open it in a browser, it works offline)\n`);
    return EXIT.ok;
  }
  const answers = options.answers === undefined ? undefined : options.answers.split(',').map((a) => a.trim());
  // Scripted answers are checked before the drill starts: one that cannot be graded is a typo.
  const questions = run.steps.filter((step) => step.question);
  for (const [i, answer] of (answers ?? []).entries()) {
    const step = questions[i];
    if (!step) throw new UsageError(`--answers: ${answers!.length} answers, but the drill asks ${questions.length} question${questions.length === 1 ? '' : 's'}`);
    const problem = answerProblem(step, answer);
    if (problem) throw new UsageError(`--answers: answer ${i + 1} is "${answer}"; question ${i + 1} (step ${step.index + 1}): ${problem}`);
  }
  const interactive = !options.nonInteractive;
  const lines = interactive ? createInterface({ input: stdin, terminal: false }) : null;
  const pending: ((line: string | null) => void)[] = [];
  const buffered: (string | null)[] = [];
  lines?.on('line', (line) => (pending.length > 0 ? pending.shift()!(line) : buffered.push(line)));
  lines?.on('close', () => {
    buffered.push(null);
    while (pending.length > 0) pending.shift()!(null);
  });
  const drillIo: DrillIo = {
    write: (text) => io.stdout(text),
    color: useColor(io),
    width: io.columns ?? 80,
    readLine: (prompt) => {
      io.stdout(prompt);
      if (buffered.length > 0) {
        const line = buffered[0] === null ? null : buffered.shift()!;
        return Promise.resolve(line);
      }
      return new Promise((done) => pending.push(done));
    },
  };
  await playDrill(run, drillIo, { interactive, ...(answers ? { answers } : {}) });
  lines?.close();
  return EXIT.ok;
}
