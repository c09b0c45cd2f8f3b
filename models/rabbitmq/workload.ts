import type { ProducerPlanSpec } from '../../sim/workload.js';
import type { World } from '../../sim/world.js';
import { formatDuration } from '../../sim/time.js';
import { RabbitConsumer } from './consumer.js';
import type { DelayedConfirmationBuilder } from './patterns/delayed-confirmation.js';
import { RabbitProducer } from './producer.js';
import type { RabbitScenario } from './scenario.js';
import { BROKER_NODE, RABBIT_DEFAULTS } from './schema.js';
import type { RabbitStats } from './stats.js';

/**
 * The scenario's workload as client nodes: a producer node per `workload.producers` entry (named
 * by its id) and `count` consumer nodes per `workload.consumers` entry (`${group ?? queue}-c${i}`),
 * each connected to the node(s) its `node:` names (default rabbit-1). Each function returns
 * the lines describing what it added.
 */
export interface ClientsBuild {
  readonly world: World;
  readonly scenario: RabbitScenario;
  readonly stats: RabbitStats;
  readonly pattern: DelayedConfirmationBuilder;
  /** Wraps each client's factory so LiveActors follows it across crashes (phase changes). */
  readonly track: <A extends object>(name: string, actor: A) => A;
}

const clientNodes = (node: string | string[] | undefined): string[] => (node === undefined ? [BROKER_NODE] : Array.isArray(node) ? node : [node]);

export function addProducers({ world, scenario, pattern, track }: ClientsBuild): string[] {
  const history = world.history;
  const lines: string[] = [];
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
  return lines;
}

export function addConsumers({ world, scenario, stats, pattern, track }: ClientsBuild): string[] {
  const history = world.history;
  const lines: string[] = [];
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

  return lines;
}
