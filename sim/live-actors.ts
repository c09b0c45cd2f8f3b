import type { Phase, World } from './world.js';

/**
 * The live actor of each node a model built, for the model's own bookkeeping: a crash forgets the
 * node's actor (it is gone with its memory), a restart's factory tracks the new one, and phase
 * changes reach every live actor that has an `onPhase` (producers stop at the liveness phase).
 * Create it before adding nodes, and wrap each node's factory: `() => live.track(name, new X())`.
 */
export class LiveActors {
  private readonly actors = new Map<string, object>();

  constructor(world: World) {
    world.onCrash((name) => this.actors.delete(name));
    world.onPhase((phase) => {
      for (const actor of [...this.actors.values()]) (actor as { onPhase?: (phase: Phase) => void }).onPhase?.(phase);
    });
  }

  /** Records `actor` as `name`'s live actor and returns it (for use inside a node factory). */
  track<A extends object>(name: string, actor: A): A {
    this.actors.set(name, actor);
    return actor;
  }

  /** The node's live actor, or undefined while it is down. */
  get(name: string): object | undefined {
    return this.actors.get(name);
  }
}
