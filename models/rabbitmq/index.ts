/**
 * The RabbitMQ model: one broker node `rabbit-1` (role broker) speaking AMQP 0-9-1 to producer
 * nodes (named by their `id`, role producer) and consumer nodes (`${group ?? queue}-c${i}`,
 * role consumer). The topology comes from the scenario's vhosts, exchanges, queues and bindings;
 * see broker.ts for the broker's behaviour, producer.ts and consumer.ts for the clients.
 */
import type { History } from '../../sim/history.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import { formatDuration } from '../../sim/time.js';
import type { ProducerPlanSpec } from '../../sim/workload.js';
import type { World } from '../../sim/world.js';
import { LiveActors } from '../../sim/live-actors.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { emptyStats, RabbitBroker, type Permission, type QueueDef } from './broker.js';
import { RabbitConsumer } from './consumer.js';
import { RabbitProducer } from './producer.js';
import { DelayedConfirmationBuilder } from './patterns/delayed-confirmation.js';
import { vhostKey, type BindingDef, type ExchangeDef } from './routing.js';
import {
  BROKER_NODE, RABBIT_DEFAULTS, rabbitParts, type BindingSpec, type ExchangeSpec, type HeaderValue, type QueueSpec,
  type RabbitClusterConfig, type RabbitConsumerConfig, type RabbitProducerConfig, type VhostSpec, type DelayedConfirmationSpec, type ConfirmToSpec,
} from './schema.js';

export * from './public.js';
export { rabbitParts, BROKER_NODE } from './schema.js';
export { RabbitBroker, emptyStats, updateDeaths, type RabbitStats, type QueueDef, type Permission } from './broker.js';
export { Topology, headersMatch, vhostKey, predeclaredExchanges, type ExchangeDef, type BindingDef } from './routing.js';

export interface RabbitProducerSpec extends CommonProducer {
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
  vhost?: string;
  user?: string;
  queue: string;
  confirmTo?: ConfirmToSpec;
  config?: RabbitConsumerConfig;
}

export interface RabbitScenario extends CommonScenario {
  system: 'rabbitmq';
  cluster?: { config?: RabbitClusterConfig };
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
  const queues: QueueDef[] = (scenario.queues ?? []).map((q, i) => {
    const def: QueueDef = {
      vhost: vhost(q.vhost), name: q.name, durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, args: q.arguments ?? {},
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
    const v = vhost(p.vhost);
    checkVhost(v, `workload.producers[${i}]`);
    if (!hasExchange(v, p.exchange ?? '')) problems.push(`workload.producers[${i}]: no exchange "${p.exchange}" in vhost ${v}`);
  }
  for (const [i, c] of (scenario.workload?.consumers ?? []).entries()) {
    const v = vhost(c.vhost);
    checkVhost(v, `workload.consumers[${i}]`);
    if (!hasQueue(v, c.queue)) problems.push(`workload.consumers[${i}]: no queue "${c.queue}" in vhost ${v}`);
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

/** `queue [key=value ...]` -> `queue=<queue> key=value ...` (a word with `=` passes through as a note filter). */
function noteFilters(arg: string, firstKey: string): string {
  return arg.split(/\s+/).filter((w) => w !== '').map((w) => (w.includes('=') ? w : `${firstKey}=${w}`)).join(' ');
}

function noteCondition(what: string, firstKey: string): (arg: string) => string {
  return (arg) => `note ${what} ${noteFilters(arg, firstKey)}`.trimEnd();
}

/**
 * Drill aliases (drill/conditions.ts): conditions named after what a class watches for, expanding
 * to the nodes and notes this model really writes; facts reading those notes.
 */
const rabbitDrill = {
  conditions: {
    /** `consumer-crashed jobs-c1`: the consumer node's crash. */
    'consumer-crashed': (arg: string) => `crash ${arg}`,
    'consumer-restarted': (arg: string) => `restart ${arg}`,
    /** `broker-crashed`: rabbit-1 goes down (the argument, if any, names the node). */
    'broker-crashed': (arg: string) => `crash ${arg || BROKER_NODE}`,
    'broker-restarted': (arg: string) => `restart ${arg || BROKER_NODE}`,
    /** `message-dead-lettered [queue] [reason=expired]`: a message left the queue for its x-dead-letter-exchange. */
    'message-dead-lettered': noteCondition('dead-lettered', 'queue'),
    /** `consumer-failed [requeue=true]`: a consumer failed a message (basic.nack / basic.reject follows unless autoAck). */
    'consumer-failed': noteCondition('processing-failed', 'msg'),
    /** `connection-dead [client]`: the broker gave up on a connection after missed heartbeats; its unacked deliveries are requeued. */
    'connection-dead': noteCondition('missed-heartbeats', 'client'),
    /** `queue-recovered [queue]`: a restarted broker rebuilt a durable queue from its message store. */
    'queue-recovered': noteCondition('queue-recovered', 'queue'),
    'broker-recovered': noteCondition('broker-recovered', 'queues'),
    /** `outbox-resend`: a producer republished a message still unconfirmed after resendAfter. */
    'outbox-resend': noteCondition('outbox-resend', 'msg'),
    'publish-nacked': noteCondition('publish-nacked', 'msg'),
    'message-returned': noteCondition('basic.return', 'msg'),
    'overflow-drop-head': noteCondition('overflow-drop-head', 'queue'),
    'overflow-reject': noteCondition('overflow-reject', 'queue'),
  },
  facts: {
    /** `{{recovered-messages}}`: messages the next (else last) recovered queue held (queue-recovered). */
    'recovered-messages': () => 'note queue-recovered messages',
    /** `{{dead-letter-reason}}`, `{{dead-letter-queue}}`, `{{dead-letter-exchange}}`, `{{dead-letter-key}}`: from the dead-lettered note. */
    'dead-letter-reason': () => 'note dead-lettered reason',
    'dead-letter-queue': () => 'note dead-lettered queue',
    'dead-letter-exchange': () => 'note dead-lettered dlx',
    'dead-letter-key': () => 'note dead-lettered routingKey',
    'dead-letter-msg': () => 'note dead-lettered msg',
    /** `{{resend-attempt}}` / `{{resent-msg}}`: the outbox's republish. */
    'resend-attempt': () => 'note outbox-resend attempt',
    'resent-msg': () => 'note outbox-resend msg',
    /** `{{silent-for}}`: how long the dead connection had been silent when the broker noticed. */
    'silent-for': () => 'note missed-heartbeats silentFor',
    'dead-client': () => 'note missed-heartbeats client',
  },
};

export const rabbitmqModel: ModelDefinition<RabbitScenario> = {
  parts: rabbitParts,
  drill: rabbitDrill,
  build(world: World, scenario: RabbitScenario): ModelRun {
    const history: History = world.history;
    const topology = topologyOf(scenario);
    const config = scenario.cluster?.config;
    const heartbeat = config?.heartbeat ?? RABBIT_DEFAULTS.heartbeat;
    const fsyncInterval = config?.['fsync.interval'] ?? RABBIT_DEFAULTS.fsyncInterval;
    const stats = emptyStats();
    const lines: string[] = [];
    const live = new LiveActors(world);
    const track = <A extends object>(name: string, actor: A): A => live.track(name, actor);
    const pattern = new DelayedConfirmationBuilder(topology);

    // Queue depths as gauges (sampled, shown by drills and reports; they do not enter the trace).
    let broker: RabbitBroker | null = null;
    world.onCrash((name) => {
      if (name === BROKER_NODE) broker = null;
    });
    for (const q of topology.queues) {
      const key = vhostKey(q.vhost, q.name);
      const label = q.vhost === RABBIT_DEFAULTS.vhost ? q.name : `${q.vhost}/${q.name}`;
      world.metrics.gauge(`depth.${label}`, () => broker?.queues.get(key)?.ready.count ?? 0);
      world.metrics.gauge(`unacked.${label}`, () => broker?.queues.get(key)?.unacked ?? 0);
    }
    const onStart = (live: RabbitBroker) => {
      broker = live;
    };
    world.addNode(BROKER_NODE, () => new RabbitBroker({ ...topology, heartbeat, fsyncInterval, stats, onStart }), { roles: ['broker'] });
    lines.push(
      `broker ${BROKER_NODE}: vhosts ${topology.vhosts.join(', ')}; ${topology.exchanges.length} exchanges, ${topology.queues.length} queues, `
      + `${topology.bindings.length} bindings; heartbeat=${formatDuration(heartbeat)}, fsync every ${formatDuration(fsyncInterval)}`,
    );
    for (const q of topology.queues) {
      const args = Object.entries(q.args).map(([k, v]) => `${k}=${typeof v === 'number' && k.endsWith('ttl') || k === 'x-expires' ? formatDuration(v as number) : String(v)}`);
      lines.push(`queue ${q.vhost === '/' ? '' : `${q.vhost}/`}${q.name}: ${q.durable ? 'durable' : 'transient'}${args.length ? `, ${args.join(', ')}` : ''}`);
    }

    for (const spec of scenario.workload?.producers ?? []) {
      const cfg = spec.config;
      const plan: ProducerPlanSpec = {};
      if (spec.rate !== undefined) plan.rate = spec.rate;
      if (spec.count !== undefined) plan.count = spec.count;
      if (spec.keys !== undefined) plan.keys = spec.keys;
      if (spec.payload !== undefined) plan.payload = spec.payload;
      if (spec.start !== undefined) plan.start = spec.start;
      if (spec.stop !== undefined) plan.stop = spec.stop;
      const exchange = spec.exchange ?? '';
      const routingKey = spec.routingKey ?? (spec.keys !== undefined ? '{key}' : '');
      const options = {
        plan, duration: scenario.duration, vhost: spec.vhost ?? RABBIT_DEFAULTS.vhost, user: spec.user ?? RABBIT_DEFAULTS.user, exchange, routingKey,
        mandatory: spec.mandatory ?? false, persistent: spec.persistent ?? false, expiration: spec.expiration, priority: spec.priority,
        headers: spec.headers, delay: spec.delay, delayBy: spec.delayBy ?? 'x-delay' as const,
        confirm: cfg?.confirm ?? false, confirmTimeout: cfg?.['confirm.timeout'] ?? RABBIT_DEFAULTS.confirmTimeout,
        heartbeat: cfg?.heartbeat ?? RABBIT_DEFAULTS.heartbeat, outbox: spec.outbox, history,
        delayedConfirmation: pattern.producer(spec.id, spec.vhost ?? RABBIT_DEFAULTS.vhost, spec.user ?? RABBIT_DEFAULTS.user, spec.delayedConfirmation),
        patternStats: pattern.stats,
      };
      world.addNode(spec.id, () => track(spec.id, new RabbitProducer(options)), { roles: ['producer'] });
      lines.push(
        `producer ${spec.id}: -> exchange "${exchange}" key "${routingKey}", ${options.persistent ? 'persistent' : 'transient'}`
        + `${options.mandatory ? ', mandatory' : ''}, confirm=${options.confirm}`
        + (spec.outbox ? `, outbox resendAfter=${formatDuration(spec.outbox.resendAfter)} maxAttempts=${spec.outbox.maxAttempts ?? 'unbounded'}` : ''),
      );
    }

    const perGroup = new Map<string, number>();
    for (const spec of scenario.workload?.consumers ?? []) {
      const cfg = spec.config;
      const group = spec.group ?? spec.queue;
      const count = spec.count ?? 1;
      const first = (perGroup.get(group) ?? 0) + 1;
      perGroup.set(group, first - 1 + count);
      const options = {
        vhost: spec.vhost ?? RABBIT_DEFAULTS.vhost, user: spec.user ?? RABBIT_DEFAULTS.user, queue: spec.queue, group,
        autoAck: cfg?.autoAck ?? false, exclusive: cfg?.exclusive ?? false, prefetch: cfg?.prefetch ?? RABBIT_DEFAULTS.prefetch, heartbeat: cfg?.heartbeat ?? RABBIT_DEFAULTS.heartbeat,
        requeue: cfg?.requeue ?? true, reject: cfg?.reject ?? false, ackEvery: cfg?.ackEvery ?? 1,
        processing: spec.processing, failureRate: spec.failureRate ?? 0, idempotent: spec.idempotent ?? false,
        start: spec.start, stop: spec.stop, history, phase: () => world.phase,
        confirmTo: pattern.consumer(`consumers ${group}`, spec.vhost ?? RABBIT_DEFAULTS.vhost, spec.confirmTo), patternStats: pattern.stats,
      };
      for (let i = first; i < first + count; i++) {
        const name = `${group}-c${i}`;
        world.addNode(name, () => track(name, new RabbitConsumer(options)), { roles: ['consumer'] });
      }
      lines.push(
        `consumers ${group}: ${count} x <- ${spec.queue}, ${options.autoAck ? 'autoAck' : 'manual ack'}, prefetch=${options.prefetch}${options.exclusive ? ', exclusive' : ''}`
        + (options.failureRate > 0 ? `, failures ${options.reject ? 'basic.reject' : 'basic.nack'} requeue=${options.requeue}` : ''),
      );
    }

    lines.push(...pattern.addServices((name, factory) => world.addNode(name, () => track(name, factory()), { roles: ['callback-service'] }), heartbeat));

    return {
      describe: () => lines.slice(),
      counts: () => ({ ...stats, ...pattern.stats }),
      retained: () => {
        const stored = new Set<string>();
        broker?.storedMessages(stored);
        return stored;
      },
    };
  },
};
