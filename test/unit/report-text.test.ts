import { describe, expect, it } from 'vitest';
import { explainExample, formatRunText } from '../../reports/text.js';
import type { RunResult } from '../../sim/result.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/golden.js';

function resultWith(faults: RunResult['faults'], notes: RunResult['notes']): RunResult {
  return { faults, notes } as RunResult;
}

describe('anomaly explanations', () => {
  const faults: RunResult['faults'] = [
    { at: 1_000_000, kind: 'crash', targets: ['b2'], description: 'crash b2' },
    { at: 10_000_000, kind: 'kill', targets: ['b1'], description: 'kill b1 (restart after 3s)' },
    { at: 20_000_000, kind: 'liveness', targets: [], description: 'liveness phase' },
  ];
  const notes: RunResult['notes'] = [
    { at: 13_000_000, node: 'b1', what: 'log-truncated', detail: { partition: 'orders-0', to: 12 } },
    { at: 14_000_000, node: 'b3', what: 'retry', detail: { msg: 'p1-5' } },
    { at: 15_000_000, node: 'b1', what: 'unrelated' },
  ];

  it('shows notes naming the message, faults on its broker, then nearby notes on it, in time order', () => {
    const lines = explainExample({ msg: 'p1-5', node: 'b1', process: 'p1', time: 5_000_000, ops: [], description: '' }, resultWith(faults, notes));
    expect(lines).toEqual([
      '10.000s kill b1 (restart after 3s)',
      '13.000s b1: log-truncated (partition=orders-0, to=12)',
      '14.000s b3: retry (msg=p1-5)',
    ]);
  });

  it('falls back to the faults nearest in time when nothing involves the example', () => {
    const lines = explainExample({ msg: 'p9-1', process: 'p9', time: 5_000_000, ops: [], description: '' }, resultWith(faults, []));
    expect(lines).toEqual(['1.000s crash b2', '10.000s kill b1 (restart after 3s)']);
  });
});

describe('text report', () => {
  const result = simulate(loadScenario(join(REPO_ROOT, 'scenarios/demo/ack-before-fsync-crash.yaml')));

  it('has every section and no colour codes when colour is off', () => {
    const text = formatRunText(result, { color: false });
    for (const section of ['cluster', 'faults', 'counts', 'latency', 'backlog', 'expectations', 'anomalies', 'lost-write']) expect(text).toContain(section);
    expect(text).not.toContain('\u001b[');
    expect(text).toContain(`trace ${result.traceHash}`);
  });

  it('colours PASS/FAIL and anomalies when colour is on', () => {
    const text = formatRunText(result, { color: true });
    expect(text).toContain('\u001b[32mPASS\u001b[0m');
  });
});
