import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { main } from '../cli/main.js';
import type { CliIo } from '../cli/commands.js';

/**
 * One fuzz worker: runs mutated scenario files through the real command line (`main`), in
 * memory, one case per message, and answers with the exit code and the first line of stderr.
 * The parent bounds each case's time and this thread's heap.
 */
export interface FuzzTask {
  index: number;
  text: string;
  argv: string[];
}

export interface FuzzAnswer {
  index: number;
  code: number;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'mqsim-fuzz-'));
parentPort!.on('message', async (task: FuzzTask | null) => {
  if (task === null) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
  const file = join(dir, `case-${task.index}.yaml`);
  writeFileSync(file, task.text);
  let stderr = '';
  const io: CliIo = {
    stdout: () => {},
    stderr: (text) => {
      if (stderr.length < 4000) stderr += text;
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    cwd: dir,
    exitCode: 0,
  };
  let code: number;
  try {
    code = await main(task.argv.map((a) => (a === '{file}' ? file : a)), io);
  } catch (error) {
    // What the real entry point would report as an internal error (exit 3).
    code = 3;
    stderr += `internal error: ${(error as Error)?.stack ?? String(error)}`;
  }
  rmSync(file, { force: true });
  const answer: FuzzAnswer = { index: task.index, code, stderr };
  parentPort!.postMessage(answer);
});
