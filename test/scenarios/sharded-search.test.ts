import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * The sharded search as people run it on engines they already have: a GitHub Actions matrix
 * (.github/workflows/mqsim-check-sharded.yml) and a Kubernetes Indexed Job
 * (deploy/kubernetes/). These tests read the files, check that their shard counts agree, and
 * run the very command lines they hold, here, with a small run count and a property known to
 * fail, so a broken command line, a wrong shard arithmetic or a merge that loses a
 * counterexample fails the test.
 */

/** A property that fails within a few runs (ack before fsync, crash loses the acked write). */
const FAILING = 'scenarios/properties/demo-ack-before-fsync.yaml';
const RUNS = '8';

function sh(shell: 'sh' | 'bash', script: string, env: Record<string, string>) {
  return spawnSync(shell, ['-c', script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
}

/** A bin folder whose `mqsim` is this checkout's CLI, as the image's global install is. */
function mqsimOnPath(): string {
  const bin = mkdtempSync(join(tmpdir(), 'mqsim-bin-'));
  const shim = join(bin, 'mqsim');
  writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(REPO_ROOT, 'dist', 'cli', 'main.js'))} "$@"\n`);
  chmodSync(shim, 0o755);
  return `${bin}:${process.env.PATH ?? ''}`;
}

function shardReports(dir: string) {
  return readdirSync(dir).filter((f) => /^shard-\d+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { shard?: unknown });
}

describe('sharded search on Kubernetes (Indexed Job)', () => {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy/kubernetes/mqsim-check-indexed-job.yaml'), 'utf8')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job');
  const container = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])) as Record<string, string>;
  const merge = parse(readFileSync(join(REPO_ROOT, 'deploy/kubernetes/mqsim-merge-job.yaml'), 'utf8'));

  it('is an Indexed Job whose completions, parallelism and SHARDS agree, searching a shipped property', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    expect(String(job.spec.completions)).toBe(env.SHARDS);
    expect(String(job.spec.parallelism)).toBe(env.SHARDS);
    expect(existsSync(join(REPO_ROOT, env.SCENARIO!))).toBe(true);
    const validate = spawnSync('node', ['dist/cli/main.js', 'validate', env.SCENARIO!], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(validate.status, validate.stderr).toBe(0);
    // Both Jobs share the volume the reports go through.
    const claim = (j: typeof job) => j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
    expect(claim(merge)).toBe(claim(job));
    expect(docs.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === claim(job))).toBe(true);
  });

  it('its pods\' command lines, one per JOB_COMPLETION_INDEX, then the merge Job find the counterexample', () => {
    const results = mkdtempSync(join(tmpdir(), 'mqsim-k8s-'));
    const PATH = mqsimOnPath();
    const shards = Number(env.SHARDS);
    for (let index = 0; index < shards; index++) {
      const run = sh('sh', container.args[0], { ...env, SCENARIO: FAILING, RUNS, RESULTS_DIR: results, JOB_COMPLETION_INDEX: String(index), PATH });
      expect(run.status, `pod ${index}: ${run.stderr}`).toBe(0);
    }
    const reports = shardReports(results);
    expect(reports.map((r) => JSON.stringify(r.shard)).sort()).toEqual(
      Array.from({ length: shards }, (_, i) => JSON.stringify({ index: i + 1, count: shards })).sort(),
    );
    const merged = sh('sh', merge.spec.template.spec.containers[0].args[0], { RESULTS_DIR: results, PATH });
    expect(merged.status, merged.stderr).toBe(1);
    expect(merged.stdout).toContain('FAILS');
    expect(readdirSync(join(results, 'counterexamples'))).toEqual(['counterexample-noLostAcked.yaml']);
  });
});

describe('sharded search on GitHub Actions (matrix)', () => {
  const workflow = parse(readFileSync(join(REPO_ROOT, '.github/workflows/mqsim-check-sharded.yml'), 'utf8'));
  const env = workflow.env as Record<string, string>;
  const steps = (job: string) => workflow.jobs[job].steps as { name?: string; run?: string }[];

  it('lists shards 1..SHARDS in its matrix and merges after every shard', () => {
    expect(workflow.jobs.shard.strategy.matrix.shard).toEqual(Array.from({ length: Number(env.SHARDS) }, (_, i) => i + 1));
    expect(workflow.jobs.shard.strategy['fail-fast']).toBe(false);
    expect(workflow.jobs.merge.needs).toBe('shard');
    expect(existsSync(join(REPO_ROOT, env.SCENARIO!))).toBe(true);
  });

  it('its shard steps and merge step, run here, give the counterexample', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-gha-'));
    const search = steps('shard').find((s) => s.name === 'search a slice of the runs')!.run!;
    for (const shard of workflow.jobs.shard.strategy.matrix.shard as number[]) {
      const script = search.replaceAll('${{ matrix.shard }}', String(shard)).replaceAll('"shard-', `"${dir}/shard-`);
      const run = sh('bash', script, { ...env, SCENARIO: FAILING, RUNS });
      expect(run.status, run.stderr).toBe(0);
    }
    expect(shardReports(dir)).toHaveLength(Number(env.SHARDS));
    const mergeStep = steps('merge').find((s) => s.name === 'one verdict from every slice')!.run!;
    const merged = sh('bash', `cd ${JSON.stringify(dir)} && ${mergeStep.replace('npx mqsim', `node ${JSON.stringify(join(REPO_ROOT, 'dist/cli/main.js'))}`)}`, {});
    expect(merged.status, merged.stderr).toBe(1);
    expect(readdirSync(join(dir, 'counterexamples'))).toEqual(['counterexample-noLostAcked.yaml']);
  });
});
