/**
 * The "demo" system: the kernel demo that runs until the real Kafka, RabbitMQ and RocketMQ
 * models land. It is NOT a real message queue and models no real product: it is a deliberately
 * small single-broker store-and-forward queue, built honestly as actors over the simulated
 * network and disk, so that it shows the kernel's effects for real:
 *
 * - with `ack.after: receive`, Produces acknowledged before an fsync are lost when the broker's
 *   machine crashes (the page cache goes with it);
 * - a consumer crash mid-processing leaves its delivery unacked, and the visibility timeout
 *   redelivers it: a duplicate;
 * - a partition between a producer and the broker turns Produces into timeouts: `info`
 *   outcomes (unknown), some of them stored after all.
 *
 * Nodes: `broker` (role broker); one node per producer, named by its `id` (role producer); and
 * `${group}-c${i}` per consumer (role consumer; group default `consumers`, i from 1). The
 * protocol is in protocol.ts, the behaviour in broker.ts, producer.ts and consumer.ts.
 */
import type { History } from '../../sim/history.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import { formatDuration } from '../../sim/time.js';
import type { ProducerPlanSpec } from '../../sim/workload.js';
import type { World } from '../../sim/world.js';
import { LiveActors } from '../../sim/live-actors.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { DemoBroker, type BrokerStats } from './broker.js';
import { DemoConsumer } from './consumer.js';
import { DemoProducer } from './producer.js';
import {
  DEMO_DEFAULTS, demoParts, resolveClusterConfig, resolveConsumerConfig, resolveProducerConfig,
  type DemoClusterConfig, type DemoConsumerConfig, type DemoProducerConfig,
} from './schema.js';
import { DEMO_NOTES } from './notes.js';

export { demoParts } from './schema.js';
export type { DemoClusterConfig, DemoConsumerConfig, DemoProducerConfig } from './schema.js';

/** A producer of a validated demo scenario. */
export interface DemoProducerSpec extends CommonProducer {
  queue?: string;
  config?: DemoProducerConfig;
}

/** A consumer (group of `count` consumers) of a validated demo scenario. */
export interface DemoConsumerSpec extends CommonConsumer {
  queue?: string;
  config?: DemoConsumerConfig;
}

/** A validated demo scenario: what `scenarioSchema(demoModel.parts)` produces. */
export interface DemoScenario extends CommonScenario {
  system: 'demo';
  cluster?: { config?: DemoClusterConfig };
  workload?: { producers?: DemoProducerSpec[]; consumers?: DemoConsumerSpec[] };
}

export const demoModel: ModelDefinition<DemoScenario> = {
  parts: demoParts,
  notes: DEMO_NOTES,
  build(world: World, scenario: DemoScenario): ModelRun {
    const history: History = world.history;
    const cluster = resolveClusterConfig(scenario.cluster?.config);
    const stats: BrokerStats = { redeliveries: 0 };
    const lines: string[] = [];

    const live = new LiveActors(world);
    const track = <A extends object>(name: string, actor: A): A => live.track(name, actor);

    world.addNode('broker', () => track('broker', new DemoBroker(cluster, stats)), { roles: ['broker'] });
    lines.push(
      `broker: 1 node, ack.after=${cluster.ackAfter}, visibility.timeout=${formatDuration(cluster.visibilityTimeout)}, `
      + `max.deliveries.per.fetch=${cluster.maxDeliveriesPerFetch}`,
    );

    for (const spec of scenario.workload?.producers ?? []) {
      const config = resolveProducerConfig(spec.config);
      const queue = spec.queue ?? DEMO_DEFAULTS.queue;
      const plan: ProducerPlanSpec = {};
      if (spec.rate !== undefined) plan.rate = spec.rate;
      if (spec.count !== undefined) plan.count = spec.count;
      if (spec.keys !== undefined) plan.keys = spec.keys;
      if (spec.payload !== undefined) plan.payload = spec.payload;
      if (spec.start !== undefined) plan.start = spec.start;
      if (spec.stop !== undefined) plan.stop = spec.stop;
      const options = { plan, duration: scenario.duration, queue, config, history, ...(spec.outbox ? { outbox: spec.outbox } : {}) };
      world.addNode(spec.id, () => track(spec.id, new DemoProducer(options)), { roles: ['producer'] });
      const retry = spec.outbox
        ? `outbox resendAfter=${formatDuration(spec.outbox.resendAfter)}, maxAttempts=${spec.outbox.maxAttempts ?? 'unbounded'}`
        : `request.timeout=${formatDuration(config.requestTimeout)}, retries=${config.retries}`;
      lines.push(`producer ${spec.id}: -> ${queue}, ${retry}`);
    }

    const perGroup = new Map<string, number>();
    for (const spec of scenario.workload?.consumers ?? []) {
      const config = resolveConsumerConfig(spec.config);
      const group = spec.group ?? DEMO_DEFAULTS.group;
      const queue = spec.queue ?? DEMO_DEFAULTS.queue;
      const count = spec.count ?? DEMO_DEFAULTS.consumerCount;
      const first = (perGroup.get(group) ?? 0) + 1;
      perGroup.set(group, first - 1 + count);
      for (let i = first; i < first + count; i++) {
        const name = `${group}-c${i}`;
        const options = {
          group, queue, config, history,
          processing: spec.processing,
          failureRate: spec.failureRate ?? 0,
          idempotent: spec.idempotent ?? false,
          start: spec.start,
          stop: spec.stop,
          phase: () => world.phase,
        };
        world.addNode(name, () => track(name, new DemoConsumer(options)), { roles: ['consumer'] });
      }
      lines.push(
        `consumers ${group}: ${count} x <- ${queue}, ack=${config.ack}, poll.interval=${formatDuration(config.pollInterval)}`,
      );
    }

    return {
      describe: () => lines.slice(),
      counts: () => ({ redeliveries: stats.redeliveries }),
      retained: () => {
        const stored = new Set<string>();
        const broker = live.get('broker');
        if (broker instanceof DemoBroker) broker.storedMessages(stored);
        return stored;
      },
    };
  },
};
