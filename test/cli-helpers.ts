import { resolve } from 'node:path';
import type { CliIo } from '../cli/commands.js';
import { main } from '../cli/main.js';

/** The repository's root, where the shipped scenarios are. */
export const CLI_ROOT = resolve(import.meta.dirname, '..');

/** Runs the CLI in-process, as from a pipe (no TTY, NO_COLOR), capturing what it prints. */
export async function mqsim(args: string[], cwd = CLI_ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stdoutIsTTY: false, stderrIsTTY: false, env: { NO_COLOR: '1' }, cwd, exitCode: 0 };
  return { code: await main(args, io), stdout, stderr };
}
