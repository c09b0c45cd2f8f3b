import { z } from 'zod';
import { FAULT_KINDS, type FaultStep, type Target } from '../faults.js';
import { DISTRIBUTION_KINDS, type Distribution } from '../random.js';
import { DURATION_UNITS, parseDuration, type Micros } from '../time.js';
import { parseRate, parseSize, SIZE_UNIT_NAMES } from '../units.js';
import { BOUNDS } from './bounds.js';
import { closest } from './suggest.js';

/**
 * zod schemas for the values scenario files write: durations, sizes, rates, probabilities,
 * distributions, fault steps. Each accepts the text form and produces the number the kernel
 * uses; the JSON Schema (io: 'input') shows the text form so editors autocomplete it.
 */

const DURATION_HINT = `a duration such as 250ms, 5s, 2m, 1h (units: ${DURATION_UNITS.join(', ')})`;

/** The longest duration a file may write: virtual time must stay an exact integer of microseconds. */
function boundedDuration(micros: Micros, text: string): Micros {
  if (!(micros <= BOUNDS.durationMicros)) throw new Error(`duration "${text}" is longer than the longest allowed, ${BOUNDS.durationMicros / 86_400_000_000}d`);
  return micros;
}

/** A duration string (`250ms`) -> microseconds. Bare numbers are refused: the unit is not optional. */
export const duration = z
  .string({ error: `expected ${DURATION_HINT}` })
  .transform((text, ctx): Micros => {
    try {
      return boundedDuration(parseDuration(text), text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: DURATION_HINT, examples: ['250ms', '5s', '2m'] });

/** Like duration, but may be negative (clock skew). */
export const signedDuration = z
  .string({ error: `expected ${DURATION_HINT}, optionally negative (-2s)` })
  .transform((text, ctx): Micros => {
    const negative = text.trim().startsWith('-');
    try {
      const value = boundedDuration(parseDuration(negative ? text.trim().slice(1) : text), text);
      return negative ? -value : value;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: `${DURATION_HINT}, optionally negative`, examples: ['2s', '-500ms'] });

export const size = z
  .union([z.number(), z.string()], { error: `expected a size such as 512B, 64KiB, 1MB (units: ${SIZE_UNIT_NAMES.join(', ')})` })
  .transform((value, ctx): number => {
    try {
      const bytes = parseSize(value);
      if (!(bytes <= BOUNDS.sizeBytes)) throw new Error(`size ${JSON.stringify(value)} is larger than the largest allowed, 1TiB`);
      return bytes;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: `a size in bytes, or with a unit (${SIZE_UNIT_NAMES.join(', ')})`, examples: ['512B', '64KiB', '1MB'] });

/** Events per second. */
export const rate = z
  .union([z.number(), z.string()], { error: 'expected a rate such as 1000/s, 5/ms, 60/m' })
  .transform((value, ctx): number => {
    try {
      const perSecond = parseRate(value);
      // 0/s would make the send interval 0: a producer without a count would send forever at t=0.
      if (!(perSecond > 0)) throw new Error(`rate ${JSON.stringify(value)} must be above 0; to stop a producer, give it a count or a stop time`);
      if (!(perSecond <= BOUNDS.rate)) throw new Error(`rate ${JSON.stringify(value)} is above the highest allowed, ${BOUNDS.rate.toLocaleString('en-US')}/s per producer`);
      return perSecond;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: 'a rate per time, e.g. 1000/s, 5/ms, 60/m', examples: ['1000/s', '50/ms'] });

/** Bytes per second: `100MB/s`, `1GiB/s`. */
export const bandwidth = z
  .string({ error: 'expected a bandwidth such as 100MB/s, 1GiB/s' })
  .transform((text, ctx): number => {
    const match = /^\s*([^/]+)\/\s*(\S+)\s*$/.exec(text);
    try {
      if (!match) throw new Error(`cannot read bandwidth "${text}"; write e.g. 100MB/s, 1GiB/s`);
      const bytes = parseSize(match[1]!.trim());
      const per = parseDuration(/^\d/.test(match[2]!) ? match[2]! : `1${match[2]}`);
      return (bytes * 1_000_000) / per;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: 'bytes per time, e.g. 100MB/s', examples: ['100MB/s', '1GiB/s'] });

export const probability = z.number({ error: 'expected a probability between 0 and 1' }).min(0).max(1);

export const nonNegativeInt = z.number().int().min(0).max(BOUNDS.int, 'at most 2147483647 (2^31 - 1)');
export const positiveInt = z.number().int().min(1).max(BOUNDS.int, 'at most 2147483647 (2^31 - 1)');

/** Nodes of one kind (brokers, controllers, NameServers). */
export const nodeCount = positiveInt.max(BOUNDS.nodes, `at most ${BOUNDS.nodes.toLocaleString('en-US')} nodes of one kind`);
/** Partitions of one topic, queues of one broker group. */
export const partitionCount = positiveInt.max(BOUNDS.partitions, `at most ${BOUNDS.partitions.toLocaleString('en-US')}`);
/** Members of one consumer group. */
export const consumerCount = positiveInt.max(BOUNDS.consumers, `at most ${BOUNDS.consumers.toLocaleString('en-US')} consumers in one group`);

/**
 * A distribution of values of one kind (durations or sizes). Written as a single value
 * (constant), or as `{ uniform: [1ms, 5ms] }`, `{ exponential: 2ms }`,
 * `{ normal: { mean: 5ms, stddev: 1ms } }`, `{ lognormal: { median: 2ms, sigma: 0.5 } }`,
 * `{ pareto: { scale: 1ms, shape: 1.5 } }`, `{ weighted: [{ value: 1ms, weight: 9 }] }`.
 */
export function distributionOf(value: z.ZodType<number, any>) {
  const positive = z.number().positive();
  const forms = z.union(
    [
      z.strictObject({ constant: value }),
      z.strictObject({ uniform: z.tuple([value, value]) }),
      z.strictObject({ exponential: z.union([value, z.strictObject({ mean: value })]) }),
      z.strictObject({ normal: z.strictObject({ mean: value, stddev: value, min: value.optional() }) }),
      z.strictObject({ lognormal: z.strictObject({ median: value, sigma: positive }) }),
      z.strictObject({ pareto: z.strictObject({ scale: value, shape: positive }) }),
      z.strictObject({ weighted: z.array(z.strictObject({ value, weight: z.number().positive() })).min(1) }),
    ],
    { error: `expected a value, or one of { ${DISTRIBUTION_KINDS.join(' | ')}: ... }` },
  );
  return z.union([value, forms], { error: `expected a value (e.g. 5ms) or a distribution: { ${DISTRIBUTION_KINDS.join(' | ')}: ... }, e.g. { uniform: [1ms, 5ms] }` }).transform((spec, ctx): Distribution => {
    if (typeof spec === 'number') return { constant: spec };
    if ('exponential' in spec) {
      const mean = typeof spec.exponential === 'number' ? spec.exponential : spec.exponential.mean;
      return { exponential: { mean } };
    }
    if ('uniform' in spec && spec.uniform[0] > spec.uniform[1]) {
      ctx.addIssue({ code: 'custom', message: `uniform: the lower bound is above the upper bound` });
      return z.NEVER;
    }
    return spec as Distribution;
  });
}

export const durationDistribution = distributionOf(duration);
export const sizeDistribution = distributionOf(size);

/** A node name, `random-<role>`, `all-<role>`, a bare selector (`controller`) or `{ leader-of: orders-0 }`. */
export const target: z.ZodType<Target> = z.union(
  [z.string().min(1), z.record(z.string(), z.string()).refine((r) => Object.keys(r).length === 1, 'a selector has exactly one key, e.g. { leader-of: orders-0 }')],
  { error: 'expected a node name (broker-1), random-<role>, all-<role>, or a selector such as { leader-of: orders-0 }' },
);

const targets = z.array(target).min(1);

const FAULT_VARIANTS = {
  crash: z.strictObject({ at: duration, crash: target, keepPageCache: z.boolean().optional(), for: duration.optional() }),
  restart: z.strictObject({ at: duration, restart: target }),
  kill: z.strictObject({ at: duration, kill: target, for: duration }),
  stop: z.strictObject({ at: duration, stop: target, for: duration.optional() }),
  pause: z.strictObject({ at: duration, pause: target, for: duration.optional() }),
  resume: z.strictObject({ at: duration, resume: target }),
  partition: z.strictObject({
    at: duration,
    partition: z.union([z.array(targets).min(2), z.strictObject({ from: targets, to: targets })], {
      error: 'expected groups [[broker-1], [broker-2, broker-3]] or a one-way cut { from: [...], to: [...] }',
    }),
  }),
  heal: z.strictObject({ at: duration, heal: z.literal(true) }),
  'slow-disk': z.strictObject({ at: duration, 'slow-disk': target, factor: z.number().min(1), for: duration.optional() }),
  'disk-full': z.strictObject({ at: duration, 'disk-full': target, for: duration.optional() }),
  'clock-skew': z.strictObject({ at: duration, 'clock-skew': target, offset: signedDuration }),
} as const;

/**
 * One fault step: exactly one of the fault kinds as a key, plus `at`. Dispatching on the key
 * (rather than a plain union) gives one precise error instead of ten.
 */
export const faultStep = z
  .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    error: `expected a fault such as { at: 10s, crash: broker-1 } (kinds: ${FAULT_KINDS.join(', ')})`,
  })
  .transform((value, ctx): FaultStep => {
    const kinds = FAULT_KINDS.filter((k) => k in value);
    if (kinds.length === 0) {
      // A misspelt kind (`crsh: broker-1`): point at the key and suggest the kind.
      const misspelt = Object.keys(value).find((k) => k !== 'at' && closest(k, FAULT_KINDS) !== undefined);
      if (misspelt !== undefined) {
        const suggestion = closest(misspelt, FAULT_KINDS)!;
        ctx.addIssue({ code: 'custom', path: [misspelt], message: `unknown fault kind "${misspelt}"`, params: { allowed: [...FAULT_KINDS], unknownKey: misspelt, suggestion } });
        return z.NEVER;
      }
    }
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0
          ? `a fault needs exactly one kind key: ${FAULT_KINDS.join(', ')}`
          : `a fault has one kind, not ${kinds.join(' and ')}`,
        params: { allowed: [...FAULT_KINDS, 'at'] },
      });
      return z.NEVER;
    }
    if (kinds[0] === 'kill' && 'keepPageCache' in value) {
      // A process kill leaves the machine, and so its page cache, up: keeping it is not a choice, and
      // losing it is a machine crash, which peers see as silence, not the reset a kill sends.
      ctx.addIssue({
        code: 'custom',
        path: ['keepPageCache'],
        message: 'keepPageCache does not apply to kill: a killed process\'s machine stays up and keeps its page cache; to lose unflushed writes, crash the machine (crash: and restart:)',
      });
      return z.NEVER;
    }
    const variant = FAULT_VARIANTS[kinds[0]!];
    const parsed = variant.safeParse(value);
    if (!parsed.success) {
      const allowed = Object.keys(variant.shape);
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          // Re-issued per key with the variant's keys, since the loader cannot see through this dispatcher.
          for (const key of issue.keys) {
            const suggestion = closest(key, allowed);
            ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: `unknown key "${key}"`, params: { allowed, unknownKey: key, ...(suggestion ? { suggestion } : {}) } });
          }
        } else {
          ctx.addIssue({ ...issue, path: issue.path } as never);
        }
      }
      return z.NEVER;
    }
    return parsed.data as FaultStep;
  })
  .meta({ description: `one fault: { at: <duration>, <kind>: <target>, ... } with kind one of ${FAULT_KINDS.join(', ')}` });

/** The JSON Schema of a fault step: a oneOf of the variants (the custom dispatcher is not representable). */
export const faultStepForJsonSchema = z.union(Object.values(FAULT_VARIANTS));
