import type { RabbitVersion } from './version.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import { datagramEffectProblems, type NetworkSection } from '../../sim/scenario/tcp-only.js';
import { ConfigError, type ConfigPath, type ConfigProblem } from '../../sim/scenario/config-error.js';
import type { Permission } from './broker/connection.js';
import type { BindingDef, ExchangeDef } from './broker/exchange-routing.js';
import type { QueueDef } from './broker/queue-process.js';
import { initialMaster, MIRRORING_SYNC_BATCH_SIZE, type MirrorPolicy } from './mirrored/misc.js';
import { DEFAULT_RABBIT_VERSION } from './version.js';
import {
  BROKER_NODE, QUORUM_DEFAULTS, RABBIT_DEFAULTS, type BindingSpec, type ExchangeSpec, type HeaderValue, type QueueSpec,
  type RabbitClusterConfig, type RabbitConsumerConfig, type RabbitProducerConfig, type VhostSpec, type PolicySpec, type DelayedConfirmationSpec, type ConfirmToSpec,
} from './schema.js';

/**
 * A RabbitMQ scenario as the model reads it (after the schema in schema.ts validated it), and
 * its topology turned into the broker's definitions, checked for dangling names.
 */
/** The cluster's node names: rabbit-1..rabbit-N. */
export function rabbitNodes(scenario: { cluster?: { brokers?: number } }): string[] {
  return Array.from({ length: scenario.cluster?.brokers ?? 1 }, (_, i) => `rabbit-${i + 1}`);
}

export interface RabbitProducerSpec extends CommonProducer {
  node?: string | string[];
  vhost?: string;
  user?: string;
  exchange?: string;
  routingKey?: string;
  mandatory?: boolean;
  persistent?: boolean;
  expiration?: number;
  priority?: number | number[];
  headers?: Record<string, HeaderValue>;
  delay?: number;
  delayBy?: 'x-delay' | 'expiration' | 'queue-ttl';
  delayedConfirmation?: DelayedConfirmationSpec;
  config?: RabbitProducerConfig;
}

export interface RabbitConsumerSpec extends CommonConsumer {
  node?: string | string[];
  vhost?: string;
  user?: string;
  queue: string;
  confirmTo?: ConfirmToSpec;
  config?: RabbitConsumerConfig;
}

export interface RabbitScenario extends CommonScenario {
  system: 'rabbitmq';
  cluster?: { version?: RabbitVersion; brokers?: number; invariants?: boolean; config?: RabbitClusterConfig };
  vhosts?: VhostSpec[];
  exchanges?: ExchangeSpec[];
  queues?: QueueSpec[];
  bindings?: BindingSpec[];
  policies?: PolicySpec[];
  workload?: { producers?: RabbitProducerSpec[]; consumers?: RabbitConsumerSpec[] };
}

/** The scenario's topology as definitions, checked for dangling names. Throws on a bad reference. */
export function topologyOf(scenario: RabbitScenario): {
  vhosts: string[]; restrictedVhosts: string[]; permissions: Permission[]; exchanges: ExchangeDef[]; queues: QueueDef[]; bindings: BindingDef[];
} {
  const vhost = (v: string | undefined) => v ?? RABBIT_DEFAULTS.vhost;
  const vhosts = scenario.vhosts?.map((v) => v.name) ?? [RABBIT_DEFAULTS.vhost];
  const problems: ConfigProblem[] = [];
  const problem = (path: ConfigPath, message: string, allowed?: readonly string[], given?: string) => problems.push(...ConfigError.at(path, message, allowed, given).problems);
  const checkVhost = (v: string, path: ConfigPath) => {
    if (!vhosts.includes(v)) problem(path, `no vhost "${v}" (vhosts: ${vhosts.join(', ')})`, vhosts, v);
  };
  // Every RabbitMQ channel is a TCP connection: the datagram effects could change nothing.
  problems.push(...datagramEffectProblems((scenario as { network?: NetworkSection }).network, 'RabbitMQ', 'AMQP clients, the Erlang distribution carrying Ra and the node monitor'));
  const exchanges: ExchangeDef[] = (scenario.exchanges ?? []).map((e, i) => {
    const def: ExchangeDef = {
      vhost: vhost(e.vhost), name: e.name, type: e.type, durable: e.durable ?? RABBIT_DEFAULTS.exchangeDurable, internal: e.internal ?? false,
      ...(e.arguments?.['alternate-exchange'] !== undefined ? { alternateExchange: e.arguments['alternate-exchange'] } : {}),
      ...(e.arguments?.['x-delayed-type'] !== undefined ? { delayedType: e.arguments['x-delayed-type'] } : {}),
    };
    checkVhost(def.vhost, ['exchanges', i, 'vhost']);
    if (e.type === 'x-delayed-message' && def.delayedType === undefined) problem(['exchanges', i, 'arguments'], 'an x-delayed-message exchange needs arguments.x-delayed-type');
    return def;
  });
  const nodes = rabbitNodes(scenario);
  const checkNodes = (names: string | string[] | undefined, path: ConfigPath) => {
    const list = names === undefined ? [] : Array.isArray(names) ? names : [names];
    list.forEach((n, k) => {
      if (!nodes.includes(n)) problem(Array.isArray(names) ? [...path, k] : path, `no node "${n}" (nodes: ${nodes.join(', ')}; cluster.brokers sets how many)`, nodes, n);
    });
  };
  const policies = scenario.policies ?? [];
  const version = scenario.cluster?.version ?? DEFAULT_RABBIT_VERSION;
  policies.forEach((p, i) => {
    checkVhost(p.vhost ?? RABBIT_DEFAULTS.vhost, ['policies', i, 'vhost']);
    try {
      new RegExp(p.pattern);
    } catch {
      problem(['policies', i, 'pattern'], `policy ${p.name}: pattern is not a valid regex: ${p.pattern}`);
    }
    if (version !== '3.10') {
      problem(['policies', i, 'definition', 'ha-mode'], `classic queue mirroring (ha-mode) was removed in RabbitMQ 4.0 (cluster.version ${version}): use a quorum queue (x-queue-type: quorum), or cluster.version "3.10"`, ['3.10'], version);
    } else if (nodes.length < 2) {
      problem(['policies', i, 'definition', 'ha-mode'], 'classic queue mirroring needs a cluster: set cluster.brokers to 2 or more (one node has nowhere to put a mirror)');
    }
  });
  const mirrorOf = (q: QueueSpec): MirrorPolicy | undefined => {
    // Exclusive queues are never mirrored, quorum queues are replicated their own way.
    if (q.exclusive === true || q.arguments?.['x-queue-type'] === 'quorum') return undefined;
    let best: PolicySpec | undefined;
    for (const p of policies) {
      if ((p.vhost ?? RABBIT_DEFAULTS.vhost) !== vhost(q.vhost)) continue;
      if (p['apply-to'] === 'exchanges' || p['apply-to'] === 'quorum_queues') continue;
      let matches = false;
      try {
        matches = new RegExp(p.pattern).test(q.name);
      } catch {
        continue;
      }
      if (matches && (best === undefined || (p.priority ?? 0) > (best.priority ?? 0))) best = p;
    }
    if (best === undefined) return undefined;
    const d = best.definition;
    return {
      policy: best.name, mode: d['ha-mode'], ...(d['ha-params'] !== undefined ? { params: d['ha-params'] } : {}),
      syncMode: d['ha-sync-mode'] ?? 'manual', batchSize: d['ha-sync-batch-size'] ?? MIRRORING_SYNC_BATCH_SIZE,
      promoteOnFailure: d['ha-promote-on-failure'] ?? 'always',
      promoteOnShutdown: d['ha-promote-on-shutdown'] ?? 'when-synced',
    };
  };
  const queues: QueueDef[] = (scenario.queues ?? []).map((q, i) => {
    checkNodes(q.node, ['queues', i, 'node']);
    const mirror = mirrorOf(q);
    const declaring = q.node !== undefined && nodes.includes(q.node) ? q.node : nodes[0]!;
    const home = mirror !== undefined && nodes.length > 1 ? initialMaster(mirror, declaring, nodes) : declaring;
    const quorum = q.arguments?.['x-queue-type'] === 'quorum';
    const size = Math.min(nodes.length, q.arguments?.['x-quorum-initial-group-size'] ?? QUORUM_DEFAULTS.initialGroupSize);
    const from = nodes.indexOf(home);
    const def: QueueDef = {
      vhost: vhost(q.vhost), name: q.name, durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, args: q.arguments ?? {},
      ...(quorum ? { quorum: true, members: Array.from({ length: size }, (_, k) => nodes[(from + k) % nodes.length]!) } : {}),
      ...(q.node !== undefined || quorum || (mirror !== undefined && home !== nodes[0]) ? { node: home } : {}),
      ...(mirror !== undefined && nodes.length > 1 ? { mirror } : {}),
    };
    checkVhost(def.vhost, ['queues', i, 'vhost']);
    return def;
  });
  const hasExchange = (v: string, name: string) => name === '' || name.startsWith('amq.') || exchanges.some((e) => e.vhost === v && e.name === name);
  const hasQueue = (v: string, name: string) => queues.some((q) => q.vhost === v && q.name === name);
  const exchangeNames = (v: string) => exchanges.filter((e) => e.vhost === v).map((e) => e.name);
  const queueNames = (v: string) => queues.filter((q) => q.vhost === v).map((q) => q.name);
  // Names defined twice in one vhost: RabbitMQ would answer the second declare with the first.
  const seen = new Set<string>();
  exchanges.forEach((e, i) => {
    if (seen.has(`${e.vhost}\u0000${e.name}`)) problem(['exchanges', i, 'name'], `exchange "${e.name}" is defined twice in vhost ${e.vhost}`);
    seen.add(`${e.vhost}\u0000${e.name}`);
  });
  seen.clear();
  queues.forEach((q, i) => {
    if (seen.has(`${q.vhost}\u0000${q.name}`)) problem(['queues', i, 'name'], `queue "${q.name}" is defined twice in vhost ${q.vhost}`);
    seen.add(`${q.vhost}\u0000${q.name}`);
  });
  exchanges.forEach((e, i) => {
    if (e.alternateExchange !== undefined && !hasExchange(e.vhost, e.alternateExchange)) problem(['exchanges', i, 'arguments', 'alternate-exchange'], `no alternate-exchange "${e.alternateExchange}" in vhost ${e.vhost}`, exchangeNames(e.vhost), e.alternateExchange);
  });
  const bindings: BindingDef[] = (scenario.bindings ?? []).map((b, i) => {
    const v = vhost(b.vhost);
    const def: BindingDef = {
      vhost: v, source: b.exchange, destination: b.queue ?? b.toExchange!, destinationType: b.queue !== undefined ? 'queue' : 'exchange',
      routingKey: b.routingKey ?? '', arguments: b.arguments ?? {},
    };
    if (b.exchange === '') problem(['bindings', i, 'exchange'], 'the default exchange cannot be bound to');
    else if (!hasExchange(v, b.exchange)) problem(['bindings', i, 'exchange'], `no exchange "${b.exchange}" in vhost ${v}`, exchangeNames(v), b.exchange);
    if (def.destinationType === 'queue' && !hasQueue(v, def.destination)) problem(['bindings', i, 'queue'], `no queue "${def.destination}" in vhost ${v}`, queueNames(v), def.destination);
    if (def.destinationType === 'exchange' && !hasExchange(v, def.destination)) problem(['bindings', i, 'toExchange'], `no exchange "${def.destination}" in vhost ${v}`, exchangeNames(v), def.destination);
    return def;
  });
  for (const [i, p] of (scenario.workload?.producers ?? []).entries()) {
    checkNodes(p.node, ['workload', 'producers', i, 'node']);
    const v = vhost(p.vhost);
    checkVhost(v, ['workload', 'producers', i, 'vhost']);
    if (!hasExchange(v, p.exchange ?? '')) problem(['workload', 'producers', i, 'exchange'], `no exchange "${p.exchange}" in vhost ${v}`, exchangeNames(v), p.exchange);
  }
  for (const [i, c] of (scenario.workload?.consumers ?? []).entries()) {
    checkNodes(c.node, ['workload', 'consumers', i, 'node']);
    const v = vhost(c.vhost);
    checkVhost(v, ['workload', 'consumers', i, 'vhost']);
    if (!hasQueue(v, c.queue)) problem(['workload', 'consumers', i, 'queue'], `no queue "${c.queue}" in vhost ${v}`, queueNames(v), c.queue);
    if (c.config?.exclusive === true) {
      // basic.consume exclusive is enforced by the queue's home node for its own clients only.
      const q = queues.find((d) => d.vhost === v && d.name === c.queue);
      const home = q?.node ?? nodes[0]!;
      const via = c.node === undefined ? [BROKER_NODE] : Array.isArray(c.node) ? c.node : [c.node];
      if (q?.quorum) problem(['workload', 'consumers', i, 'config', 'exclusive'], 'exclusive consumers are not modelled for quorum queues yet');
      else if (q && via.some((n) => n !== home)) problem(['workload', 'consumers', i, 'config', 'exclusive'], `an exclusive consumer must connect to queue ${c.queue}'s node ${home} (exclusive is not modelled through another node)`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const restrictedVhosts = (scenario.vhosts ?? []).filter((v) => v.permissions !== undefined).map((v) => v.name);
  const permissions: Permission[] = (scenario.vhosts ?? []).flatMap((v) => (v.permissions ?? []).map((p) => ({
    vhost: v.name, user: p.user, configure: p.configure ?? '', write: p.write ?? '', read: p.read ?? '',
  })));
  (scenario.vhosts ?? []).forEach((v, i) => (v.permissions ?? []).forEach((p, k) => {
    for (const kind of ['configure', 'write', 'read'] as const) {
      try {
        new RegExp(p[kind] ?? '');
      } catch {
        problem(['vhosts', i, 'permissions', k, kind], `permission ${kind} of ${p.user} is not a valid regex: ${p[kind]}`);
      }
    }
  }));
  if (problems.length > 0) throw new ConfigError(problems);
  return { vhosts, restrictedVhosts, permissions, exchanges, queues, bindings };
}
