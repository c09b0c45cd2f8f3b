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

  it('mqsim compare --seeds shows its runs on a terminal\'s stderr (variants x seeds, rate, ETA), never with --json or on a pipe', async () => {
    const file = 'scenarios/compare/demo-ack-modes.yaml';
    const shown = await onTerminal(['compare', file, '--seeds', '2'], {});
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/\] \d+\/\d+ runs, [\d.]+ runs\/s, ETA/);
    expect(shown.stderr).not.toMatch(/failing/);
    const last = /(\d+)\/(\d+) runs/g;
    const counts = [...shown.stderr.matchAll(last)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(counts.at(-1)![0]).toBe(counts.at(-1)![1]);
    expect((await onTerminal(['compare', file, '--seeds', '2', '--json'], {})).stderr).toBe('');
    let stderr = '';
    const pipe: CliIo = { stdout: () => {}, stderr: (s) => { stderr += s; }, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: ROOT, exitCode: 0 };
    expect(await main(['compare', file, '--seeds', '2'], pipe)).toBe(0);
    expect(stderr).toBe('');
  });
});
