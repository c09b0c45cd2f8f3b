import { it } from 'vitest';
import { demoModel, type DemoScenario } from '../models/demo/index.js';
import { scenarioSchema } from '../sim/scenario/schema.js';
import { World } from '../sim/world.js';
const schema = scenarioSchema(demoModel.parts);
function run(raw: any, seed = 1) {
  const s = schema.parse({ name: 't', system: 'demo', ...raw }) as DemoScenario;
  const world = new World({ seed, keepHistory: true });
  const model = demoModel.build(world, s);
  const r = world.run({ duration: s.duration, ...(s.faults ? { faults: s.faults } : {}) });
  return { c: r.check.counts, m: model.counts(), r, world, model };
}
it('probe', () => {
  let x = run({ duration: '10s', workload: { producers: [{ id: 'p1', rate: '50/s', outbox: { resendAfter: '1s' } }], consumers: [{}] }, faults: [{ at: '3s', partition: [['p1'], ['broker']] }, { at: '6s', heal: true }] });
  console.log('outbox', JSON.stringify(x.c));
  x = run({ duration: '10s', workload: { producers: [{ id: 'p1', rate: '50/s', queue: 'a' }, { id: 'p2', rate: '10/s', queue: 'b' }], consumers: [{ queue: 'a', stop: '3s', group: 'ga' }, { queue: 'b', group: 'gb', count: 3, idempotent: true, failureRate: 0.3, start: '2s' }] }, faults: [{ at: '4s', crash: 'broker' }, { at: '4500ms', restart: 'broker' }] });
  console.log('multi', JSON.stringify(x.c), x.model.describe().join('\n'), JSON.stringify(x.m));
  x = run({ duration: '15s', cluster: { config: { 'ack.after': 'receive' } }, workload: { producers: [{ id: 'p1', rate: '50/s' }], consumers: [{ processing: '2ms' }] }, faults: [{ at: '5s', kill: 'broker', for: '2s' }] });
  console.log('receive active', JSON.stringify(x.c));
  x = run({ duration: '15s', workload: { producers: [{ id: 'p1', rate: '50/s' }], consumers: [{ processing: '2ms' }] }, faults: [{ at: '5s', kill: 'broker', for: '2s' }] });
  console.log('fsync active', JSON.stringify(x.c));
  x = run({ duration: '10s', workload: { producers: [{ id: 'p1', rate: '50/s' }], consumers: [{ }] }, faults: [{ at: '3s', kill: 'p1', for: '1s' }] });
  console.log('producer crash', JSON.stringify(x.c));
  const t0 = Date.now();
  x = run({ duration: '100s', workload: { producers: [{ id: 'p1', rate: '2000/s', keys: 100 }], consumers: [{ count: 4, processing: '1ms' }] } });
  console.log('big', JSON.stringify(x.c), x.r.events, Date.now() - t0, 'ms');
});
