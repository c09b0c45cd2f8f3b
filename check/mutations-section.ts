import { z } from 'zod';
import { registerScenarioSection } from '../sim/scenario/sections.js';

/**
 * The `mutations:` scenario section (issue #22): the semantic a scenario exists to show, and the
 * changes that swap it for its neighbour (assignor range for sticky, acks=1 for acks=all, ...),
 * each of which must make the scenario's `expect:` fail. `mqsim mutate` (check/mutations.ts) runs
 * them; `mqsim run` validates the section and ignores it. Paths are checked against the file when
 * the mutation is applied (they name keys of the scenario, which this schema does not see).
 *
 *   mutations:
 *     - semantic: sticky assignment keeps partitions across a rebalance
 *       name: range
 *       set:
 *         "workload.consumers[0].config.partition.assignment.strategy": range
 *       because: range reassigns partitions of members that stay
 *
 * A scenario that shows no single semantic (a baseline, a steady state) says so with a reason:
 * `mutations: { none: "..." }`.
 */
const mutation = z.strictObject({
  semantic: z.string().min(1).meta({ description: 'The semantic the scenario demonstrates: a line of the DESIGN.md checklist or a short id, e.g. "sticky assignment keeps partitions across a rebalance".' }),
  name: z.string().min(1).optional().meta({ description: 'A short name for the mutant in reports (default: its set/unset paths and values).' }),
  set: z.record(z.string(), z.unknown()).optional().meta({
    description: 'Key paths of this file and the values to give them, e.g. "workload.consumers[0].config.partition.assignment.strategy": roundrobin. Dotted config keys resolve to the file\'s keys; a missing last key is added; ["a.b"] quotes a key.',
  }),
  unset: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Key paths to remove (e.g. "faults[1]", "cluster.config.min.insync.replicas").' }),
  because: z.string().min(1).meta({ description: 'Why the mutant must fail the expectations: what the neighbour semantic does differently.' }),
  knownGap: z.string().min(1).optional().meta({
    description: 'The mutant is known to survive: what the model lacks to tell it apart (e.g. a metric). Counted as survived in the score; the test fails once it is caught, so the note goes.',
  }),
}).refine((m) => (m.set !== undefined && Object.keys(m.set).length > 0) || m.unset !== undefined, { error: 'a mutation needs set: or unset:' });

const mutations = z.union([
  z.array(mutation).min(1),
  z.strictObject({ none: z.string().min(1).meta({ description: 'Why this scenario demonstrates no single semantic a mutation could swap.' }) }),
], { error: 'expected a list of mutations ({ semantic, set, because }) or { none: "reason" }' }).meta({
  description: 'mqsim mutate: the semantic this scenario demonstrates and the config/workload changes that swap it for its neighbour, each of which must make expect: fail. Ignored by mqsim run.',
});

export interface MutationSpec {
  semantic: string;
  name?: string;
  set?: Record<string, unknown>;
  unset?: string[];
  because: string;
  knownGap?: string;
}

export type MutationsSection = MutationSpec[] | { none: string };

declare module '../sim/scenario/schema.js' {
  interface ScenarioSections {
    mutations?: MutationsSection;
  }
}

registerScenarioSection({ key: 'mutations', schema: mutations });
