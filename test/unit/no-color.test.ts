import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/commands.js';
import { useColor } from '../../cli/commands.js';
import { main } from '../../cli/main.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function onTerminal(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stdoutIsTTY: true, stderrIsTTY: true, env, cwd: ROOT, exitCode: 0 };
  return { code: await main(args, io), stdout, stderr };
}

const SGR = /\u001b\[[0-9;]*m/;

describe('colour: on a terminal unless NO_COLOR or --no-color', () => {
  it('follows no-color.org: a non-empty NO_COLOR turns colour off, an empty one does not; TERM=dumb and --no-color too', () => {
    const io = { stdoutIsTTY: true, env: {} } as unknown as CliIo;
    expect(useColor(io)).toBe(true);
    expect(useColor({ ...io, env: { NO_COLOR: '1' } })).toBe(false);
    expect(useColor({ ...io, env: { NO_COLOR: '' } })).toBe(true);
    expect(useColor({ ...io, env: { TERM: 'dumb' } })).toBe(false);
    expect(useColor(io, { color: false })).toBe(false);
    expect(useColor({ ...io, stdoutIsTTY: false })).toBe(false);
  });

  it('mqsim run prints colour on a terminal, none with NO_COLOR or --no-color', async () => {
    const file = 'scenarios/demo/steady-state.yaml';
    expect((await onTerminal(['run', file], {})).stdout).toMatch(SGR);
    expect((await onTerminal(['run', file], { NO_COLOR: '1' })).stdout).not.toMatch(SGR);
    expect((await onTerminal(['run', file, '--no-color'], {})).stdout).not.toMatch(SGR);
    // --json: JSON only, no progress line on stderr either.
    const json = await onTerminal(['run', file, '--json'], {});
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stderr).toBe('');
  });
});
