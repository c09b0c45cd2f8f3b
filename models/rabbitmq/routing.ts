import type { ExchangeType, HeaderValue, RoutingType } from './schema.js';
import { topicMatches } from './topic.js';

/**
 * Exchanges, bindings and routing: pure data and functions, no node, so tests can drive them
 * directly. Names are scoped by vhost: `vhostKey(vhost, name)`.
 *
 * Routing: an exchange's type picks the bindings a message matches (direct: binding key equal to
 * the routing key; fanout: every binding; topic: topicMatches; headers: x-match all/any over the
 * binding arguments not starting with "x-"); a binding to an exchange routes on through that
 * exchange (each exchange at most once per message); an exchange that routes a message to no
 * queue hands it to its alternate-exchange. The default exchange "" routes to the queue named by
 * the routing key.
 */

export type Headers = Readonly<Record<string, HeaderValue>>;

export interface ExchangeDef {
  readonly vhost: string;
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly internal: boolean;
  readonly alternateExchange?: string;
  /** For x-delayed-message: the routing type used once the delay has passed. */
  readonly delayedType?: RoutingType;
}

export interface BindingDef {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: Headers;
}

export function vhostKey(vhost: string, name: string): string {
  return `${vhost}|${name}`;
}

/** The exchanges every vhost has: the default exchange and the amq.* ones. */
export function predeclaredExchanges(vhost: string): ExchangeDef[] {
  return [
    { vhost, name: '', type: 'direct', durable: true, internal: false },
    { vhost, name: 'amq.direct', type: 'direct', durable: true, internal: false },
    { vhost, name: 'amq.fanout', type: 'fanout', durable: true, internal: false },
    { vhost, name: 'amq.topic', type: 'topic', durable: true, internal: false },
    { vhost, name: 'amq.headers', type: 'headers', durable: true, internal: false },
  ];
}

/** Does a headers-exchange binding match these message headers? */
export function headersMatch(bindingArgs: Headers, headers: Headers | undefined): boolean {
  const mode = String(bindingArgs['x-match'] ?? 'all');
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const any = mode === 'any' || mode === 'any-with-x';
  for (const [key, value] of Object.entries(bindingArgs)) {
    if (key === 'x-match') continue;
    if (!withX && key.startsWith('x-')) continue;
    const present = headers !== undefined && Object.hasOwn(headers, key);
    const equal = present && headers[key] === value;
    if (any && equal) return true;
    if (!any && !equal) return false;
  }
  // all: every pair matched (also when there were none); any: none matched.
  return !any;
}

/** Does one binding of an exchange of routing type `type` match the message? */
export function bindingMatches(type: RoutingType, binding: BindingDef, routingKey: string, headers: Headers | undefined): boolean {
  switch (type) {
    case 'fanout':
      return true;
    case 'direct':
      return binding.routingKey === routingKey;
    case 'topic':
      return topicMatches(binding.routingKey, routingKey);
    case 'headers':
      return headersMatch(binding.arguments, headers);
  }
}

export interface RouteResult {
  /** Destination queue keys (vhostKey), each once, in binding order. */
  readonly queues: string[];
  /** The first delayed-message exchange reached, when the message must wait there instead. */
  readonly delayedAt?: ExchangeDef;
}

export class Topology {
  readonly exchanges = new Map<string, ExchangeDef>();
  private readonly bySource = new Map<string, BindingDef[]>();

  addExchange(def: ExchangeDef): void {
    this.exchanges.set(vhostKey(def.vhost, def.name), def);
  }

  addBinding(def: BindingDef): void {
    const key = vhostKey(def.vhost, def.source);
    let list = this.bySource.get(key);
    if (!list) this.bySource.set(key, (list = []));
    if (!list.some((b) => sameBinding(b, def))) list.push(def);
  }

  /** Removes every binding to a queue (when the queue is deleted). */
  unbindQueue(vhost: string, queue: string): void {
    for (const list of this.bySource.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const b = list[i]!;
        if (b.vhost === vhost && b.destinationType === 'queue' && b.destination === queue) list.splice(i, 1);
      }
    }
  }

  exchange(vhost: string, name: string): ExchangeDef | undefined {
    return this.exchanges.get(vhostKey(vhost, name));
  }

  bindingsOf(vhost: string, source: string): readonly BindingDef[] {
    return this.bySource.get(vhostKey(vhost, source)) ?? [];
  }

  /**
   * Routes a message published to `exchange`. `queueExists` answers for the default exchange.
   * With `afterDelay` the delayed-message exchange routes by its x-delayed-type instead of
   * holding the message.
   */
  route(
    vhost: string, exchange: string, routingKey: string, headers: Headers | undefined,
    queueExists: (key: string) => boolean, afterDelay = false,
  ): RouteResult {
    const queues = new Set<string>();
    const visited = new Set<string>();
    let delayedAt: ExchangeDef | undefined;
    const visit = (name: string, top: boolean): void => {
      const key = vhostKey(vhost, name);
      if (visited.has(key)) return;
      visited.add(key);
      const def = this.exchanges.get(key);
      if (!def) return;
      if (def.type === 'x-delayed-message' && !(top && afterDelay)) {
        delayedAt ??= def;
        return;
      }
      const before = queues.size;
      if (name === '') {
        const qkey = vhostKey(vhost, routingKey);
        if (queueExists(qkey)) queues.add(qkey);
      } else {
        const type: RoutingType = def.type === 'x-delayed-message' ? def.delayedType ?? 'direct' : def.type;
        for (const binding of this.bySource.get(key) ?? []) {
          if (!bindingMatches(type, binding, routingKey, headers)) continue;
          if (binding.destinationType === 'queue') {
            const qkey = vhostKey(vhost, binding.destination);
            if (queueExists(qkey)) queues.add(qkey);
          } else visit(binding.destination, false);
        }
      }
      if (queues.size === before && delayedAt === undefined && def.alternateExchange !== undefined) visit(def.alternateExchange, false);
    };
    visit(exchange, true);
    return delayedAt ? { queues: [...queues], delayedAt } : { queues: [...queues] };
  }
}

function sameBinding(a: BindingDef, b: BindingDef): boolean {
  if (a.destination !== b.destination || a.destinationType !== b.destinationType || a.routingKey !== b.routingKey) return false;
  const ka = Object.keys(a.arguments);
  const kb = Object.keys(b.arguments);
  return ka.length === kb.length && ka.every((k) => a.arguments[k] === b.arguments[k]);
}
