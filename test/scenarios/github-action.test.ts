import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expandGlob, mergeJunit, readInputs } from '../../scripts/github-action.js';
import { parseScenario } from '../../models/scenario.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'dist', 'scripts', 'github-action.js');

interface ActionYaml {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; steps: { run?: string; uses?: string; env?: Record<string, string>; id?: string; with?: Record<string, string> }[] };
}

/** Runs the action's script as its step does: the inputs as INPUT_* variables, in a workspace. */
function runStep(workspace: string, inputs: Record<string, string>) {
  const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYaml;
  const step = action.runs.steps.find((s) => s.id === 'mqsim')!;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: join(workspace, 'github-output.txt') };
  // Each env entry of the step is ${{ inputs.<name> }}: given or the input's default.
  for (const [name, value] of Object.entries(step.env!)) {
    const input = /^\$\{\{ inputs\.([\w-]+) \}\}$/.exec(value)![1]!;
    env[name] = inputs[input] ?? action.inputs[input]!.default ?? '';
  }
  const run = spawnSync(process.execPath, [SCRIPT], { cwd: workspace, env, encoding: 'utf8', timeout: 120_000 });
  const outputs = existsSync(env.GITHUB_OUTPUT!) ? Object.fromEntries(readFileSync(env.GITHUB_OUTPUT!, 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string])) : {};
  return { code: run.status, stdout: run.stdout + run.stderr, outputs };
}

describe('the GitHub Actions action (action.yml)', () => {
  it('is a composite action whose mqsim step runs the script with every input', () => {
    const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYaml;
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps.find((s) => s.id === 'mqsim')!;
    expect(step.run).toContain('dist/scripts/github-action.js');
    for (const input of ['command', 'files', 'junit', 'out', 'runs', 'seed', 'args']) {
      expect(action.inputs[input], input).toBeDefined();
      expect(step.env![`INPUT_${input.toUpperCase()}`]).toBe(`\${{ inputs.${input} }}`);
    }
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.with!.path).toContain('${{ inputs.junit }}');
    expect(upload.with!.path).toContain('${{ inputs.out }}');
  });

  it('check: writes one JUnit file and leaves each failing property\'s counterexample scenario for upload', () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mqsim-action-'));
    cpSync(join(ROOT, 'scenarios', 'properties'), join(workspace, 'props'), { recursive: true });
    const r = runStep(workspace, { files: 'props/demo-ack-*.yaml', runs: '20', args: '--workers 1' });
    expect(r.code, r.stdout).toBe(1);
    expect(r.outputs).toEqual({ junit: 'mqsim-results.xml', counterexamples: '1', 'exit-code': '1' });
    const xml = readFileSync(join(workspace, 'mqsim-results.xml'), 'utf8');
    expect(xml).toMatch(/<testsuites name="mqsim" tests="2" failures="1"/);
    const message = /<failure message="([^"]*)"/.exec(xml)![1]!;
    const file = /counterexample: (\S+\.yaml)$/.exec(message)![1]!;
    expect(file).toBe('mqsim-counterexamples/props_demo-ack-before-fsync/counterexample-noLostAcked.yaml');
    // The counterexample is a scenario that mqsim runs.
    const scenario = parseScenario(readFileSync(join(workspace, file), 'utf8'), file);
    expect(scenario.system).toBe('demo');
    expect(existsSync(join(workspace, 'mqsim-counterexamples', '.junit'))).toBe(false);
  });

  it('run: one case per scenario; bad inputs exit 2 with the reason', () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mqsim-action-'));
    cpSync(join(ROOT, 'scenarios', 'demo'), join(workspace, 'demo'), { recursive: true });
    const r = runStep(workspace, { command: 'run', files: 'demo/steady-state.yaml\ndemo/ack-after-fsync-crash.yaml', junit: 'out/results.xml' });
    expect(r.code, r.stdout).toBe(0);
    const xml = readFileSync(join(workspace, 'out', 'results.xml'), 'utf8');
    expect(xml).toMatch(/tests="2" failures="0"/);
    expect(r.outputs['counterexamples']).toBe('0');
    const bad = runStep(workspace, { command: 'explode', files: 'demo/steady-state.yaml' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('input command: "check" or "run"');
    const none = runStep(workspace, { command: 'run', files: 'nothing/*.yaml' });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('no file matches nothing/*.yaml');
  });

  it('reads inputs, expands globs and merges JUnit documents', () => {
    expect(readInputs({ INPUT_FILES: ' a.yaml\n b.yaml ', INPUT_COMMAND: '' })).toMatchObject({ command: 'check', files: ['a.yaml', 'b.yaml'], junit: 'mqsim-results.xml', out: 'mqsim-counterexamples', args: [] });
    expect(expandGlob('scenarios/demo/*-crash.yaml', ROOT)).toEqual(['scenarios/demo/ack-after-fsync-crash.yaml', 'scenarios/demo/ack-before-fsync-crash.yaml']);
    expect(expandGlob('scenarios/**/steady-state.yaml', ROOT)).toEqual(['scenarios/demo/steady-state.yaml']);
    const doc = (name: string, failures: number) => `<?xml version="1.0"?>\n<testsuites>\n  <testsuite name="${name}" tests="2" failures="${failures}" errors="0" skipped="0">\n  </testsuite>\n</testsuites>\n`;
    expect(mergeJunit([doc('a', 1), doc('b', 0)])).toMatch(/<testsuites name="mqsim" tests="4" failures="1" errors="0">\n  <testsuite name="a"[\s\S]*<testsuite name="b"/);
  });
});
