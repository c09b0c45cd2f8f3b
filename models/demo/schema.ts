import { z } from 'zod';
import type { ModelScenarioParts } from '../../sim/scenario/schema.js';
import { duration, nonNegativeInt, positiveInt } from '../../sim/scenario/fields.js';
import type { Micros } from '../../sim/time.js';

/**
 * The demo system's part of the scenario schema. Every config key is optional; the defaults
 * are applied in code (DEMO_DEFAULTS and the resolve* functions below), so a scenario file
 * only writes what it changes and the JSON Schema shows the keys as optional.
 */

export const DEMO_DEFAULTS = {
  ackAfter: 'fsync' as 'receive' | 'fsync',
  visibilityTimeout: 30_000_000 as Micros,
  maxDeliveriesPerFetch: 10,
  queue: 'jobs',
  requestTimeout: 5_000_000 as Micros,
  retries: 0,
  consumerAck: 'after-processing' as 'after-processing' | 'before-processing',
  pollInterval: 100_000 as Micros,
  group: 'consumers',
  consumerCount: 1,
} as const;

export const demoClusterConfig = z.strictObject({
  'ack.after': z.enum(['receive', 'fsync']).optional().meta({
    description:
      'When the broker answers a Produce: "fsync" (default) after the record is fsynced (group commit), '
      + '"receive" at once, from the page cache (a machine crash can lose acknowledged messages).',
  }),
  'visibility.timeout': duration.optional().meta({
    description: 'How long a delivered message may stay unacknowledged before it is redelivered (default 30s).',
  }),
  'max.deliveries.per.fetch': positiveInt.optional().meta({
    description: 'The most messages the broker hands out in one FetchResponse (default 10).',
  }),
});

export const demoProducerConfig = z.strictObject({
  'request.timeout': duration.optional().meta({
    description: 'How long the producer waits for a ProduceResponse before retrying or giving up (default 5s).',
  }),
  retries: nonNegativeInt.optional().meta({
    description: 'How many times a timed-out Produce is resent with the same message id (default 0); a retry can duplicate.',
  }),
});

export const demoConsumerConfig = z.strictObject({
  ack: z.enum(['after-processing', 'before-processing']).optional().meta({
    description:
      'When the consumer sends its Ack: "after-processing" (default; at-least-once, a crash redelivers) '
      + 'or "before-processing" (at-most-once, a crash loses the work).',
  }),
  'poll.interval': duration.optional().meta({
    description: 'How long the consumer waits before the next Fetch after an empty one (default 100ms).',
  }),
});

const queueName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (no spaces)');

export const demoParts: ModelScenarioParts = {
  // Measured over the shipped scenarios: median events per delivery; background timers per node-second.
  cost: { eventsPerDelivery: 7.5, idleEventsPerNodeSecond: 20 },
  system: 'demo',
  description:
    'The kernel demo: a deliberately small single-broker store-and-forward queue (not a real MQ), '
    + 'to show acks before fsync lost on a crash, redelivery duplicates and timeouts under partitions.',
  clusterConfig: demoClusterConfig,
  producerFields: {
    queue: queueName.optional().meta({ description: 'The queue the producer sends to (default jobs).' }),
  },
  producerConfig: demoProducerConfig,
  consumerFields: {
    queue: queueName.optional().meta({ description: 'The queue the consumer fetches from (default jobs).' }),
  },
  consumerConfig: demoConsumerConfig,
  metrics: ['redeliveries'],
};

export type DemoClusterConfig = z.output<typeof demoClusterConfig>;
export type DemoProducerConfig = z.output<typeof demoProducerConfig>;
export type DemoConsumerConfig = z.output<typeof demoConsumerConfig>;

/** Cluster config with its defaults applied. */
export interface ResolvedClusterConfig {
  ackAfter: 'receive' | 'fsync';
  visibilityTimeout: Micros;
  maxDeliveriesPerFetch: number;
}

export interface ResolvedProducerConfig {
  requestTimeout: Micros;
  retries: number;
}

export interface ResolvedConsumerConfig {
  ack: 'after-processing' | 'before-processing';
  pollInterval: Micros;
}

export function resolveClusterConfig(config: DemoClusterConfig | undefined): ResolvedClusterConfig {
  return {
    ackAfter: config?.['ack.after'] ?? DEMO_DEFAULTS.ackAfter,
    visibilityTimeout: config?.['visibility.timeout'] ?? DEMO_DEFAULTS.visibilityTimeout,
    maxDeliveriesPerFetch: config?.['max.deliveries.per.fetch'] ?? DEMO_DEFAULTS.maxDeliveriesPerFetch,
  };
}

export function resolveProducerConfig(config: DemoProducerConfig | undefined): ResolvedProducerConfig {
  return {
    requestTimeout: config?.['request.timeout'] ?? DEMO_DEFAULTS.requestTimeout,
    retries: config?.retries ?? DEMO_DEFAULTS.retries,
  };
}

export function resolveConsumerConfig(config: DemoConsumerConfig | undefined): ResolvedConsumerConfig {
  return {
    ack: config?.ack ?? DEMO_DEFAULTS.consumerAck,
    pollInterval: config?.['poll.interval'] ?? DEMO_DEFAULTS.pollInterval,
  };
}
