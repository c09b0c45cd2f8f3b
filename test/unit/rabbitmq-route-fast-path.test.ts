import { describe, expect, it } from 'vitest';
import { predeclaredExchanges, Topology, vhostKey, type BindingDef } from '../../models/rabbitmq/index.js';

/**
 * Topology.route's fast path: a direct or topic exchange whose matching bindings all lead to
 * queues returns a remembered route. It must give what the full walk gives: each queue once,
 * exchange-to-exchange bindings followed, existence asked on every call, the alternate exchange
 * when nothing matched.
 */

const binding = (source: string, destination: string, routingKey: string, destinationType: 'queue' | 'exchange' = 'queue'): BindingDef =>
  ({ vhost: '/', source, destination, destinationType, routingKey, arguments: {} });

function fresh() {
  const t = new Topology();
  for (const e of predeclaredExchanges('/')) t.addExchange(e);
  t.addExchange({ vhost: '/', name: 't', type: 'topic', durable: true, internal: false });
  return t;
}

const q = (name: string) => vhostKey('/', name);

describe('rabbitmq routing: remembered routes', () => {
  it('a queue bound twice by matching keys gets the message once, and the route is the same on every call', () => {
    const t = fresh();
    t.addBinding(binding('t', 'a', 'k.*'));
    t.addBinding(binding('t', 'a', '#'));
    t.addBinding(binding('t', 'b', 'k.1'));
    for (let i = 0; i < 3; i++) expect(t.route('/', 't', 'k.1', undefined, () => true).queues).toEqual([q('a'), q('b')]);
  });

  it('a matching exchange-to-exchange binding is followed', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 'inner', type: 'direct', durable: true, internal: false });
    t.addBinding(binding('t', 'a', 'k.*'));
    t.addBinding(binding('t', 'inner', 'k.#', 'exchange'));
    t.addBinding(binding('inner', 'c', 'k.1'));
    for (let i = 0; i < 2; i++) expect(t.route('/', 't', 'k.1', undefined, () => true).queues).toEqual([q('a'), q('c')]);
  });

  it('a queue that stops existing after its route was remembered is left out, and comes back', () => {
    const t = fresh();
    t.addBinding(binding('t', 'a', 'k.*'));
    t.addBinding(binding('t', 'b', 'k.*'));
    let bExists = true;
    const exists = (key: string) => key !== q('b') || bExists;
    expect(t.route('/', 't', 'k.1', undefined, exists).queues).toEqual([q('a'), q('b')]);
    bExists = false;
    expect(t.route('/', 't', 'k.1', undefined, exists).queues).toEqual([q('a')]);
    bExists = true;
    expect(t.route('/', 't', 'k.1', undefined, exists).queues).toEqual([q('a'), q('b')]);
  });

  it('nothing matched: the alternate exchange routes it, on every call', () => {
    const t = fresh();
    t.addExchange({ vhost: '/', name: 'ae', type: 'fanout', durable: true, internal: false });
    t.addExchange({ vhost: '/', name: 'x', type: 'direct', durable: true, internal: false, alternateExchange: 'ae' });
    t.addBinding(binding('x', 'a', 'known'));
    t.addBinding(binding('ae', 'unrouted', ''));
    for (let i = 0; i < 2; i++) {
      expect(t.route('/', 'x', 'other', undefined, () => true).queues).toEqual([q('unrouted')]);
      expect(t.route('/', 'x', 'known', undefined, () => true).queues).toEqual([q('a')]);
    }
  });
});
