import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/golden.js';

/** The built CLI (npm test builds before vitest runs), run as a real child process. */
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const STEADY = 'scenarios/demo/steady-state.yaml';
const CRASH = 'scenarios/demo/ack-before-fsync-crash.yaml';

function mqsim(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('mqsim CLI (child process)', () => {
  it('run --json prints one result object with the documented fields and nothing else', () => {
    const { code, stdout } = mqsim(['run', STEADY, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    for (const field of ['scenario', 'system', 'seed', 'duration', 'drain', 'virtualTime', 'traceHash', 'events', 'counts', 'latency', 'backlog', 'expectations', 'passed', 'faults']) {
      expect(result, field).toHaveProperty(field);
    }
    for (const count of ['sent', 'acked', 'delivered', 'lostAcked', 'duplicateDeliveries', 'reorders']) expect(result.counts).toHaveProperty(count);
    for (const p of ['p50', 'p99', 'p999', 'max']) expect(result.latency).toHaveProperty(p);
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the same seed gives the same trace hash in two separate processes; another seed a different one', () => {
    const hash = (seed: string) => JSON.parse(mqsim(['run', CRASH, '--json', '--seed', seed]).stdout).traceHash as string;
    const first = hash('7');
    expect(hash('7')).toBe(first);
    expect(hash('8')).not.toBe(first);
  });

  it('human output shows the fault timeline, counts, expectations and anomalies, without colour under NO_COLOR', () => {
    const { code, stdout } = mqsim(['run', CRASH]);
    expect(code).toBe(0);
    expect(stdout).toContain('faults');
    expect(stdout).toMatch(/crash broker|kill broker/);
    expect(stdout).toContain('lostAcked');
    expect(stdout).toContain('PASS');
    expect(stdout).toContain('lost-write');
    expect(stdout).not.toContain('\u001b[');
  });

  it('exits 1 when an expectation fails', () => {
    const text = readFileSync(join(REPO_ROOT, STEADY), 'utf8').replace(/expect:[\s\S]*$/, 'expect:\n  lostAcked: "> 0"\n');
    const { code, stdout } = mqsim(['run', tempFile('fails.yaml', text)]);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL lostAcked > 0');
  });

  it('exits 2 on a bad file, with file:line:column, and runs nothing', () => {
    const bad = tempFile('bad.yaml', 'name: x\nsystem: demo\nduration: 10s\nworkload:\n  producers:\n    - { id: p1, rat: 10/s }\n');
    const { code, stdout, stderr } = mqsim(['run', STEADY, bad]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/bad\.yaml:6:17: workload\.producers\[0\]\.rat: unknown key "rat" \(did you mean "rate"\?\)/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 before running when the scenario\'s own limits cannot hold (maxEvents below the messages it sends)', () => {
    const text = readFileSync(join(REPO_ROOT, STEADY), 'utf8').replace('drain: 5s', 'drain: 5s\nlimits: { maxEvents: 500 }');
    const { code, stdout, stderr } = mqsim(['run', tempFile('runaway.yaml', text)]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/runaway\.yaml:\d+:\d+: limits\.maxEvents: maxEvents 500 is below the 4000 messages the producers send/);
  });

  it('exits 2 (the user\'s budget, not a bug) when a run reaches its own limits.maxEvents, naming the limit to raise', () => {
    const text = readFileSync(join(REPO_ROOT, STEADY), 'utf8').replace('drain: 5s', 'drain: 5s\nlimits: { maxEvents: 5000 }');
    const { code, stderr } = mqsim(['run', tempFile('runaway.yaml', text)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/more than 5000 events/);
    expect(stderr).toMatch(/raise limits\.maxEvents/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on bad usage', () => {
    expect(mqsim(['run']).code).toBe(2);
    expect(mqsim(['frobnicate']).code).toBe(2);
    expect(mqsim(['run', STEADY, '--until', 'soon']).code).toBe(2);
  });

  it('--trace writes JSON lines whose records carry the run', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mqsim-trace-')), 'run.jsonl');
    const { code } = mqsim(['run', CRASH, '--quiet', '--trace', out]);
    expect(code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(100);
    expect(lines[0]).toHaveProperty('t');
    expect(lines.some((l) => l.kind === 'fault')).toBe(true);
    expect(lines.some((l) => l.kind === 'net.send' && l.type === 'Produce')).toBe(true);
  });

  it('--until stops the run early', () => {
    const result = JSON.parse(mqsim(['run', STEADY, '--json', '--until', '3s']).stdout);
    expect(result.virtualTime).toBe(3_000_000);
  });

  it('validate, list and schema work; every command has --help with an example', () => {
    expect(mqsim(['validate', STEADY]).stdout).toContain('ok');
    expect(mqsim(['list', 'scenarios/demo']).stdout).toContain('steady-state.yaml');
    const schema = JSON.parse(mqsim(['schema']).stdout);
    expect(schema.oneOf.length).toBeGreaterThan(0);
    for (const command of ['run', 'validate', 'list', 'schema']) {
      const help = mqsim([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Example:');
    }
  });

  it('is reachable as `npx mqsim` from the package', () => {
    const out = execFileSync('npx', ['--no-install', 'mqsim', '--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('0.1.0');
  });
});
