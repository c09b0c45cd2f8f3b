import { z } from 'zod';
import type { FlushPolicy } from '../disk.js';
import type { FaultStep } from '../faults.js';
import type { Distribution } from '../random.js';
import type { Micros } from '../time.js';
import type { ProducerPlanSpec } from '../workload.js';
import { parseExpectation, type Expectation } from './expect.js';
import {
  bandwidth, consumerCount, duration, durationDistribution, faultStep, faultStepForJsonSchema, positiveInt, probability, rate,
  size, sizeDistribution,
} from './fields.js';
import { BOUNDS } from './bounds.js';
import type { CostModel } from './cost.js';
import { closest } from './suggest.js';
import { registeredSections } from './sections.js';

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
  /** How the system turns messages into kernel events, for the cost estimate (measured on the shipped scenarios). */
  cost: CostModel;
}

/** Result metrics every system has, usable in `expect:`. */
export const COMMON_METRICS = [
  'sent', 'acked', 'failed', 'unknown', 'delivered', 'deliveries', 'lostAcked', 'unseen', 'stillQueued', 'duplicateDeliveries',
  'duplicatedMessages', 'reorders', 'pollSkips', 'nonmonotonicPolls', 'nonmonotonicSends', 'failedButDelivered',
  'unknownDelivered', 'abortedReads', 'nonAtomicReads',
  'latency.count', 'latency.mean', 'latency.p50', 'latency.p90', 'latency.p99', 'latency.p999', 'latency.max',
  'delay.count', 'delay.early', 'delay.p50', 'delay.p99', 'delay.max',
  'backlog.max', 'backlog.final',
  'events', 'virtualTime', 'network.sent', 'network.delivered', 'network.dropped', 'crashes',
] as const;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (no spaces)')
  .max(200, 'at most 200 characters');

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
  z.strictObject({ count: positiveInt, zipf: z.number().positive().optional() })
    .refine((k) => k.zipf === undefined || k.count <= BOUNDS.zipfKeys, {
      message: `with zipf, at most ${BOUNDS.zipfKeys.toLocaleString('en-US')} keys (the distribution's cumulative weights are kept in memory)`,
      path: ['count'],
    }),
], { error: 'expected a number of distinct keys (at most 2147483647), or { count: 100, zipf: 1.1 }' });

const limits = z.strictObject({
  maxEvents: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional()
    .meta({ description: 'Stop the run (exit 2) when it has processed this many events (default 200,000,000).' }),
  maxMessages: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional()
    .meta({ description: 'The run\'s message budget: refuse a scenario whose cost estimate is above it, and stop a run whose producers send more (default 50,000,000; mqsim run --max-messages overrides).' }),
});

function expectSchema(metrics: readonly string[]) {
  return z.record(z.string(), z.union([z.number(), z.string(), z.boolean()], { error: 'expected a number, or a comparison such as "> 0", "<= 100", "< 50ms"' })).transform((record, ctx): Expectation[] => {
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
  count: consumerCount.optional(),
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
    // Integers only, and only those a double keeps exactly: 2^53 and 2^53 + 1 would be the same run.
    seed: z.number({ error: 'expected an integer seed' }).int('expected an integer seed')
      .min(-Number.MAX_SAFE_INTEGER, 'at least -(2^53 - 1)').max(Number.MAX_SAFE_INTEGER, 'at most 2^53 - 1 (9007199254740991): larger integers are not kept exactly').optional(),
    duration,
    drain: duration.optional(),
    sampleEvery: duration.optional(),
    cluster: z.strictObject({ ...parts.clusterFields, config: parts.clusterConfig.optional() }).optional(),
    ...parts.sections,
    network: network.optional(),
    disk: disk.optional(),
    workload: z.strictObject({
      producers: z.array(producer).max(BOUNDS.consumers, `at most ${BOUNDS.consumers.toLocaleString('en-US')} producers`).optional(),
      consumers: z.array(consumer)
        .refine((groups) => groups.reduce((n, c) => n + (c.count ?? 1), 0) <= BOUNDS.consumers, `at most ${BOUNDS.consumers.toLocaleString('en-US')} consumers in all (the sum of the counts)`)
        .optional(),
    }).optional(),
    faults: z.array(options.forJsonSchema ? faultStepForJsonSchema : faultStep).optional(),
    expect: expectSchema(metrics).optional(),
    limits: limits.optional(),
    // Sections other layers own (check's explore: and property:, drill's drill:), registered with
    // sim/scenario/sections.ts: this layer validates them without knowing what they mean.
    ...registeredSections(options.forJsonSchema ?? false),
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

/**
 * The sections other layers register (sim/scenario/sections.ts) add their fields here by
 * declaration merging: `declare module '../sim/scenario/schema.js' { interface ScenarioSections { drill?: DrillSpec } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ScenarioSections {}

/** The common, system-independent part of a validated scenario (what the kernel needs). */
export interface CommonScenario extends ScenarioSections {
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
  limits?: { maxEvents?: number; maxMessages?: number };
}

export function flushPolicyOf(flush: 'os' | 'every-write' | { interval: Micros } | undefined): FlushPolicy | undefined {
  if (flush === undefined) return undefined;
  if (flush === 'os') return { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 };
  if (flush === 'every-write') return { kind: 'every-write' };
  return { kind: 'interval', every: flush.interval };
}
