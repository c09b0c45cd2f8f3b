import { z } from 'zod';
import type { FlushPolicy } from '../disk.js';
import type { FaultStep } from '../faults.js';
import type { Distribution } from '../random.js';
import type { Micros } from '../time.js';
import type { ProducerPlanSpec } from '../workload.js';
import { parseExpectation, type Expectation } from './expect.js';
import {
  bandwidth, duration, durationDistribution, faultStep, faultStepForJsonSchema, positiveInt, probability, rate,
  size, sizeDistribution,
} from './fields.js';
import { closest } from './suggest.js';
import { drillSection, type DrillSpec } from './drill-schema.js';

/**
 * The scenario file's schema: the common part (name, system, seed, duration, network, disk,
 * workload, faults, expect, limits) built around each model's own parts (its cluster config
 * with the real system's names and defaults, its sections such as topics or queues, its
 * producer and consumer fields). The models' registry assembles one schema per system.
 */
export interface ModelScenarioParts {
  system: string;
  description: string;
  /** `cluster.config`: the system's own config names, with their real defaults. */
  clusterConfig: z.ZodType;
  /** Other `cluster` keys (brokers, metadata mode...). */
  clusterFields?: z.ZodRawShape;
  /** Top-level sections of this system (topics, queues, exchanges...). */
  sections?: z.ZodRawShape;
  producerFields?: z.ZodRawShape;
  producerConfig: z.ZodType;
  consumerFields?: z.ZodRawShape;
  consumerConfig: z.ZodType;
  /** Extra metrics the model reports, usable in `expect:` (deadLettered, expired...). */
  metrics?: readonly string[];
}

/** Result metrics every system has, usable in `expect:`. */
export const COMMON_METRICS = [
  'sent', 'acked', 'failed', 'unknown', 'delivered', 'deliveries', 'lostAcked', 'unseen', 'stillQueued', 'duplicateDeliveries',
  'duplicatedMessages', 'reorders', 'pollSkips', 'nonmonotonicPolls', 'nonmonotonicSends', 'failedButDelivered',
  'unknownDelivered',
  'latency.count', 'latency.mean', 'latency.p50', 'latency.p90', 'latency.p99', 'latency.p999', 'latency.max',
  'delay.count', 'delay.early', 'delay.p50', 'delay.p99', 'delay.max',
  'backlog.max', 'backlog.final',
  'events', 'virtualTime', 'network.sent', 'network.delivered', 'network.dropped', 'crashes',
] as const;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (no spaces)');

const linkFields = {
  latency: durationDistribution.optional(),
  loss: probability.optional(),
  duplicate: probability.optional(),
  reorder: probability.optional(),
  bandwidth: bandwidth.optional(),
};

const network = z.strictObject({
  ...linkFields,
  /** Per-link overrides: from each of `from` to each of `to`. */
  links: z.array(z.strictObject({ from: z.array(z.string()).min(1), to: z.array(z.string()).min(1), ...linkFields })).optional(),
});

const flush = z.union([
  z.literal('os'),
  z.literal('every-write'),
  z.strictObject({ interval: duration }),
], { error: 'expected os (Linux writeback: every 5s, pages dirty for 30s), every-write, or { interval: 1s }' });

const disk = z.strictObject({
  fsync: durationDistribution.optional(),
  flush: flush.optional(),
  capacity: size.optional(),
});

const keys = z.union([
  positiveInt,
  z.strictObject({ count: positiveInt, zipf: z.number().positive().optional() }),
], { error: 'expected a number of distinct keys, or { count: 100, zipf: 1.1 }' });

const limits = z.strictObject({
  maxEvents: positiveInt.optional(),
  maxTime: duration.optional(),
});

/** Fault kinds `explore:` may generate (each heals itself or is healed by a later step). */
export const EXPLORABLE_FAULT_KINDS = ['crash', 'kill', 'pause', 'partition', 'slow-disk', 'disk-full', 'clock-skew'] as const;

/** What `mqsim check` may vary: fault schedules, config values, workload values. */
const explore = z.strictObject({
  runs: positiveInt.optional().meta({ description: 'Variants to run by default (mqsim check --runs overrides); default 100.' }),
  faults: z.strictObject({
    kinds: z.array(z.enum(EXPLORABLE_FAULT_KINDS)).min(1),
    max: positiveInt.optional().meta({ description: 'Most faults in one schedule (default 3).' }),
    nodes: z.array(z.string()).min(1).optional().meta({ description: 'Node names faults may hit.' }),
    roles: z.array(z.string()).min(1).optional().meta({ description: 'Roles whose nodes faults may hit (default: broker).' }),
    oneAtATime: z.boolean().optional().meta({ description: 'Each fault is healed before the next starts (default true).' }),
    window: z.tuple([duration, duration]).optional().meta({ description: 'When faults may start (default: the whole safety phase).' }),
    for: z.tuple([duration, duration]).optional().meta({ description: 'How long a fault lasts before it heals (default [1s, 10s]).' }),
    spacing: duration.optional().meta({ description: 'One at a time: quiet time after a fault heals before the next starts (default 0s), so the system can recover.' }),
    keepPageCache: z.boolean().optional().meta({ description: 'Crashes and kills are process kills that keep the page cache (default false: machine crashes lose unflushed writes).' }),
  }).optional(),
  config: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional()
    .meta({ description: 'cluster.config keys and the values to try for each.' }),
  workload: z.strictObject({
    producers: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
    consumers: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
  }).optional().meta({ description: 'Producer and consumer fields and the values to try, applied to every producer / consumer.' }),
});

export const PROPERTY_NAMES = ['noLostAcked', 'noDuplicates', 'orderedPerKey'] as const;

/** The guarantees `mqsim check` searches counterexamples for. */
const property = z.array(z.union([
  z.enum(PROPERTY_NAMES),
  z.strictObject({ delayWithin: z.number().positive() }),
  z.strictObject({ latencyBelow: z.strictObject({ p: z.union([z.literal(50), z.literal(90), z.literal(99), z.literal(999)]), limit: duration }) }),
], { error: `expected one of ${PROPERTY_NAMES.join(', ')}, { delayWithin: 0.1 }, { latencyBelow: { p: 99, limit: 50ms } }` })).min(1);

function expectSchema(metrics: readonly string[]) {
  return z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).transform((record, ctx): Expectation[] => {
    const out: Expectation[] = [];
    for (const [metric, raw] of Object.entries(record)) {
      if (!metrics.includes(metric)) {
        const guess = closest(metric, metrics);
        ctx.addIssue({
          code: 'custom',
          path: [metric],
          message: `unknown metric "${metric}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          params: { allowed: metrics, unknownKey: metric },
        });
        continue;
      }
      try {
        out.push(parseExpectation(metric, raw));
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [metric], message: (error as Error).message });
      }
    }
    return out;
  });
}

/**
 * The fields every system's producers have, before the model's own target fields and config.
 * The one producer schema: scenario files and the logical workload of compare files both use it.
 */
export const COMMON_PRODUCER_FIELDS = {
  id: name,
  rate: rate.optional(),
  count: positiveInt.optional(),
  keys: keys.optional(),
  payload: sizeDistribution.optional(),
  start: duration.optional(),
  stop: duration.optional(),
  /** The outbox pattern: keep every message until confirmed, resend the unconfirmed after `resendAfter`. */
  outbox: z.strictObject({ resendAfter: duration, maxAttempts: positiveInt.optional() }).optional(),
};

/** A producer sends at a rate, a count of messages, or both. */
export const hasRateOrCount = (p: { rate?: number | undefined; count?: number | undefined }): boolean => p.rate !== undefined || p.count !== undefined;
export const RATE_OR_COUNT = { message: 'a producer needs a rate (1000/s), a count, or both' };

/** The fields every system's consumer groups have: the one consumer schema (scenario and compare files). */
export const COMMON_CONSUMER_FIELDS = {
  group: name.optional(),
  count: positiveInt.optional(),
  processing: durationDistribution.optional(),
  failureRate: probability.optional(),
  idempotent: z.boolean().optional(),
  start: duration.optional(),
  stop: duration.optional(),
};

/** Builds the schema of one system's scenario files. `forJsonSchema` swaps in representable variants. */
export function scenarioSchema(parts: ModelScenarioParts, options: { forJsonSchema?: boolean } = {}) {
  const producer = z.strictObject({
    ...COMMON_PRODUCER_FIELDS,
    ...parts.producerFields,
    config: parts.producerConfig.optional(),
  }).refine(hasRateOrCount, RATE_OR_COUNT);
  const consumer = z.strictObject({
    ...COMMON_CONSUMER_FIELDS,
    ...parts.consumerFields,
    config: parts.consumerConfig.optional(),
  });
  const metrics = [...COMMON_METRICS, ...(parts.metrics ?? [])];
  return z.strictObject({
    name,
    description: z.string().optional(),
    system: z.literal(parts.system),
    seed: z.union([z.number().int(), z.string()], { error: 'expected an integer or a string' }).optional(),
    duration,
    drain: duration.optional(),
    sampleEvery: duration.optional(),
    cluster: z.strictObject({ ...parts.clusterFields, config: parts.clusterConfig.optional() }).optional(),
    ...parts.sections,
    network: network.optional(),
    disk: disk.optional(),
    workload: z.strictObject({
      producers: z.array(producer).optional(),
      consumers: z.array(consumer).optional(),
    }).optional(),
    faults: z.array(options.forJsonSchema ? faultStepForJsonSchema : faultStep).optional(),
    expect: expectSchema(metrics).optional(),
    limits: limits.optional(),
    explore: explore.optional(),
    property: property.optional(),
    drill: drillSection.optional(),
  }).meta({ description: parts.description });
}

/** The fields every system's producers have (a model adds its own target fields and config). */
export interface CommonProducer extends ProducerPlanSpec {
  id: string;
  /** The outbox pattern: keep every message until confirmed, resend the unconfirmed after `resendAfter`. */
  outbox?: { resendAfter: Micros; maxAttempts?: number };
}

/** The fields every system's consumer groups have. */
export interface CommonConsumer {
  group?: string;
  count?: number;
  processing?: Distribution;
  failureRate?: number;
  idempotent?: boolean;
  start?: Micros;
  stop?: Micros;
}

/** The common, system-independent part of a validated scenario (what the kernel needs). */
export interface CommonScenario {
  name: string;
  description?: string;
  system: string;
  seed?: number | string;
  duration: Micros;
  drain?: Micros;
  sampleEvery?: Micros;
  network?: {
    latency?: Distribution; loss?: number; duplicate?: number; reorder?: number; bandwidth?: number;
    links?: { from: string[]; to: string[]; latency?: Distribution; loss?: number; duplicate?: number; reorder?: number; bandwidth?: number }[];
  };
  disk?: { fsync?: Distribution; flush?: 'os' | 'every-write' | { interval: Micros }; capacity?: number };
  faults?: FaultStep[];
  expect?: Expectation[];
  limits?: { maxEvents?: number; maxTime?: Micros };
  explore?: ExploreSpec;
  property?: PropertySpec[];
  drill?: DrillSpec;
}

export interface ExploreSpec {
  runs?: number;
  faults?: {
    kinds: (typeof EXPLORABLE_FAULT_KINDS)[number][];
    max?: number;
    nodes?: string[];
    roles?: string[];
    oneAtATime?: boolean;
    window?: [Micros, Micros];
    for?: [Micros, Micros];
    spacing?: Micros;
    keepPageCache?: boolean;
  };
  config?: Record<string, (string | number | boolean)[]>;
  workload?: { producers?: Record<string, (string | number | boolean)[]>; consumers?: Record<string, (string | number | boolean)[]> };
}

export type PropertySpec =
  | (typeof PROPERTY_NAMES)[number]
  | { delayWithin: number }
  | { latencyBelow: { p: 50 | 90 | 99 | 999; limit: Micros } };

export function flushPolicyOf(flush: 'os' | 'every-write' | { interval: Micros } | undefined): FlushPolicy | undefined {
  if (flush === undefined) return undefined;
  if (flush === 'os') return { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 };
  if (flush === 'every-write') return { kind: 'every-write' };
  return { kind: 'interval', every: flush.interval };
}
