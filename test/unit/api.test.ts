import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mqsim from '../../index.js';
import { REPO_ROOT } from '../../scripts/golden.js';

describe('the package root API', () => {
  it('loads a scenario from a path or from text and simulates it', () => {
    const fromPath = mqsim.loadScenario(join(REPO_ROOT, 'scenarios/demo/steady-state.yaml'));
    const result = mqsim.simulate(fromPath, { seed: 3 });
    expect(result.seed).toBe(3);
    expect(result.counts.lostAcked).toBe(0);
    const text = 'name: inline\nsystem: demo\nduration: 2s\nworkload:\n  producers: [{ id: p1, rate: 10/s }]\n  consumers: [{ group: g }]\n';
    const inline = mqsim.simulate(mqsim.loadScenario(text));
    expect(inline.scenario).toBe('inline');
    expect(inline.counts.sent).toBe(20);
    expect(inline.counts.delivered).toBe(20);
  });

  it('throws ScenarioError with problems for a bad scenario', () => {
    expect(() => mqsim.loadScenario('name: x\nsystem: nope\nduration: 1s\n')).toThrow(mqsim.ScenarioError);
  });

  it('exposes the kernel for hand-built simulations', () => {
    const world = new mqsim.World({ seed: 1 });
    const seen: string[] = [];
    world.addNode('a', () => ({ start(ctx) { ctx.send('b', { type: 'Hello' }); }, receive() {} }));
    world.addNode('b', () => ({ start() {}, receive(from, message) { seen.push(`${from}:${message.type}`); } }));
    world.run({ duration: 1_000_000, drain: 0 });
    expect(seen).toEqual(['a:Hello']);
    expect(mqsim.parseDuration('1m')).toBe(60_000_000);
    expect(mqsim.systemNames()).toContain('demo');
  });
});
