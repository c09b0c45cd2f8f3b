import { formatDuration, type Micros } from './time.js';

/**
 * The fault schedule (nemesis) as plain data, the same for every system, so one schedule can
 * be compared across systems, written in a scenario file, and generated and shrunk by
 * fast-check. Durations here are microseconds (the scenario loader parses `10s`).
 */

/**
 * Which node(s) a fault hits, resolved when the fault fires:
 * - a node name: `broker-1`;
 * - `random-<role>`: one node with that role, picked by the nemesis random stream (among the
 *   nodes that are up, when any is);
 * - `all-<role>`: every node with that role;
 * - a model's role selector, bare (`controller`) or with an argument (`{ leader-of: orders-0 }`).
 */
export type Target = string | { readonly [selector: string]: string };

export type FaultStep =
  | { at: Micros; crash: Target; keepPageCache?: boolean; for?: Micros }
  | { at: Micros; restart: Target }
  | { at: Micros; kill: Target; for: Micros }
  | { at: Micros; stop: Target; for?: Micros }
  | { at: Micros; pause: Target; for?: Micros }
  | { at: Micros; resume: Target }
  | { at: Micros; partition: PartitionTargets }
  | { at: Micros; heal: true }
  | { at: Micros; 'slow-disk': Target; factor: number; for?: Micros }
  | { at: Micros; 'disk-full': Target; for?: Micros }
  | { at: Micros; 'clock-skew': Target; offset: Micros };

/** A partition's sides: groups cut from each other both ways, or a one-way cut. */
export type PartitionTargets = readonly (readonly Target[])[] | { readonly from: readonly Target[]; readonly to: readonly Target[] };

export function isGroups(spec: PartitionTargets): spec is readonly (readonly Target[])[] {
  return Array.isArray(spec);
}

export const FAULT_KINDS = ['crash', 'restart', 'kill', 'stop', 'pause', 'resume', 'partition', 'heal', 'slow-disk', 'disk-full', 'clock-skew'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function faultKind(step: FaultStep): FaultKind {
  for (const kind of FAULT_KINDS) if (kind in step) return kind;
  throw new Error(`fault step has none of ${FAULT_KINDS.join(', ')}`);
}

/** Every target a step names (for validation against the scenario's nodes). */
export function stepTargets(step: FaultStep): Target[] {
  if ('partition' in step) {
    const spec = step.partition as PartitionTargets;
    return isGroups(spec) ? spec.flat() : [...spec.from, ...spec.to];
  }
  if ('heal' in step) return [];
  const kind = faultKind(step);
  return [(step as unknown as Record<string, Target>)[kind]!];
}

/** Each target of a step with its key path inside the step (for error positions in the file). */
export function stepTargetPaths(step: FaultStep): [Target, (string | number)[]][] {
  if ('partition' in step) {
    const spec = step.partition as PartitionTargets;
    if (isGroups(spec)) return spec.flatMap((group, g) => group.map((t, i): [Target, (string | number)[]] => [t, ['partition', g, i]]));
    return [
      ...spec.from.map((t, i): [Target, (string | number)[]] => [t, ['partition', 'from', i]]),
      ...spec.to.map((t, i): [Target, (string | number)[]] => [t, ['partition', 'to', i]]),
    ];
  }
  if ('heal' in step) return [];
  const kind = faultKind(step);
  return [[(step as unknown as Record<string, Target>)[kind]!, [kind]]];
}

export function describeTarget(target: Target): string {
  if (typeof target === 'string') return target;
  const [selector, arg] = Object.entries(target)[0] ?? ['?', ''];
  return `${selector} ${arg}`;
}

/** One line for a fault timeline: `crash broker-1 (restart after 5s)`. */
export function describeStep(step: FaultStep): string {
  const kind = faultKind(step);
  switch (kind) {
    case 'partition': {
      const spec = (step as { partition: PartitionTargets }).partition;
      if (isGroups(spec)) return `partition ${spec.map((g) => `[${g.map(describeTarget).join(', ')}]`).join(' | ')}`;
      return `partition one-way [${spec.from.map(describeTarget).join(', ')}] -x-> [${spec.to.map(describeTarget).join(', ')}]`;
    }
    case 'heal':
      return 'heal all partitions';
    case 'kill': {
      const s = step as { kill: Target; for: Micros };
      return `kill ${describeTarget(s.kill)} (restart after ${formatDuration(s.for)})`;
    }
    case 'crash': {
      const s = step as { crash: Target; for?: Micros };
      return `crash ${describeTarget(s.crash)}${s.for !== undefined ? ` (restart after ${formatDuration(s.for)})` : ''}`;
    }
    case 'slow-disk': {
      const s = step as { 'slow-disk': Target; factor: number; for?: Micros };
      return `slow-disk ${describeTarget(s['slow-disk'])} x${s.factor}${s.for !== undefined ? ` for ${formatDuration(s.for)}` : ''}`;
    }
    case 'clock-skew': {
      const s = step as { 'clock-skew': Target; offset: Micros };
      return `clock-skew ${describeTarget(s['clock-skew'])} ${s.offset >= 0 ? '+' : ''}${formatDuration(s.offset)}`;
    }
    default: {
      const s = step as unknown as Record<string, Target | Micros | undefined>;
      const suffix = typeof s.for === 'number' ? ` for ${formatDuration(s.for)}` : '';
      return `${kind} ${describeTarget(s[kind] as Target)}${suffix}`;
    }
  }
}

/** A fault as it fired: what the nemesis did, to whom (resolved names), and when. */
export interface FaultEvent {
  at: Micros;
  /** When a fault with `for:` undoes itself (crash, kill, stop, pause, slow-disk, disk-full); absent otherwise. */
  until?: Micros;
  kind: FaultKind | 'liveness';
  targets: string[];
  description: string;
}

/** The fault kinds that cut a node off from its peers (a node's failure, in a failure timing). */
const CUTS_OFF: ReadonlySet<string> = new Set(['crash', 'kill', 'pause', 'partition', 'stop']);

/**
 * The latest fault in `log` at or after `since` that cut `node` off (crash, kill, pause,
 * partition, stop), or undefined: where a failure timing (detection, failover, a dropped client)
 * starts counting from.
 */
export function latestCutOff(log: readonly FaultEvent[], node: string, since: number): FaultEvent | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const event = log[i]!;
    if (event.at < since) return undefined;
    if (CUTS_OFF.has(event.kind) && event.targets.includes(node)) return event;
  }
  return undefined;
}
