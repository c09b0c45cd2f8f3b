import { it } from 'vitest';
import { stringify } from 'yaml';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { BASES } from '../key-coverage-cases.js';
import { merge } from '../key-coverage.js';
it('probe', () => {
  const runs: [string, object][] = [
    ['imb0', { cluster: { config: { 'leader.imbalance.check.interval.seconds': 1, 'leader.imbalance.per.broker.percentage': 0 } }, faults: [{ at: '1s', kill: 'broker-1', for: '1s' }] }],
    ['imb100', { cluster: { config: { 'leader.imbalance.check.interval.seconds': 1, 'leader.imbalance.per.broker.percentage': 100 } }, faults: [{ at: '1s', kill: 'broker-1', for: '1s' }] }],
    ['uncleanT', { cluster: { config: { 'replica.lag.time.max.ms': 300, 'unclean.leader.election.enable': true } }, topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }], faults: [{ at: '1s', kill: 'broker-2', for: '2s' }, { at: '2s', kill: 'broker-1', for: '10s' }] }],
    ['uncleanF', { cluster: { config: { 'replica.lag.time.max.ms': 300, 'unclean.leader.election.enable': false } }, topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }], faults: [{ at: '1s', kill: 'broker-2', for: '2s' }, { at: '2s', kill: 'broker-1', for: '10s' }] }],
  ];
  for (const [name, patch] of runs) {
    const r = simulate(loadScenario(stringify(merge(BASES.kafka!, patch as never))));
    console.log(JSON.stringify({ name, h: r.traceHash, le: r.counts.leaderElections, ue: r.counts.uncleanElections, shr: r.counts.isrShrinks, exp: r.counts.isrExpands, lost: r.counts.lostAcked, off: r.counts.offlinePartitionsMax }));
  }
});
