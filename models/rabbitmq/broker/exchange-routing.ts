import type { ExchangeType, HeaderValue, RoutingType } from '../schema.js';
import { topicMatches } from './exchange-type-topic.js';

/**
 * Exchanges, bindings and routing: pure data and functions, no node, so tests can drive them
 * directly. Names are scoped by vhost: `vhostKey(vhost, name)`.
 *
 * Routing: an exchange's type picks the bindings a message matches (direct: binding key equal to
 * the routing key; fanout: every binding; topic: topicMatches; headers: x-match all/any over the
 * binding arguments not starting with "x-"); a binding to an exchange routes on through that
 * exchange (each exchange at most once per message); an exchange that routes a message to no
 * destination (no matching binding to an existing queue or to any exchange) hands it to its
 * alternate-exchange. The default exchange "" routes to the queue named by
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

/** Most routing keys remembered per exchange before its match cache is cleared. */
const MATCH_CACHE_LIMIT = 4096;

/**
 * The bindings of one source exchange, with what routing needs precomputed: each binding's
 * destination key, and per routing key the indices of the bindings it matches (direct and topic
 * exchanges only: their match depends on the routing key alone). Any change to the bindings or
 * to the exchange clears the cache.
 */
interface Source {
  readonly bindings: BindingDef[];
  /** vhostKey of each binding's destination (queue or exchange). */
  readonly destinations: string[];
  readonly matches: Map<string, readonly number[]>;
  /**
   * Per routing key, when every binding it matches leads to a queue: the route (queue keys, each
   * once, in binding order) before the existence check; null when some lead to an exchange.
   * Cleared with `matches`.
   */
  readonly plain: Map<string, RouteResult | null>;
}

export class Topology {
  readonly exchanges = new Map<string, ExchangeDef>();
  /** vhost -> exchange name -> definition (no key string built per lookup). */
  private readonly byVhost = new Map<string, Map<string, ExchangeDef>>();
  /** vhost -> source exchange name -> its bindings. */
  private readonly sources = new Map<string, Map<string, Source>>();
  /** The route call that last visited each exchange (each exchange at most once per message). */
  private readonly visited = new Map<ExchangeDef, number>();
  private routeCount = 0;

  addExchange(def: ExchangeDef): void {
    this.exchanges.set(vhostKey(def.vhost, def.name), def);
    let names = this.byVhost.get(def.vhost);
    if (!names) this.byVhost.set(def.vhost, (names = new Map()));
    names.set(def.name, def);
    const source = this.sources.get(def.vhost)?.get(def.name);
    source?.matches.clear();
    source?.plain.clear();
  }

  addBinding(def: BindingDef): void {
    let names = this.sources.get(def.vhost);
    if (!names) this.sources.set(def.vhost, (names = new Map()));
    let source = names.get(def.source);
    if (!source) names.set(def.source, (source = { bindings: [], destinations: [], matches: new Map(), plain: new Map() }));
    if (source.bindings.some((b) => sameBinding(b, def))) return;
    source.bindings.push(def);
    source.destinations.push(vhostKey(def.vhost, def.destination));
    source.matches.clear();
    source.plain.clear();
  }

  /** Removes every binding to a queue (when the queue is deleted). */
  unbindQueue(vhost: string, queue: string): void {
    for (const source of this.sources.get(vhost)?.values() ?? []) {
      const list = source.bindings;
      for (let i = list.length - 1; i >= 0; i--) {
        const b = list[i]!;
        if (b.vhost === vhost && b.destinationType === 'queue' && b.destination === queue) {
          list.splice(i, 1);
          source.destinations.splice(i, 1);
          source.matches.clear();
          source.plain.clear();
        }
      }
    }
  }

  exchange(vhost: string, name: string): ExchangeDef | undefined {
    return this.byVhost.get(vhost)?.get(name);
  }

  bindingsOf(vhost: string, source: string): readonly BindingDef[] {
    return this.sources.get(vhost)?.get(source)?.bindings ?? [];
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
    const names = this.byVhost.get(vhost);
    if (names === undefined) return { queues: [] };
    if (!afterDelay && exchange !== '') {
      // The common case, a direct or topic exchange whose matching bindings all lead to queues
      // that exist: the remembered route, shared (callers only read it).
      const def = names.get(exchange);
      if (def !== undefined && (def.type === 'direct' || def.type === 'topic')) {
        const source = this.sources.get(vhost)?.get(exchange);
        const plain = source === undefined ? null : this.plainRoute(source, def.type, routingKey);
        if (plain !== null && (plain.queues.length > 0 || def.alternateExchange === undefined) && plain.queues.every(queueExists)) return plain;
      }
    }
    const queues: string[] = [];
    const state: RouteState = { call: ++this.routeCount, vhost, names, sources: this.sources.get(vhost), routingKey, headers, queueExists, afterDelay, queues, delayedAt: undefined };
    this.visit(state, exchange, true);
    return state.delayedAt ? { queues, delayedAt: state.delayedAt } : { queues };
  }

  private visit(state: RouteState, name: string, top: boolean): void {
    const def = state.names.get(name);
    if (!def || this.visited.get(def) === state.call) return;
    this.visited.set(def, state.call);
    const source = name === '' ? undefined : state.sources?.get(name);
    if (def.type === 'x-delayed-message' && !(top && state.afterDelay)) {
      state.delayedAt ??= def;
      return;
    }
    const queues = state.queues;
    // The exchange's own destinations (queues and exchanges its matching bindings name): its
    // alternate-exchange is used only when there are none. An exchange-to-exchange binding that
    // matched is a destination even if nothing lies behind it, so the message is then unroutable,
    // not alternate-routed (as RabbitMQ's exchange routing does).
    let destinations = 0;
    if (name === '') {
      const qkey = vhostKey(state.vhost, state.routingKey);
      if (state.queueExists(qkey)) {
        destinations++;
        if (!queues.includes(qkey)) queues.push(qkey);
      }
    } else if (source !== undefined) {
      const type: RoutingType = def.type === 'x-delayed-message' ? def.delayedType ?? 'direct' : def.type;
      const bindings = source.bindings;
      if (type === 'direct' || type === 'topic') {
        for (const i of this.matching(source, type, state.routingKey)) destinations += this.follow(state, bindings[i]!, source.destinations[i]!);
      } else {
        for (let i = 0; i < bindings.length; i++) {
          const binding = bindings[i]!;
          if (bindingMatches(type, binding, state.routingKey, state.headers)) destinations += this.follow(state, binding, source.destinations[i]!);
        }
      }
    }
    if (destinations === 0 && state.delayedAt === undefined && def.alternateExchange !== undefined) this.visit(state, def.alternateExchange, false);
  }

  /** Follows a matching binding; 1 when it names a destination (an exchange, or a queue that exists), else 0. */
  private follow(state: RouteState, binding: BindingDef, destination: string): number {
    if (binding.destinationType === 'exchange') {
      this.visit(state, binding.destination, false);
      return 1;
    }
    if (!state.queueExists(destination)) return 0;
    if (!state.queues.includes(destination)) state.queues.push(destination);
    return 1;
  }

  /** The queues a routing key reaches through a direct or topic exchange's own bindings, if they all lead to queues. */
  private plainRoute(source: Source, type: 'direct' | 'topic', routingKey: string): RouteResult | null {
    const cached = source.plain.get(routingKey);
    if (cached !== undefined) return cached;
    let route: RouteResult | null = { queues: [] };
    for (const i of this.matching(source, type, routingKey)) {
      if (source.bindings[i]!.destinationType === 'exchange') {
        route = null;
        break;
      }
      const destination = source.destinations[i]!;
      if (!route.queues.includes(destination)) route.queues.push(destination);
    }
    if (source.plain.size >= MATCH_CACHE_LIMIT) source.plain.clear();
    source.plain.set(routingKey, route);
    return route;
  }

  /** Indices of the bindings a routing key matches on a direct or topic exchange, remembered per key. */
  private matching(source: Source, type: 'direct' | 'topic', routingKey: string): readonly number[] {
    const cached = source.matches.get(routingKey);
    if (cached !== undefined) return cached;
    const found: number[] = [];
    const bindings = source.bindings;
    for (let i = 0; i < bindings.length; i++) {
      const key = bindings[i]!.routingKey;
      if (type === 'direct' ? key === routingKey : topicMatches(key, routingKey)) found.push(i);
    }
    if (source.matches.size >= MATCH_CACHE_LIMIT) source.matches.clear();
    source.matches.set(routingKey, found);
    return found;
  }
}

interface RouteState {
  readonly call: number;
  readonly vhost: string;
  readonly names: ReadonlyMap<string, ExchangeDef>;
  readonly sources: ReadonlyMap<string, Source> | undefined;
  readonly routingKey: string;
  readonly headers: Headers | undefined;
  readonly queueExists: (key: string) => boolean;
  readonly afterDelay: boolean;
  readonly queues: string[];
  delayedAt: ExchangeDef | undefined;
}

function sameBinding(a: BindingDef, b: BindingDef): boolean {
  if (a.destination !== b.destination || a.destinationType !== b.destinationType || a.routingKey !== b.routingKey) return false;
  const ka = Object.keys(a.arguments);
  const kb = Object.keys(b.arguments);
  return ka.length === kb.length && ka.every((k) => a.arguments[k] === b.arguments[k]);
}
