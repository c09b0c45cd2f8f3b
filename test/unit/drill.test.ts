import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../cli/commands.js';
import { runDrill, snapshotAt } from '../../drill/engine.js';
import { playDrill, type DrillIo } from '../../drill/terminal.js';
import { loadScenario } from '../../models/scenario.js';
import { ScenarioError } from '../../sim/scenario/load.js';
import { REPO_ROOT } from '../../scripts/golden.js';

const drills = scenarioFiles(join(REPO_ROOT, 'scenarios', 'drills'));

function scriptedIo(): DrillIo & { text: () => string } {
  let out = '';
  return { write: (t) => { out += t; }, readLine: async () => null, color: false, text: () => out };
}

describe('shipped drills', () => {
  it('there are drills', () => expect(drills.length).toBeGreaterThan(0));

  describe.each(drills.map((d) => [d.slice(REPO_ROOT.length + 1)]))('%s', (path) => {
    const run = runDrill(loadScenario(join(REPO_ROOT, path)));

    it('every step fires during the run', () => {
      expect(run.steps.filter((s) => !s.fired).map((s) => s.title)).toEqual([]);
    });

    it('scores full marks with the right answers and none with wrong ones', async () => {
      const right = run.steps.filter((s) => s.question).map((s) => String(s.question!.answer));
      const wrong = run.steps.filter((s) => s.question).map((s) => String(s.question!.answer + 1000));
      expect(right.length).toBeGreaterThan(0);
      const good = await playDrill(run, scriptedIo(), { interactive: false, answers: right });
      expect(good).toMatchObject({ right: right.length, questions: right.length });
      const bad = await playDrill(run, scriptedIo(), { interactive: false, answers: wrong });
      expect(bad.right).toBe(0);
    });

    it('fills every fact: no {{...}} left and no "n/a"', async () => {
      const io = scriptedIo();
      await playDrill(run, io, { interactive: false });
      expect(io.text()).not.toMatch(/\{\{|n\/a/);
    });
  });
});

describe('drill engine', () => {
  const run = runDrill(loadScenario(join(REPO_ROOT, 'scenarios/drills/demo-ack-before-fsync.yaml')));

  it('rebuilds the cluster at any instant from the trace: the broker is down during the crash, up after', () => {
    expect(snapshotAt(run, 9_000_000).nodes.find((n) => n.name === 'broker')!.status).toBe('up');
    expect(snapshotAt(run, 11_000_000).nodes.find((n) => n.name === 'broker')!.status).toBe('down');
    expect(snapshotAt(run, 14_000_000).nodes.find((n) => n.name === 'broker')!.status).toBe('up');
    expect(snapshotAt(run, 10_000_000).events.some((e) => e.includes('nemesis: crash broker'))).toBe(true);
  });

  it('places `when:` steps at the first matching record and fills facts from the run', () => {
    expect(run.steps.map((s) => s.time)).toEqual([5_000_000, 10_000_000, 20_000_000]);
    expect(run.steps[2]!.question!.answer).toBe(run.result.counts.lostAcked);
    expect(run.steps[1]!.explanation).toContain('found 0 records');
  });

  it('refuses unknown conditions and facts with their file positions', () => {
    const text = `name: d\nsystem: demo\nduration: 5s\ndrill:\n  title: t\n  goals: [g]\n  steps:\n    - when: leader-changd orders-0\n      narration: "x {{cont lostAcked}}"\n`;
    try {
      runDrill(loadScenario(text));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      const messages = (error as ScenarioError).problems.map((p) => `${p.path}: ${p.message}`);
      expect(messages[0]).toMatch(/^drill\.steps\[0\]\.when: unknown condition "leader-changd"/);
      expect(messages[1]).toMatch(/^drill\.steps\[0\]\.narration: unknown fact "\{\{cont lostAcked\}\}"/);
    }
  });
});

describe('mqsim drill in a child process', () => {
  it('runs a whole drill from stdin: answers, back, jump, next, and a score', () => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/cli/main.js'), 'drill', 'scenarios/drills/demo-consumer-crash.yaml'], {
      cwd: REPO_ROOT, encoding: 'utf8', input: '2\nn\nb\nn\nj 9s\nn\n3\nq\n', env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Right.');
    expect(result.stdout).toContain('(answered: 2, right)');
    expect(result.stdout).toContain('== 9.000s ==');
    expect(result.stdout).toMatch(/Score: 1\/2/);
    expect(result.stdout).not.toContain('\u001b[');
  });
});
