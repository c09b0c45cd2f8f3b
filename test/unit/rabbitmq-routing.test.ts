import { describe, expect, it } from 'vitest';
import { headersMatch, predeclaredExchanges, Topology, vhostKey, type BindingDef, type ExchangeDef } from '../../models/rabbitmq/index.js';

/** Routing per exchange type, on the pure Topology (no world). */

type BindingInput = Pick<BindingDef, 'source' | 'destination'> & Partial<BindingDef>;

function topology(exchanges: Omit<ExchangeDef, 'vhost' | 'durable' | 'internal'>[], bindings: BindingInput[], queues: string[]) {
  const t = new Topology();
  for (const e of predeclaredExchanges('/')) t.addExchange(e);
  for (const e of exchanges) t.addExchange({ vhost: '/', durable: true, internal: false, ...e });
  for (const b of bindings) t.addBinding({ vhost: '/', arguments: {}, destinationType: 'queue', routingKey: '', ...b });
  const known = new Set(queues.map((q) => vhostKey('/', q)));
  const route = (exchange: string, key: string, headers?: Record<string, string | number | boolean>) =>
    t.route('/', exchange, key, headers, (k) => known.has(k)).queues.map((k) => k.slice(2));
  return { t, route };
}

describe('rabbitmq routing', () => {
  it('direct: exact binding key; several bindings to one queue deliver once', () => {
    const { route } = topology(
      [{ name: 'd', type: 'direct' }],
      [{ source: 'd', destination: 'a', routingKey: 'k1' }, { source: 'd', destination: 'b', routingKey: 'k1' }, { source: 'd', destination: 'a', routingKey: 'k2' }],
      ['a', 'b'],
    );
    expect(route('d', 'k1')).toEqual(['a', 'b']);
    expect(route('d', 'k2')).toEqual(['a']);
    expect(route('d', 'K1')).toEqual([]);
  });

  it('fanout ignores the key; the default exchange routes to the queue named by the key', () => {
    const { route } = topology([{ name: 'f', type: 'fanout' }], [{ source: 'f', destination: 'a', routingKey: 'x' }, { source: 'f', destination: 'b' }], ['a', 'b']);
    expect(route('f', 'anything')).toEqual(['a', 'b']);
    expect(route('', 'b')).toEqual(['b']);
    expect(route('', 'nope')).toEqual([]);
  });

  it('topic: * is one word, # zero or more', () => {
    const { route } = topology(
      [{ name: 't', type: 'topic' }],
      [{ source: 't', destination: 'all', routingKey: '#' }, { source: 't', destination: 'eu', routingKey: 'eu.*' }, { source: 't', destination: 'orders', routingKey: '*.orders.#' }],
      ['all', 'eu', 'orders'],
    );
    expect(route('t', 'eu.orders')).toEqual(['all', 'eu', 'orders']);
    expect(route('t', 'eu.orders.new')).toEqual(['all', 'orders']);
    expect(route('t', 'eu')).toEqual(['all']);
    expect(route('t', 'us.orders')).toEqual(['all', 'orders']);
  });

  it('headers: x-match all (default) and any; x- arguments are not matched', () => {
    expect(headersMatch({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1, b: 'x', c: true })).toBe(true);
    expect(headersMatch({ a: 1, b: 'x' }, { a: 1 })).toBe(false);
    expect(headersMatch({ 'x-match': 'any', a: 1, b: 'x' }, { a: 2, b: 'x' })).toBe(true);
    expect(headersMatch({ 'x-match': 'any', a: 1, b: 'x' }, { a: 2 })).toBe(false);
    expect(headersMatch({ 'x-match': 'any', a: 1 }, undefined)).toBe(false);
    expect(headersMatch({ 'x-match': 'all', 'x-ignored': 1, a: 1 }, { a: 1 })).toBe(true);
    expect(headersMatch({ 'x-match': 'all-with-x', 'x-k': 1 }, { a: 1 })).toBe(false);
    const { route } = topology([{ name: 'h', type: 'headers' }], [
      { source: 'h', destination: 'all', arguments: { 'x-match': 'all', f: 'pdf', t: 'r' } },
      { source: 'h', destination: 'any', arguments: { 'x-match': 'any', f: 'pdf', t: 'log' } },
    ], ['all', 'any']);
    expect(route('h', '', { f: 'pdf', t: 'r' })).toEqual(['all', 'any']);
    expect(route('h', '', { f: 'csv', t: 'log' })).toEqual(['any']);
    expect(route('h', '', { f: 'csv' })).toEqual([]);
  });

  it('exchange-to-exchange bindings route on, each exchange once (no loop)', () => {
    const { route } = topology(
      [{ name: 'a', type: 'fanout' }, { name: 'b', type: 'direct' }],
      [
        { source: 'a', destination: 'b', destinationType: 'exchange' },
        { source: 'b', destination: 'a', destinationType: 'exchange', routingKey: 'k' },
        { source: 'b', destination: 'q', routingKey: 'k' },
      ],
      ['q'],
    );
    expect(route('a', 'k')).toEqual(['q']);
    expect(route('a', 'other')).toEqual([]);
  });

  it('alternate exchange: used only when the exchange routes to no queue', () => {
    const { route } = topology(
      [{ name: 'main', type: 'direct', alternateExchange: 'ae' }, { name: 'ae', type: 'fanout' }],
      [{ source: 'main', destination: 'q', routingKey: 'k' }, { source: 'ae', destination: 'unrouted' }],
      ['q', 'unrouted'],
    );
    expect(route('main', 'k')).toEqual(['q']);
    expect(route('main', 'x')).toEqual(['unrouted']);
  });

  it('a delayed-message exchange holds the message, then routes by x-delayed-type', () => {
    const { t } = topology([{ name: 'dl', type: 'x-delayed-message', delayedType: 'topic' }], [{ source: 'dl', destination: 'q', routingKey: 'a.#' }], ['q']);
    const exists = () => true;
    expect(t.route('/', 'dl', 'a.b', undefined, exists).delayedAt?.name).toBe('dl');
    expect(t.route('/', 'dl', 'a.b', undefined, exists, true)).toEqual({ queues: ['/|q'] });
    expect(t.route('/', 'dl', 'b', undefined, exists, true)).toEqual({ queues: [] });
  });
});
