import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predeclaredExchanges, Topology, vhostKey, type BindingDef } from '../../models/rabbitmq/index.js';
import { topicMatches } from '../../models/rabbitmq/public.js';

/**
 * Topology.route remembers, per direct or topic exchange, which bindings a routing key matches.
 * These tests check that the memory never shows: bindings added or removed after a key was routed,
 * an exchange redeclared with another type, queues that come and go, alternate exchanges in a cycle.
 */

const binding = (source: string, destination: string, routingKey: string, destinationType: 'queue' | 'exchange' = 'queue'): BindingDef =>
  ({ vhost: '/', source, destination, destinationType, routingKey, arguments: {} });

function fresh() {
  const t = new Topology();
  for (const e of predeclaredExchanges('/')) t.addExchange(e);
  return t;
}

describe('rabbitmq routing: remembered matches', () => {
  it('a binding added or removed after a key was routed changes the next route', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 't', type: 'topic', durable: true, internal: false });
    t.addBinding(binding('t', 'a', 'orders.*'));
    const all = () => true;
    const route = (key: string) => t.route('/', 't', key, undefined, all).queues;
    expect(route('orders.new')).toEqual([vhostKey('/', 'a')]);
    t.addBinding(binding('t', 'b', '#'));
    expect(route('orders.new')).toEqual([vhostKey('/', 'a'), vhostKey('/', 'b')]);
    t.unbindQueue('/', 'a');
    expect(route('orders.new')).toEqual([vhostKey('/', 'b')]);
  });

  it('an exchange redeclared as direct routes by equality', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 'x', type: 'topic', durable: true, internal: false });
    t.addBinding(binding('x', 'a', 'k.*'));
    const route = () => t.route('/', 'x', 'k.1', undefined, () => true).queues;
    expect(route()).toEqual([vhostKey('/', 'a')]);
    t.addExchange({ vhost: '/', name: 'x', type: 'direct', durable: true, internal: false });
    expect(route()).toEqual([]);
  });

  it('queue existence is asked on every route, not remembered', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 'd', type: 'direct', durable: true, internal: false });
    t.addBinding(binding('d', 'a', 'k'));
    let exists = false;
    const route = () => t.route('/', 'd', 'k', undefined, () => exists).queues;
    expect(route()).toEqual([]);
    exists = true;
    expect(route()).toEqual([vhostKey('/', 'a')]);
  });

  it('alternate exchanges that point at each other end (each exchange once per message)', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 'a', type: 'direct', durable: true, internal: false, alternateExchange: 'b' });
    t.addExchange({ vhost: '/', name: 'b', type: 'direct', durable: true, internal: false, alternateExchange: 'a' });
    expect(t.route('/', 'a', 'k', undefined, () => true).queues).toEqual([]);
    t.addBinding(binding('b', 'q', 'k'));
    expect(t.route('/', 'a', 'k', undefined, () => true).queues).toEqual([vhostKey('/', 'q')]);
  });

  it('agrees with matching every binding afresh, over random bindings and keys routed repeatedly', () => {
    const word = fc.constantFrom('a', 'b', 'c', '*', '#', '');
    const key = fc.array(fc.constantFrom('a', 'b', 'c', ''), { maxLength: 4 }).map((w) => w.join('.'));
    const pattern = fc.array(word, { maxLength: 4 }).map((w) => w.join('.'));
    fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 6 }), fc.array(key, { minLength: 1, maxLength: 20 }), (patterns, keys) => {
      const t = fresh();
      t.addExchange({ vhost: '/', name: 't', type: 'topic', durable: true, internal: false });
      patterns.forEach((p, i) => t.addBinding(binding('t', `q${i}`, p)));
      for (const k of [...keys, ...keys]) {
        const expected = [...new Set(patterns.flatMap((p, i) => (topicMatches(p, k) ? [vhostKey('/', `q${i}`)] : [])))];
        expect(t.route('/', 't', k, undefined, () => true).queues).toEqual(expected);
      }
    }), { numRuns: 200 });
  });
});
