import { z } from 'zod';
import { duration, positiveInt } from '../sim/scenario/fields.js';
import { registerScenarioSection } from '../sim/scenario/sections.js';
import type { Micros } from '../sim/time.js';

/**
 * The scenario sections `mqsim check` reads: `explore:` (what a search may vary) and `property:`
 * (the guarantees it searches counterexamples to). Registered with the scenario schema when this
 * module loads; `mqsim run` validates and ignores them.
 */
/** Fault kinds `explore:` may generate (each heals itself or is healed by a later step). */
export const EXPLORABLE_FAULT_KINDS = ['crash', 'kill', 'stop', 'pause', 'partition', 'slow-disk', 'disk-full', 'clock-skew'] as const;

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
    keepPageCache: z.boolean().optional().meta({ description: 'Machine crashes keep the page cache (default false: a crash loses unflushed writes; a kill, a process kill on a live machine, always keeps it).' }),
  }).refine((f) => f.keepPageCache === undefined || f.kinds.includes('crash'), {
    path: ['keepPageCache'],
    message: 'keepPageCache applies to crash faults only (a killed process keeps its page cache anyway); add crash to kinds or remove keepPageCache',
  }).optional(),
  config: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional()
    .meta({ description: 'cluster.config keys and the values to try for each.' }),
  workload: z.strictObject({
    producers: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
    consumers: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
  }).optional().meta({ description: 'Producer and consumer fields and the values to try, applied to every producer / consumer.' }),
});

export const PROPERTY_NAMES = ['noLostAcked', 'noDuplicates', 'orderedPerKey', 'noAbortedReads', 'eachInputOnce'] as const;

/** The guarantees `mqsim check` searches counterexamples for. */
const property = z.array(z.union([
  z.enum(PROPERTY_NAMES),
  z.strictObject({ delayWithin: z.number().positive() }),
  z.strictObject({ latencyBelow: z.strictObject({ p: z.union([z.literal(50), z.literal(90), z.literal(99), z.literal(999)]), limit: duration }) }),
], { error: `expected one of ${PROPERTY_NAMES.join(', ')}, { delayWithin: 0.1 }, { latencyBelow: { p: 99, limit: 50ms } }` })).min(1);

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

declare module '../sim/scenario/schema.js' {
  interface ScenarioSections {
    explore?: ExploreSpec;
    property?: PropertySpec[];
  }
}

registerScenarioSection({ key: 'explore', schema: explore });
registerScenarioSection({ key: 'property', schema: property });
