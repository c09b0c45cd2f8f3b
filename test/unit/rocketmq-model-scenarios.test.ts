import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';

/**
 * Every shipped RocketMQ scenario runs twice with the same trace (determinism) and its `expect:`
 * holds. The golden trace hashes are checked by scenarios.test.ts.
 */
const DIR = join(import.meta.dirname, '..', '..', 'scenarios', 'rocketmq');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('RocketMQ scenarios', () => {
  it.each(files)('%s: its expectations hold', (file) => {
    const result = simulate(loadScenario(join(DIR, file)), { checkDeterminism: true });
    if (process.env['MQSIM_SHOW']) {
      const c = result.counts as Record<string, number>;
      const keys = Object.keys(c).filter((k) => c[k] !== 0 && !/^(latency|network|events|virtual)/.test(k));
      console.log(file, result.events, JSON.stringify(Object.fromEntries(keys.map((k) => [k, c[k]]))), JSON.stringify(result.delay), 'latency.max', result.latency.max);
    }
    const failed = result.expectations.filter((e) => !e.pass).map((e) => `${e.metric} ${e.op} ${e.value} (actual ${e.actual})`);
    expect(failed).toEqual([]);
  });
});
