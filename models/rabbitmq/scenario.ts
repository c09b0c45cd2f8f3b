import type { RabbitVersion } from './version.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import type { Permission } from './broker/connection.js';
import type { BindingDef, ExchangeDef } from './broker/exchange-routing.js';
import type { QueueDef } from './broker/queue-process.js';
import {
  BROKER_NODE, QUORUM_DEFAULTS, RABBIT_DEFAULTS, type BindingSpec, type ExchangeSpec, type HeaderValue, type QueueSpec,
  type RabbitClusterConfig, type RabbitConsumerConfig, type RabbitProducerConfig, type VhostSpec, type DelayedConfirmationSpec, type ConfirmToSpec,
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
  workload?: { producers?: RabbitProducerSpec[]; consumers?: RabbitConsumerSpec[] };
}

/** The scenario's topology as definitions, checked for dangling names. Throws on a bad reference. */
export function topologyOf(scenario: RabbitScenario): {
  vhosts: string[]; restrictedVhosts: string[]; permissions: Permission[]; exchanges: ExchangeDef[]; queues: QueueDef[]; bindings: BindingDef[];
} {
  const vhost = (v: string | undefined) => v ?? RABBIT_DEFAULTS.vhost;
  const vhosts = scenario.vhosts?.map((v) => v.name) ?? [RABBIT_DEFAULTS.vhost];
  const problems: string[] = [];
  const checkVhost = (v: string, where: string) => {
    if (!vhosts.includes(v)) problems.push(`${where}: no vhost "${v}" (vhosts: ${vhosts.join(', ')})`);
  };
  const exchanges: ExchangeDef[] = (scenario.exchanges ?? []).map((e, i) => {
    const def: ExchangeDef = {
      vhost: vhost(e.vhost), name: e.name, type: e.type, durable: e.durable ?? RABBIT_DEFAULTS.exchangeDurable, internal: e.internal ?? false,
      ...(e.arguments?.['alternate-exchange'] !== undefined ? { alternateExchange: e.arguments['alternate-exchange'] } : {}),
      ...(e.arguments?.['x-delayed-type'] !== undefined ? { delayedType: e.arguments['x-delayed-type'] } : {}),
    };
    checkVhost(def.vhost, `exchanges[${i}]`);
    if (e.type === 'x-delayed-message' && def.delayedType === undefined) problems.push(`exchanges[${i}]: an x-delayed-message exchange needs arguments.x-delayed-type`);
    return def;
  });
  const nodes = rabbitNodes(scenario);
  const checkNodes = (names: string | string[] | undefined, where: string) => {
    for (const n of names === undefined ? [] : Array.isArray(names) ? names : [names]) {
      if (!nodes.includes(n)) problems.push(`${where}: no node "${n}" (nodes: ${nodes.join(', ')}; cluster.brokers sets how many)`);
    }
  };
  const queues: QueueDef[] = (scenario.queues ?? []).map((q, i) => {
    checkNodes(q.node, `queues[${i}].node`);
    const home = q.node !== undefined && nodes.includes(q.node) ? q.node : nodes[0]!;
    const quorum = q.arguments?.['x-queue-type'] === 'quorum';
    const size = Math.min(nodes.length, q.arguments?.['x-quorum-initial-group-size'] ?? QUORUM_DEFAULTS.initialGroupSize);
    const from = nodes.indexOf(home);
    const def: QueueDef = {
      vhost: vhost(q.vhost), name: q.name, durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, args: q.arguments ?? {},
      ...(quorum ? { quorum: true, members: Array.from({ length: size }, (_, k) => nodes[(from + k) % nodes.length]!) } : {}),
      ...(q.node !== undefined || quorum ? { node: home } : {}),
    };
    checkVhost(def.vhost, `queues[${i}]`);
    return def;
  });
  const hasExchange = (v: string, name: string) => name === '' || name.startsWith('amq.') || exchanges.some((e) => e.vhost === v && e.name === name);
  const hasQueue = (v: string, name: string) => queues.some((q) => q.vhost === v && q.name === name);
  exchanges.forEach((e, i) => {
    if (e.alternateExchange !== undefined && !hasExchange(e.vhost, e.alternateExchange)) problems.push(`exchanges[${i}]: no alternate-exchange "${e.alternateExchange}" in vhost ${e.vhost}`);
  });
  const bindings: BindingDef[] = (scenario.bindings ?? []).map((b, i) => {
    const v = vhost(b.vhost);
    const def: BindingDef = {
      vhost: v, source: b.exchange, destination: b.queue ?? b.toExchange!, destinationType: b.queue !== undefined ? 'queue' : 'exchange',
      routingKey: b.routingKey ?? '', arguments: b.arguments ?? {},
    };
    if (b.exchange === '') problems.push(`bindings[${i}]: the default exchange cannot be bound to`);
    else if (!hasExchange(v, b.exchange)) problems.push(`bindings[${i}]: no exchange "${b.exchange}" in vhost ${v}`);
    if (def.destinationType === 'queue' && !hasQueue(v, def.destination)) problems.push(`bindings[${i}]: no queue "${def.destination}" in vhost ${v}`);
    if (def.destinationType === 'exchange' && !hasExchange(v, def.destination)) problems.push(`bindings[${i}]: no exchange "${def.destination}" in vhost ${v}`);
    return def;
  });
  for (const [i, p] of (scenario.workload?.producers ?? []).entries()) {
    checkNodes(p.node, `workload.producers[${i}].node`);
    const v = vhost(p.vhost);
    checkVhost(v, `workload.producers[${i}]`);
    if (!hasExchange(v, p.exchange ?? '')) problems.push(`workload.producers[${i}]: no exchange "${p.exchange}" in vhost ${v}`);
  }
  for (const [i, c] of (scenario.workload?.consumers ?? []).entries()) {
    checkNodes(c.node, `workload.consumers[${i}].node`);
    const v = vhost(c.vhost);
    checkVhost(v, `workload.consumers[${i}]`);
    if (!hasQueue(v, c.queue)) problems.push(`workload.consumers[${i}]: no queue "${c.queue}" in vhost ${v}`);
    if (c.config?.exclusive === true) {
      // basic.consume exclusive is enforced by the queue's home node for its own clients only.
      const q = queues.find((d) => d.vhost === v && d.name === c.queue);
      const home = q?.node ?? nodes[0]!;
      const via = c.node === undefined ? [BROKER_NODE] : Array.isArray(c.node) ? c.node : [c.node];
      if (q?.quorum) problems.push(`workload.consumers[${i}]: exclusive consumers are not modelled for quorum queues yet`);
      else if (q && via.some((n) => n !== home)) problems.push(`workload.consumers[${i}]: an exclusive consumer must connect to queue ${c.queue}'s node ${home} (exclusive is not modelled through another node)`);
    }
  }
  if (problems.length > 0) throw new Error(`rabbitmq topology:\n  ${problems.join('\n  ')}`);
  const restrictedVhosts = (scenario.vhosts ?? []).filter((v) => v.permissions !== undefined).map((v) => v.name);
  const permissions: Permission[] = (scenario.vhosts ?? []).flatMap((v) => (v.permissions ?? []).map((p) => ({
    vhost: v.name, user: p.user, configure: p.configure ?? '', write: p.write ?? '', read: p.read ?? '',
  })));
  for (const p of permissions) {
    for (const kind of ['configure', 'write', 'read'] as const) {
      try {
        new RegExp(p[kind]);
      } catch {
        problems.push(`vhosts ${p.vhost}: permission ${kind} of ${p.user} is not a valid regex: ${p[kind]}`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`rabbitmq topology:\n  ${problems.join('\n  ')}`);
  return { vhosts, restrictedVhosts, permissions, exchanges, queues, bindings };
}
