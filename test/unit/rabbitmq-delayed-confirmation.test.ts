import { describe, expect, it } from 'vitest';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { checkContent, CHECK_TYPE, confirmationContent, CONFIRM_TYPE, type DelayedConfirmationOptions } from '../../models/rabbitmq/patterns/delayed-confirmation.js';
import type { Content } from '../../models/rabbitmq/protocol.js';
import { parseScenario } from '../../models/scenario.js';
import { ScenarioError } from '../../sim/scenario/load.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';

/**
 * The delayed-confirmation pattern (models/rabbitmq/patterns/delayed-confirmation.ts): the check
 * and confirmation messages, and whole runs where the callback service does (or need not do) its job.
 */

const schema = scenarioSchema(rabbitmqModel.parts);

function run(raw: Record<string, unknown>, seed = 2) {
  const scenario = schema.parse({ name: 't', system: 'rabbitmq', ...raw }) as RabbitScenario;
  const world = new World({ seed, keepHistory: true });
  const model = rabbitmqModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  const result = world.run(options);
  return { world, counts: model.counts(), result };
}

const queues = [
  { name: 'orders', durable: true },
  { name: 'check.delay', durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'callback' } },
  { name: 'callback', durable: true },
];
const pattern = { checkRoutingKey: 'check.delay', checkDelay: '1s', callbackQueue: 'callback' };

describe('delayed confirmation: messages', () => {
  const main: Content = { properties: { deliveryMode: 2, messageId: 'p1-7', timestamp: 0 }, key: 'k', bytes: 300 };
  const options: DelayedConfirmationOptions = {
    checkExchange: '', checkRoutingKey: 'check.delay', checkDelay: 2_000_000, checkDelayBy: 'expiration', checkPersistent: undefined,
    callbackQueue: 'callback', maxResends: 3, service: 'p1-callback',
  };

  it('a check message copies the body, is typed and correlated, and carries its delay as expiration or x-delay', () => {
    const byTtl = checkContent(main, 2, options, 5);
    expect(byTtl.properties).toMatchObject({ type: CHECK_TYPE, correlationId: 'p1-7', deliveryMode: 2, expiration: 2_000_000, headers: { 'x-check-attempt': 2 } });
    expect(byTtl.bytes).toBe(300);
    expect(byTtl.properties.messageId).not.toBe('p1-7');
    const byHeader = checkContent(main, 1, { ...options, checkDelayBy: 'x-delay', checkPersistent: false }, 5);
    expect(byHeader.properties.expiration).toBeUndefined();
    expect(byHeader.properties.headers).toMatchObject({ 'x-delay': 2_000 });
    expect(byHeader.properties.deliveryMode).toBe(1);
    expect(checkContent(main, 1, { ...options, checkDelayBy: 'queue-ttl' }, 5).properties.expiration).toBeUndefined();
  });

  it('a confirmation names the processed message', () => {
    expect(confirmationContent('p1-7', true, 9).properties).toMatchObject({ type: CONFIRM_TYPE, correlationId: 'p1-7', deliveryMode: 2 });
  });
});

describe('delayed confirmation: runs', () => {
  it('with nothing failing, every check finds its confirmation and nothing is resent', () => {
    const { counts, result } = run({
      duration: '2s', drain: '5s', queues,
      workload: {
        producers: [{ id: 'p1', rate: '50/s', routingKey: 'orders', config: { confirm: true }, delayedConfirmation: pattern }],
        consumers: [{ queue: 'orders', processing: '2ms', confirmTo: { routingKey: 'callback' } }],
      },
    });
    expect(result.check.counts.sent).toBe(100);
    expect(counts).toMatchObject({ checksSent: 100, confirmationsSent: 100, confirmationsRecorded: 100, checksPassed: 100, resendRequests: 0, resends: 0 });
    expect(result.check.counts.duplicateDeliveries).toBe(0);
  });

  it('a message an autoAck consumer lost is resent when its check finds it unconfirmed, and then delivered', () => {
    const base = {
      duration: '3s', drain: '15s', queues,
      faults: [{ at: '1s', kill: 'orders-c1', for: '1s' }],
    };
    const consumer = { queue: 'orders', processing: '5ms', config: { autoAck: true, heartbeat: '2s' } };
    const on = run({
      ...base,
      workload: {
        producers: [{ id: 'p1', rate: '50/s', routingKey: 'orders', persistent: true, config: { confirm: true }, delayedConfirmation: pattern }],
        consumers: [{ ...consumer, confirmTo: { routingKey: 'callback' } }],
      },
    });
    const off = run({
      ...base,
      workload: { producers: [{ id: 'p1', rate: '50/s', routingKey: 'orders', persistent: true, config: { confirm: true } }], consumers: [consumer] },
    });
    expect(off.result.check.counts.lostAcked).toBeGreaterThan(0);
    expect(off.counts.resends).toBe(0);
    expect(on.result.check.counts.lostAcked).toBe(0);
    expect(on.result.check.counts.delivered).toBe(on.result.check.counts.sent);
    expect(on.counts.resends).toBeGreaterThanOrEqual(off.result.check.counts.lostAcked);
    // Each resent message is received after the resend note that names it.
    const resend = on.world.notes.find((n) => n.what === 'delayed-confirmation-resend')!;
    const msg = resend.detail!.msg as string;
    const receives = on.world.history.ops.filter((op) => op.f === 'receive' && op.msg === msg);
    expect(receives.length).toBeGreaterThan(0);
    const unconfirmed = on.world.notes.find((n) => n.what === 'delayed-check-unconfirmed' && n.detail!.msg === msg);
    expect(unconfirmed).toBeDefined();
  });

  it('the delay can come from an x-delayed-message exchange', () => {
    const { counts } = run({
      duration: '1s', drain: '5s',
      exchanges: [{ name: 'delayed', type: 'x-delayed-message', arguments: { 'x-delayed-type': 'direct' } }],
      queues: [{ name: 'orders', durable: true }, { name: 'callback', durable: true }],
      bindings: [{ exchange: 'delayed', queue: 'callback', routingKey: 'check' }],
      workload: {
        producers: [{
          id: 'p1', rate: '20/s', routingKey: 'orders',
          delayedConfirmation: { checkExchange: 'delayed', checkRoutingKey: 'check', checkDelay: '2s', checkDelayBy: 'x-delay', callbackQueue: 'callback' },
        }],
        consumers: [{ queue: 'orders', confirmTo: { routingKey: 'callback' } }],
      },
    });
    expect(counts.checksSent).toBe(20);
    expect(counts.checksPassed).toBe(20);
  });

  it('a consumer that never confirms gets every message maxResends more times, then the callback service gives up', () => {
    const { counts, result } = run({
      duration: '1s', drain: '10s', queues,
      workload: {
        producers: [{ id: 'p1', rate: '10/s', routingKey: 'orders', delayedConfirmation: { ...pattern, maxResends: 2 } }],
        consumers: [{ queue: 'orders' }],
      },
    });
    expect(result.check.counts.sent).toBe(10);
    expect(counts).toMatchObject({ checksSent: 30, resends: 20, checksGaveUp: 10, checksPassed: 0, confirmationsRecorded: 0 });
    expect(result.check.counts.deliveries).toBe(30);
  });

  it('names that do not exist are scenario errors', () => {
    const yaml = (callbackQueue: string, confirmKey: string) => `
name: t
system: rabbitmq
duration: 1s
queues: [{ name: orders, durable: true }, { name: check.delay, durable: true }, { name: callback, durable: true }]
workload:
  producers: [{ id: p1, rate: 10/s, routingKey: orders, delayedConfirmation: { checkRoutingKey: check.delay, checkDelay: 1s, callbackQueue: ${callbackQueue} } }]
  consumers: [{ queue: orders, confirmTo: { routingKey: ${confirmKey} } }]
`;
    expect(() => parseScenario(yaml('callback', 'callback'), 't.yaml')).not.toThrow();
    expect(() => parseScenario(yaml('nope', 'callback'), 't.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(yaml('nope', 'callback'), 't.yaml')).toThrow(/no callbackQueue "nope"/);
    expect(() => parseScenario(yaml('callback', 'nowhere'), 't.yaml')).toThrow(/confirmTo: routingKey "nowhere" names no queue/);
    expect(() => schema.parse({ name: 't', system: 'rabbitmq', duration: '1s', workload: { producers: [{ id: 'p1', count: 1, delayedConfirmation: { checkDelay: '1s', callbackQueue: 'c' } }] } })).toThrow();
  });
});
