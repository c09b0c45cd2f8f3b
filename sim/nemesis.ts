import type { Kernel, Timer } from './kernel.js';
import { describeStep, faultKind, isGroups, stepTargets, type FaultEvent, type FaultStep, type Target } from './faults.js';
import type { Network } from './network.js';
import type { RandomStream } from './random.js';
import { formatDuration, type Micros } from './time.js';
import { KERNEL_NODE, type Trace, type TraceKind } from './trace.js';
import type { NodeSlot } from './world.js';

/**
 * The nemesis: resolves fault targets (node names, `random-<role>`, `all-<role>`, a model's
 * selectors) at fire time and applies fault steps to the world's nodes, network and disks,
 * logging each as it fired. Everything it decides at random comes from its own stream.
 */

/** Resolves a model's role selector (`controller`, `{ leader-of: orders-0 }`) to node names. */
export type Selector = (arg: string | undefined) => string[];
/** Why a selector's argument names nothing in this world (checked before the run), or null. */
export type SelectorArgumentCheck = (arg: string | undefined) => string | null;

/** What the nemesis acts on: the world's nodes, lifecycle operations, network and log. */
export interface NemesisHost {
  readonly kernel: Kernel;
  readonly trace: Trace;
  readonly network: Network;
  readonly faultLog: FaultEvent[];
  node(name: string): NodeSlot;
  hasNode(name: string): boolean;
  nodeNames(): string[];
  nodesWithRole(role: string): NodeSlot[];
  allRoles(): string[];
  crash(name: string, keepPageCache?: boolean): boolean;
  kill(name: string): boolean;
  restart(name: string): boolean;
  stop(name: string): boolean;
  restartWhenDown(name: string): void;
  pause(name: string): boolean;
  resume(name: string): boolean;
}

export class Nemesis {
  private readonly selectors = new Map<string, Selector>();
  private readonly argumentChecks = new Map<string, SelectorArgumentCheck>();
  /** Scheduled steps and the self-heals of steps with `for`: cancelled when the liveness phase starts. */
  private readonly pending: Timer[] = [];

  constructor(
    private readonly world: NemesisHost,
    private readonly random: RandomStream,
    private readonly faultKind: TraceKind,
  ) {}

  registerSelector(name: string, resolve: Selector, checkArgument?: SelectorArgumentCheck): void {
    this.selectors.set(name, resolve);
    if (checkArgument) this.argumentChecks.set(name, checkArgument);
  }

  selectorNames(): string[] {
    return [...this.selectors.keys()];
  }

  /** Schedules every step of a schedule at its time. */
  schedule(faults: readonly FaultStep[]): void {
    for (const step of faults) this.pending.push(this.world.kernel.at(step.at, (s: FaultStep) => this.apply(s), step, this.faultKind.id));
  }

  cancelPending(): void {
    for (const timer of this.pending) this.world.kernel.cancel(timer);
    this.pending.length = 0;
  }

  /** Why a target cannot name a node of this world, or null when it can. Checked before the run. */
  targetError(target: Target): string | null {
    const world = this.world;
    if (typeof target === 'string') {
      if (world.hasNode(target)) return null;
      if (this.selectors.has(target)) return this.argumentChecks.get(target)?.(undefined) ?? null;
      const role = roleOf(target);
      if (role !== null) {
        return world.nodesWithRole(role).length > 0 ? null : `no node has role "${role}" (roles: ${world.allRoles().join(', ')})`;
      }
      const selectors = this.selectorNames();
      return `no node or selector named "${target}" (nodes: ${world.nodeNames().join(', ')}${selectors.length > 0 ? `; selectors: ${selectors.join(', ')}` : ''}; or random-<role>, all-<role>)`;
    }
    const entries = Object.entries(target);
    if (entries.length !== 1) return `a selector object has exactly one key, e.g. { leader-of: orders-0 }`;
    const [selector, arg] = entries[0]!;
    if (this.selectors.has(selector)) {
      const problem = this.argumentChecks.get(selector)?.(String(arg));
      return problem ? `${selector}: ${problem}` : null;
    }
    const selectors = this.selectorNames();
    return `unknown selector "${selector}" (${selectors.length > 0 ? `selectors: ${selectors.join(', ')}` : 'this system has none'})`;
  }

  /** Resolves a target to node names now, deterministically. */
  resolve(target: Target): string[] {
    const world = this.world;
    if (typeof target === 'string') {
      if (world.hasNode(target)) return [target];
      const selector = this.selectors.get(target);
      if (selector) return selector(undefined);
      if (target.startsWith('all-')) return world.nodesWithRole(target.slice(4)).map((s) => s.name);
      if (target.startsWith('random-')) {
        const candidates = world.nodesWithRole(target.slice(7));
        const up = candidates.filter((s) => s.status === 'up');
        const pool = up.length > 0 ? up : candidates;
        return pool.length > 0 ? [this.random.pick(pool).name] : [];
      }
      throw new Error(this.targetError(target) ?? `cannot resolve ${target}`);
    }
    const [selector, arg] = Object.entries(target)[0]!;
    const resolve = this.selectors.get(selector);
    if (!resolve) throw new Error(this.targetError(target)!);
    return resolve(arg);
  }

  /** Checks every target of a schedule against the world's nodes and selectors; returns the problems. */
  validate(faults: readonly FaultStep[], duration: Micros): string[] {
    const problems: string[] = [];
    faults.forEach((step, index) => {
      if (step.at > duration) problems.push(`faults[${index}]: at ${formatDuration(step.at)} is after the run's duration ${formatDuration(duration)}`);
      for (const target of stepTargets(step)) {
        const error = this.targetError(target);
        if (error) problems.push(`faults[${index}]: ${error}`);
      }
    });
    return problems;
  }

  /** Applies one fault step now, and logs it with the nodes it hit. */
  apply(step: FaultStep): void {
    const world = this.world;
    const kernel = world.kernel;
    const kind = faultKind(step);
    const description = describeStep(step);
    const targets: string[] = [];
    const each = (target: Target, act: (name: string) => void) => {
      for (const name of this.resolve(target)) {
        targets.push(name);
        act(name);
      }
    };
    const later = (delay: Micros, undo: () => void) => {
      this.pending.push(kernel.after(delay, undo, null, this.faultKind.id));
    };
    if ('crash' in step) {
      each(step.crash, (n) => {
        world.crash(n, step.keepPageCache ?? false);
        // The machine boots again after `for` (a selector target is resolved once, at the crash).
        if (step.for !== undefined) later(step.for, () => world.restart(n));
      });
    }
    else if ('restart' in step) each(step.restart, (n) => world.restart(n));
    else if ('kill' in step) {
      each(step.kill, (n) => {
        world.kill(n);
        later(step.for, () => world.restart(n));
      });
    } else if ('stop' in step) {
      each(step.stop, (n) => {
        world.stop(n);
        // Restarted once the stop has finished (a service manager's stop-then-start).
        if (step.for !== undefined) later(step.for, () => world.restartWhenDown(n));
      });
    } else if ('pause' in step) {
      each(step.pause, (n) => {
        world.pause(n);
        if (step.for !== undefined) later(step.for, () => world.resume(n));
      });
    } else if ('resume' in step) each(step.resume, (n) => world.resume(n));
    else if ('partition' in step) {
      const spec = step.partition;
      const ids = (list: readonly Target[]) => list.flatMap((t) => this.resolve(t)).map((n) => world.node(n).id);
      if (isGroups(spec)) {
        const groups = spec.map(ids);
        for (const g of groups) for (const id of g) targets.push(world.trace.nameOf(id));
        world.network.partition(groups, description);
      } else {
        const from = ids(spec.from);
        const to = ids(spec.to);
        for (const id of [...from, ...to]) targets.push(world.trace.nameOf(id));
        world.network.block(from, to, description);
      }
    } else if ('heal' in step) world.network.heal();
    else if ('slow-disk' in step) {
      each(step['slow-disk'], (n) => {
        const disk = world.node(n).disk;
        disk.slowFactor = step.factor;
        if (step.for !== undefined) later(step.for, () => { disk.slowFactor = 1; });
      });
    } else if ('disk-full' in step) {
      each(step['disk-full'], (n) => {
        const disk = world.node(n).disk;
        disk.forcedFull = true;
        if (step.for !== undefined) later(step.for, () => { disk.forcedFull = false; });
      });
    } else if ('clock-skew' in step) each(step['clock-skew'], (n) => { world.node(n).skew = step.offset; });
    const event: FaultEvent = { at: kernel.now, kind, targets, description };
    if ('for' in step && typeof step.for === 'number') event.until = kernel.now + step.for;
    world.faultLog.push(event);
    world.trace.recordValue(this.faultKind, kernel.now, KERNEL_NODE, event);
  }
}

/** `random-broker` -> `broker`, `all-broker` -> `broker`, anything else -> null. */
function roleOf(target: string): string | null {
  if (target.startsWith('random-')) return target.slice(7);
  if (target.startsWith('all-')) return target.slice(4);
  return null;
}
