import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { runDrill } from '../drill/engine.js';
import { playDrill, type DrillIo } from '../drill/terminal.js';
import { loadScenario } from '../models/scenario.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import type { CliIo } from './commands.js';
import { EXIT } from './exit.js';

export interface DrillCommandOptions {
  answers?: string;
  nonInteractive?: boolean;
}

/** `mqsim drill FILE`: the drill in the terminal, reading answers and commands from stdin. */
export async function drillCommand(file: string, options: DrillCommandOptions, io: CliIo, stdin: NodeJS.ReadableStream): Promise<number> {
  let run;
  try {
    run = runDrill(loadScenario(resolve(io.cwd, file), { file }));
  } catch (error) {
    if (error instanceof ScenarioError) {
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const answers = options.answers === undefined ? undefined : options.answers.split(',').map((a) => a.trim());
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
    color: io.stdoutIsTTY && !('NO_COLOR' in io.env) && io.env.TERM !== 'dumb',
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
