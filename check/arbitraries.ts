import fc from 'fast-check';
import { scenarioFromData, type Scenario } from '../models/scenario.js';
import { EXPLORABLE_FAULT_KINDS } from './section.js';
import { formatDuration, toMicros, type Micros } from '../sim/time.js';

/**
 * fast-check arbitraries over scenarios. Everything is generated in the form a scenario file
 * is written in (durations as `12.5s`), so a variant is plain data: it shrinks, it is written
 * out as YAML, and `mqsim run` on that file replays the very same run.
 */

/** A fault step as written in a scenario file: `{ at: '12.5s', crash: 'broker-2' }`. */
export type RawFaultStep = Record<string, unknown>;
export type ExplorableFaultKind = (typeof EXPLORABLE_FAULT_KINDS)[number];

export interface FaultScheduleOptions {
  /** Node names the faults may hit. */
  nodes: readonly string[];
  /** The safety phase: faults start and heal within it. A duration string or microseconds. */
  duration: Micros | string;
  /** Most faults in a schedule (default 3). */
  maxFaults?: number;
  /** Fault kinds to draw from (default crash, partition, pause). */
  kinds?: readonly ExplorableFaultKind[];
  /** Each fault heals before the next starts (default true). */
  oneAtATime?: boolean;
  /** When faults may start (default: the whole duration). */
  window?: readonly [Micros | string, Micros | string];
  /** How long a fault lasts before it heals (default 1s to 10s). */
  faultLength?: readonly [Micros | string, Micros | string];
  /**
   * One at a time: the quiet time after a fault heals before the next may start (default 0).
   * A restarted broker is not yet back in service (a ZooKeeper session to expire, a replica to
   * catch up): a spacing lets the system recover, so "one fault at a time" holds for it too.
   */
  spacing?: Micros | string;
  /** Machine crashes keep the page cache (default false: they lose unflushed writes; a kill always keeps it). */
  keepPageCache?: boolean;
}

interface Episode {
  kind: ExplorableFaultKind;
  node: string;
  /** For partitions: which of the nodes are cut off together with `node`. */
  side: string[];
  /** Milliseconds after the previous fault healed (one at a time) or after the window opens. */
  startMs: number;
  lengthMs: number;
  factor: number;
  skewMs: number;
}

const ms = (micros: Micros) => Math.floor(micros / 1000);
const at = (millis: number) => formatDuration(millis * 1000);

/**
 * Fault schedules: up to `maxFaults` faults, each with its own heal (restart, heal, or a `for`),
 * within the window. Shrinks to fewer, earlier, shorter faults on fewer kinds.
 */
export function faultSchedule(options: FaultScheduleOptions): fc.Arbitrary<RawFaultStep[]> {
  const nodes = [...options.nodes];
  if (nodes.length === 0) throw new Error('faultSchedule: no nodes to hit');
  const duration = toMicros(options.duration);
  const kinds = [...(options.kinds ?? ['crash', 'partition', 'pause'])].filter((k) => k !== 'partition' || nodes.length >= 2);
  if (kinds.length === 0) throw new Error('faultSchedule: no fault kind applies (a partition needs two nodes)');
  const [windowStart, windowEnd] = (options.window ?? [0, duration]).map(toMicros) as [Micros, Micros];
  const [minLength, maxLength] = (options.faultLength ?? [1_000_000, 10_000_000]).map(toMicros) as [Micros, Micros];
  const windowMs = Math.max(0, ms(Math.min(windowEnd, duration) - windowStart));
  const oneAtATime = options.oneAtATime ?? true;
  const spacingMs = ms(toMicros(options.spacing ?? 0));
  const keepPageCache = options.keepPageCache ?? false;
  const episode: fc.Arbitrary<Episode> = fc.record({
    kind: fc.constantFrom(...kinds),
    node: fc.constantFrom(...nodes),
    side: fc.subarray(nodes, { minLength: 0, maxLength: Math.max(0, nodes.length - 2) }),
    startMs: fc.integer({ min: 0, max: oneAtATime ? Math.max(0, Math.floor(windowMs / 2)) : windowMs }),
    lengthMs: fc.integer({ min: ms(minLength), max: Math.max(ms(minLength), ms(maxLength)) }),
    factor: fc.constantFrom(10, 100, 1000),
    skewMs: fc.integer({ min: -60_000, max: 60_000 }),
  });
  return fc.array(episode, { minLength: 0, maxLength: options.maxFaults ?? 3 }).map((episodes) =>
    layOut(episodes, { oneAtATime, spacingMs, keepPageCache, windowStartMs: ms(windowStart), windowEndMs: ms(Math.min(windowEnd, duration)), durationMs: ms(duration), nodes }),
  );
}

function layOut(
  episodes: readonly Episode[],
  frame: { oneAtATime: boolean; spacingMs: number; keepPageCache: boolean; windowStartMs: number; windowEndMs: number; durationMs: number; nodes: readonly string[] },
): RawFaultStep[] {
  const steps: { atMs: number; order: number; step: RawFaultStep }[] = [];
  let cursor = frame.windowStartMs;
  let order = 0;
  const page = frame.keepPageCache ? { keepPageCache: true } : {};
  for (const e of episodes) {
    const startMs = frame.oneAtATime ? cursor + e.startMs : frame.windowStartMs + e.startMs;
    if (startMs > frame.windowEndMs) break;
    const healMs = startMs + e.lengthMs;
    cursor = healMs + frame.spacingMs;
    const push = (atMs: number, step: RawFaultStep) => {
      if (atMs <= frame.durationMs) steps.push({ atMs, order: order++, step: { at: at(atMs), ...step } });
    };
    const length = at(e.lengthMs);
    switch (e.kind) {
      case 'crash':
        push(startMs, { crash: e.node, ...page });
        push(healMs, { restart: e.node });
        break;
      case 'kill':
        push(startMs, { kill: e.node, for: length });
        break;
      case 'stop':
        push(startMs, { stop: e.node, for: length });
        break;
      case 'pause':
        push(startMs, { pause: e.node, for: length });
        break;
      case 'partition': {
        const cut = [e.node, ...e.side.filter((n) => n !== e.node)];
        const rest = frame.nodes.filter((n) => !cut.includes(n));
        if (rest.length === 0) break;
        push(startMs, { partition: [cut, rest] });
        push(healMs, { heal: true });
        break;
      }
      case 'slow-disk':
        push(startMs, { 'slow-disk': e.node, factor: e.factor, for: length });
        break;
      case 'disk-full':
        push(startMs, { 'disk-full': e.node, for: length });
        break;
      case 'clock-skew':
        push(startMs, { 'clock-skew': e.node, offset: `${e.skewMs < 0 ? '-' : ''}${at(Math.abs(e.skewMs))}` });
        push(healMs, { 'clock-skew': e.node, offset: '0s' });
        break;
    }
    if (!frame.oneAtATime) cursor = frame.windowStartMs;
  }
  return steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order).map((s) => s.step);
}

export type FieldChoices = Record<string, readonly (string | number | boolean)[]>;

/** One value per field, from each field's list (shrinks to the first value). */
export function choices(fields: FieldChoices): fc.Arbitrary<Record<string, string | number | boolean>> {
  const record: Record<string, fc.Arbitrary<string | number | boolean>> = {};
  for (const [field, values] of Object.entries(fields)) record[field] = fc.constantFrom(...values);
  return fc.record(record);
}

/** Workload variations: a value per producer field and per consumer field, applied to every producer / consumer. */
export function workload(options: { producers?: FieldChoices; consumers?: FieldChoices }): fc.Arbitrary<WorkloadChange> {
  return fc.record({
    producers: choices(options.producers ?? {}),
    consumers: choices(options.consumers ?? {}),
  });
}

export interface WorkloadChange {
  producers: Record<string, string | number | boolean>;
  consumers: Record<string, string | number | boolean>;
}

export interface VariantOptions {
  /** Faults added to the base scenario's own. */
  faults?: fc.Arbitrary<RawFaultStep[]>;
  workload?: fc.Arbitrary<WorkloadChange>;
  /** `cluster.config` keys to set. */
  config?: fc.Arbitrary<Record<string, string | number | boolean>>;
  /** Vary the scenario seed too (default true): the same faults meet other timings. */
  seed?: boolean;
}

/** The raw (as-written) scenario of a variant: what a counterexample file holds. */
export type RawScenario = Record<string, unknown>;

/** Variants of a base scenario, as raw scenario data. */
export function rawVariant(base: Scenario, options: VariantOptions): fc.Arbitrary<RawScenario> {
  return fc.record({
    faults: options.faults ?? fc.constant<RawFaultStep[]>([]),
    workload: options.workload ?? fc.constant<WorkloadChange>({ producers: {}, consumers: {} }),
    config: options.config ?? fc.constant({}),
    seed: options.seed === false ? fc.constant(null) : fc.integer({ min: 1, max: 1_000_000 }),
  }).map(({ faults, workload: change, config, seed }) => applyVariant(base.raw, { faults, workload: change, config, seed }));
}

export function applyVariant(
  raw: RawScenario,
  variant: { faults: RawFaultStep[]; workload: WorkloadChange; config: Record<string, unknown>; seed: number | null },
): RawScenario {
  const copy = structuredClone(raw) as RawScenario;
  if (variant.seed !== null) copy.seed = variant.seed;
  if (variant.faults.length > 0) copy.faults = [...((copy.faults as RawFaultStep[] | undefined) ?? []), ...variant.faults];
  if (Object.keys(variant.config).length > 0) {
    const cluster = (copy.cluster ??= {}) as Record<string, unknown>;
    cluster.config = { ...(cluster.config as object | undefined), ...variant.config };
  }
  const work = copy.workload as { producers?: Record<string, unknown>[]; consumers?: Record<string, unknown>[] } | undefined;
  if (work) {
    for (const producer of work.producers ?? []) Object.assign(producer, variant.workload.producers);
    for (const consumer of work.consumers ?? []) Object.assign(consumer, variant.workload.consumers);
  }
  return copy;
}

/** Parses a raw variant exactly as `mqsim run` would parse it written to a file. */
export function scenarioOf(raw: RawScenario, source: string): Scenario {
  return scenarioFromData(raw, source);
}

/** Variants of a base scenario, parsed and ready for `simulate`. */
export function scenarioVariant(base: Scenario, options: VariantOptions): fc.Arbitrary<Scenario> {
  return rawVariant(base, options).map((raw) => scenarioOf(raw, base.source));
}
