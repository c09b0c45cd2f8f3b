import type { World } from '../../../sim/world.js';
import type { RabbitBroker } from '../broker/broker.js';
import type { QueueDef } from '../broker/queue-process.js';
import type { QuorumMember } from '../cluster/link.js';
import type { RabbitFailureTimings } from '../failure-timings.js';

/**
 * The control plane of the quorum queues, for drills, reports and fault selectors: each quorum
 * queue's members, leader and term, as a world store (`rabbitmq-queues`, its changes in the
 * trace as `leader-elected`), updated whenever a member is elected (an older term's election
 * arriving late changes nothing). Only with quorum queues: a store's initial state goes into the trace.
 */
type LeaderState = { queues: Record<string, { members: string[]; leader: string | null; term: number }> };

export class QuorumLeaders {
  private readonly leaders: { readonly state: LeaderState; update(recipe: (draft: LeaderState) => void, why: string): unknown };

  constructor(world: World, private readonly quorumQueues: readonly QueueDef[], private readonly brokers: ReadonlyMap<string, RabbitBroker>, private readonly timings: RabbitFailureTimings) {
    const initial: LeaderState = { queues: Object.fromEntries(quorumQueues.map((q) => [q.name, { members: [...(q.members ?? [])], leader: null, term: 0 }])) };
    this.leaders = quorumQueues.length > 0 ? world.store<LeaderState>('rabbitmq-queues', initial) : { state: initial, update: () => [] };
  }

  /** A member of queue `key` (vhost|name) was elected leader in `term`. */
  readonly onLeader = (key: string, leader: string, term: number): void => {
    const name = key.slice(key.indexOf('|') + 1);
    if ((this.leaders.state.queues[name]?.term ?? 0) > term) return;
    this.timings.leaderElected(key, leader);
    this.leaders.update((draft) => {
      const q = draft.queues[name];
      if (q) {
        q.leader = leader;
        q.term = term;
      }
    }, 'leader-elected');
  };

  /** The member acting as leader of queue `key`, if the store's leader still is one. */
  leaderMember(key: string): QuorumMember | undefined {
    const name = key.slice(key.indexOf('|') + 1);
    const leader = this.leaders.state.queues[name]?.leader;
    const b = leader ? this.brokers.get(leader) : undefined;
    return b?.link?.members.get(key)?.raft.role === 'leader' ? b.link.members.get(key) : undefined;
  }

  /**
   * The `leader-of` fault selector: `{ leader-of: orders }` is the node leading quorum queue
   * orders, or (`mirrored`, mirrored/views.ts) the last announced leader of mirrored classic queue orders.
   */
  registerSelector(world: World, mirrored?: { names: readonly string[]; leaderOf(name: string): string | null }): void {
    const quorumQueues = this.quorumQueues;
    const mirroredNames = mirrored?.names ?? [];
    if (quorumQueues.length === 0 && mirroredNames.length === 0) return;
    const names = [...quorumQueues.map((q) => q.name), ...mirroredNames];
    const known = (arg: string | undefined) => arg !== undefined && (this.leaders.state.queues[arg] !== undefined || mirroredNames.includes(arg));
    world.registerSelector('leader-of', (arg) => {
      if (!known(arg)) throw new Error(`leader-of needs a quorum or mirrored queue, e.g. { leader-of: ${names[0] ?? 'orders'} }`);
      const q = this.leaders.state.queues[arg!];
      const leader = q !== undefined ? q.leader : mirrored!.leaderOf(arg!);
      return leader === null ? [] : [leader];
    }, (arg) => (known(arg) ? null : `needs a quorum or mirrored queue (${names.join(', ') || 'none declared'})`));
  }

  describe(): string[] {
    return this.quorumQueues.map((q) => {
      const s = this.leaders.state.queues[q.name]!;
      return `quorum queue ${q.name}: leader ${s.leader ?? 'none'} (term ${s.term}) at the end`;
    });
  }
}
