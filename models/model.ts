import type { ModelScenarioParts } from '../sim/scenario/schema.js';
import type { World } from '../sim/world.js';
import type { NoteCatalogue } from '../sim/notes.js';

/**
 * What a system contributes to mqsim: its part of the scenario schema (its own config names
 * with their real defaults) and a builder that puts its nodes into a world.
 */
export interface ModelDefinition<S = any> {
  readonly parts: ModelScenarioParts;
  /** Every trace note the system's nodes write, with its meaning (docs/trace-notes.md is made from it). */
  readonly notes: NoteCatalogue;
  /**
   * Drill vocabulary of this system: condition aliases (`leader-changed orders-0` ->
   * `state kafka.partitions orders-0.leader`) and fact aliases (`leader orders-0` -> the same
   * state path), each expanding its argument into the generic form (drill/conditions.ts).
   */
  readonly drill?: {
    conditions?: Readonly<Record<string, (arg: string) => string>>;
    facts?: Readonly<Record<string, (arg: string) => string>>;
  };
  /** Adds the system's nodes (brokers, clients) to `world` for a validated scenario. */
  build(world: World, scenario: S): ModelRun;
}

/** A built model, asked for its own numbers after the run. */
export interface ModelRun {
  /** A few lines describing the cluster as built (for human output). */
  describe(): string[];
  /** System-specific counts (deadLettered, expired, ...), merged into the result's counts. */
  counts(): Record<string, number>;
  /**
   * The final read: ids of messages still stored at the end of the run and deliverable (in a
   * queue, in a log past the consumers' positions). An acked message that is neither delivered
   * nor here is a lost write; one that is here is backlog (`stillQueued`). Without it, every
   * acked undelivered message counts as lost.
   */
  retained?(): ReadonlySet<string>;
}
