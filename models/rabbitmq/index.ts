/**
 * The RabbitMQ model: broker nodes `rabbit-1..rabbit-N` (cluster.brokers, default 1; role broker)
 * speaking AMQP 0-9-1 to producer nodes (named by their `id`, role producer) and consumer nodes
 * (`${group ?? queue}-c${i}`, role consumer), each client connected to the node(s) its `node:`
 * names (default rabbit-1). The topology comes from the scenario's vhosts, exchanges, queues and
 * bindings; see broker.ts for the broker's behaviour, producer.ts and consumer.ts for the
 * clients, cluster/node.ts for a cluster node (net_ticktime, partition handling), cluster/link.ts
 * for queues served by other nodes and quorum queues, quorum/raft.ts and quorum/fifo.ts for Raft
 * and the quorum queue's state machine. A lone node (brokers 1) is the broker actor itself.
 */
import type { History } from '../../sim/history.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import { formatDuration } from '../../sim/time.js';
import type { ProducerPlanSpec } from '../../sim/workload.js';
import type { World } from '../../sim/world.js';
import { LiveActors } from '../../sim/live-actors.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { emptyStats, RabbitBroker, type Permission, type QueueDef } from './broker.js';
import { RabbitNode, type PartitionHandling } from './cluster/node.js';
import { RabbitConsumer } from './consumer.js';
import { RabbitProducer } from './producer.js';
import { DelayedConfirmationBuilder } from './patterns/delayed-confirmation.js';
import { vhostKey, type BindingDef, type ExchangeDef } from './routing.js';
import {
  BROKER_NODE, QUORUM_DEFAULTS, RABBIT_DEFAULTS, rabbitParts, type BindingSpec, type ExchangeSpec, type HeaderValue, type QueueSpec,
  type RabbitClusterConfig, type RabbitConsumerConfig, type RabbitProducerConfig, type VhostSpec, type DelayedConfirmationSpec, type ConfirmToSpec,
} from './schema.js';

export * from './public.js';
export { rabbitParts, BROKER_NODE } from './schema.js';
export { RabbitBroker, emptyStats, updateDeaths, type RabbitStats, type QueueDef, type Permission } from './broker.js';
export { Topology, headersMatch, vhostKey, predeclaredExchanges, type ExchangeDef, type BindingDef } from './routing.js';

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
  cluster?: { brokers?: number; config?: RabbitClusterConfig };
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
    /** `consumer-activated [queue]`: x-single-active-consumer made a consumer the active one (the first, or a standby after a failover: the note has `after`). */
    'consumer-activated': noteCondition('sac-active', 'queue'),
    /** `check-unconfirmed [msg]`: the delayed-confirmation callback service found no confirmation for a checked message and asked for a resend. */
    'check-unconfirmed': noteCondition('delayed-check-unconfirmed', 'msg'),
    'confirmation-resend': noteCondition('delayed-confirmation-resend', 'msg'),
    /** `quorum-leader-elected [queue=/|orders] [leader=rabbit-2]`: a quorum queue member won an election. */
    'quorum-leader-elected': noteCondition('ra-leader-elected', 'queue'),
    /** `node-down [node=rabbit-1]`: a node saw a peer down (net_ticktime). */
    'node-down': noteCondition('nodedown', 'node'),
    'partition-detected': noteCondition('partition-detected', 'peer'),
    /** `minority-paused [node=rabbit-3]`: pause_minority stopped (or restarted) a node's RabbitMQ application. */
    'minority-paused': noteCondition('pause_minority', 'node'),
    'autoheal': noteCondition('autoheal', 'node'),
    /** `delivery-limit [queue]`: a quorum queue message was returned more than x-delivery-limit times. */
    'delivery-limit': noteCondition('delivery-limit', 'queue'),
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
    /** `{{new-leader}}`, `{{leader-term}}`: from the next (else last) ra-leader-elected note. */
    'new-leader': () => 'note ra-leader-elected leader',
    'leader-term': () => 'note ra-leader-elected term',
    'autoheal-losers': () => 'note autoheal losers',
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
    const nodes = rabbitNodes(scenario);
    const brokers = new Map<string, RabbitBroker>();
    world.onCrash((name) => {
      brokers.delete(name);
    });
    const onStart = (live: RabbitBroker) => {
      brokers.set(live.ctx.name, live);
    };
    // Control plane for drills and reports: each quorum queue's members, leader and term.
    const quorumQueues = topology.queues.filter((q) => q.quorum);
    // (Only with quorum queues: a store's initial state goes into the trace.)
    type LeaderState = { queues: Record<string, { members: string[]; leader: string | null; term: number }> };
    const initial: LeaderState = { queues: Object.fromEntries(quorumQueues.map((q) => [q.name, { members: [...(q.members ?? [])], leader: null, term: 0 }])) };
    const leaders = quorumQueues.length > 0 ? world.store<LeaderState>('rabbitmq-queues', initial) : { state: initial, update: () => [] };
    const onLeader = (key: string, leader: string, term: number) => {
      const name = key.slice(key.indexOf('|') + 1);
      if ((leaders.state.queues[name]?.term ?? 0) > term) return;
      leaders.update((draft) => {
        const q = draft.queues[name];
        if (q) {
          q.leader = leader;
          q.term = term;
        }
      }, 'leader-elected');
    };
    const leaderBroker = (key: string) => {
      const name = key.slice(key.indexOf('|') + 1);
      const leader = leaders.state.queues[name]?.leader;
      const b = leader ? brokers.get(leader) : undefined;
      return b?.link?.members.get(key)?.raft.role === 'leader' ? b.link.members.get(key) : undefined;
    };
    for (const q of topology.queues) {
      const key = vhostKey(q.vhost, q.name);
      const label = q.vhost === RABBIT_DEFAULTS.vhost ? q.name : `${q.vhost}/${q.name}`;
      if (q.quorum) {
        world.metrics.gauge(`depth.${label}`, () => leaderBroker(key)?.fifo.ready.count ?? 0);
        world.metrics.gauge(`unacked.${label}`, () => leaderBroker(key)?.fifo.checkedOut ?? 0);
        continue;
      }
      const home = q.node ?? BROKER_NODE;
      world.metrics.gauge(`depth.${label}`, () => brokers.get(home)?.queues.get(key)?.ready.count ?? 0);
      world.metrics.gauge(`unacked.${label}`, () => brokers.get(home)?.queues.get(key)?.unacked ?? 0);
    }
    const clustered = nodes.length > 1;
    const partitionHandling: PartitionHandling = config?.cluster_partition_handling ?? 'ignore';
    const netTicktime = config?.net_ticktime ?? QUORUM_DEFAULTS.netTicktime;
    const quorum = {
      electionTimeout: config?.['quorum.election.timeout'] ?? QUORUM_DEFAULTS.electionTimeout,
      heartbeat: config?.['quorum.heartbeat'] ?? QUORUM_DEFAULTS.heartbeat,
      commandTimeout: config?.['quorum.command.timeout'] ?? QUORUM_DEFAULTS.commandTimeout,
    };
    for (const name of nodes) {
      if (!clustered) {
        // One node: the broker is the node's actor (no net ticks), as before clustering existed.
        const options = { ...topology, heartbeat, fsyncInterval, stats, onStart, ...(quorumQueues.length > 0 ? { quorum, onLeader } : {}) };
        world.addNode(name, () => new RabbitBroker(options), { roles: ['broker'] });
        continue;
      }
      world.addNode(name, () => new RabbitNode(nodes, netTicktime, partitionHandling, (view) => new RabbitBroker({
        ...topology, heartbeat, fsyncInterval, stats, onStart, cluster: view, quorum, onLeader,
      }), (app) => {
        if (app === null) brokers.delete(name);
      }), { roles: ['broker'] });
    }
    if (quorumQueues.length > 0) world.registerSelector('leader-of', (arg) => {
      const q = arg === undefined ? undefined : leaders.state.queues[arg];
      if (q === undefined) throw new Error(`leader-of needs a quorum queue, e.g. { leader-of: ${quorumQueues[0]?.name ?? 'orders'} }`);
      return q.leader === null ? [] : [q.leader];
    }, (arg) => (arg === undefined || leaders.state.queues[arg] === undefined
      ? `needs a quorum queue (${quorumQueues.map((q) => q.name).join(', ') || 'none declared'})` : null));
    lines.push(
      `broker${clustered ? 's' : ''} ${nodes.join(', ')}: vhosts ${topology.vhosts.join(', ')}; ${topology.exchanges.length} exchanges, ${topology.queues.length} queues, `
      + `${topology.bindings.length} bindings; heartbeat=${formatDuration(heartbeat)}, fsync every ${formatDuration(fsyncInterval)}`
      + (clustered ? `; cluster_partition_handling=${partitionHandling}, net_ticktime=${formatDuration(netTicktime)}` : ''),
    );
    for (const q of topology.queues) {
      const args = Object.entries(q.args).map(([k, v]) => `${k}=${typeof v === 'number' && k.endsWith('ttl') || k === 'x-expires' ? formatDuration(v as number) : String(v)}`);
      const where = q.quorum ? ` on ${(q.members ?? []).join(', ')}` : clustered ? ` on ${q.node ?? BROKER_NODE}` : '';
      lines.push(`queue ${q.vhost === '/' ? '' : `${q.vhost}/`}${q.name}: ${q.durable ? 'durable' : 'transient'}${where}${args.length ? `, ${args.join(', ')}` : ''}`);
    }
    const clientNodes = (node: string | string[] | undefined): string[] => (node === undefined ? [BROKER_NODE] : Array.isArray(node) ? node : [node]);

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
        // The run ends at duration + drain (simulate.ts's default drain 30s) at the latest, or at the time guard.
        horizon: Math.max(scenario.duration + (scenario.drain ?? 30_000_000), world.kernel.maxTime),
        heartbeat: cfg?.heartbeat ?? RABBIT_DEFAULTS.heartbeat, outbox: spec.outbox, history,
        delayedConfirmation: pattern.producer(spec.id, spec.vhost ?? RABBIT_DEFAULTS.vhost, spec.user ?? RABBIT_DEFAULTS.user, spec.delayedConfirmation),
        patternStats: pattern.stats,
      };
      const producerNodes = clientNodes(spec.node);
      world.addNode(spec.id, () => {
        const producer = new RabbitProducer(options);
        producer.brokers = producerNodes;
        return track(spec.id, producer);
      }, { roles: ['producer'] });
      lines.push(
        `producer ${spec.id}: -> exchange "${exchange}" key "${routingKey}", ${options.persistent ? 'persistent' : 'transient'}`
        + `${options.mandatory ? ', mandatory' : ''}, confirm=${options.confirm}`
        + (spec.outbox ? `, outbox resendAfter=${formatDuration(spec.outbox.resendAfter)} maxAttempts=${spec.outbox.maxAttempts ?? 'unbounded'}` : ''),
      );
    }

    const perGroup = new Map<string, number>();
    /** The idempotent consumers' processed-ids tables, one per group. */
    const dedupeTables = new Map<string, Set<string>>();
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
        processing: spec.processing, failureRate: spec.failureRate ?? 0, stats,
        dedupe: spec.idempotent ? (dedupeTables.get(group) ?? dedupeTables.set(group, new Set()).get(group)!) : null,
        start: spec.start, stop: spec.stop, history, phase: () => world.phase,
        confirmTo: pattern.consumer(`consumers ${group}`, spec.vhost ?? RABBIT_DEFAULTS.vhost, spec.confirmTo), patternStats: pattern.stats,
      };
      for (let i = first; i < first + count; i++) {
        const name = `${group}-c${i}`;
        const consumerNodes = clientNodes(spec.node);
        world.addNode(name, () => {
          const consumer = new RabbitConsumer(options);
          consumer.brokers = consumerNodes;
          return track(name, consumer);
        }, { roles: ['consumer'] });
      }
      lines.push(
        `consumers ${group}: ${count} x <- ${spec.queue}, ${options.autoAck ? 'autoAck' : 'manual ack'}, prefetch=${options.prefetch}${options.exclusive ? ', exclusive' : ''}`
        + (options.failureRate > 0 ? `, failures ${options.reject ? 'basic.reject' : 'basic.nack'} requeue=${options.requeue}` : ''),
      );
    }

    lines.push(...pattern.addServices((name, factory) => world.addNode(name, () => track(name, factory()), { roles: ['callback-service'] }), heartbeat));

    return {
      describe: () => [
        ...lines,
        ...quorumQueues.map((q) => {
          const s = leaders.state.queues[q.name]!;
          return `quorum queue ${q.name}: leader ${s.leader ?? 'none'} (term ${s.term}) at the end`;
        }),
      ],
      counts: () => ({ ...stats, ...pattern.stats }),
      retained: () => {
        const stored = new Set<string>();
        for (const b of brokers.values()) b.storedMessages(stored);
        return stored;
      },
    };
  },
};
