import { it } from 'vitest';
import { stringify } from 'yaml';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { BASES } from '../key-coverage-cases.js';
import { merge, withValue } from '../key-coverage.js';
it('probe', () => {
  const b = merge(BASES.kafka!, { cluster: { config: { 'leader.imbalance.check.interval.seconds': 1, 'leader.imbalance.per.broker.percentage': 100 } }, faults: [{ at: '1s', crash: 'broker-1' }, { at: '2s', restart: 'broker-1' }] });
  const r = simulate(loadScenario(stringify(b)));
  console.log(JSON.stringify({ le: r.counts.leaderElections, isrE: r.counts.isrExpands, notes: [...new Set(r.notes.map((n) => n.what))] }));
});
