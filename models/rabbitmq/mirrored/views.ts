import type { World } from '../../../sim/world.js';
import type { QueueDef } from '../broker/queue-process.js';
import type { MirrorView } from '../protocol.js';
import { BROKER_NODE } from '../schema.js';

/**
 * The control plane of the mirrored classic queues, for drills, reports and the run's
 * description: each mirrored queue's leader, mirrors (oldest first) and synchronised mirrors as
 * the last leader announced them, in a world store (`rabbitmq-mirrored-queues`, its changes in
 * the trace as `mirror-view`), updated whenever a leader announces a view (declaration aside: a
 * promotion, a mirror added, dropped or synchronised, a recovery). Under a split brain two
 * leaders announce in turn; the description at the end lists every node then leading the queue.
 * Only with mirrored queues: a store's initial state goes into the trace.
 */
type Views = { queues: Record<string, { master: string | null; mirrors: string[]; synced: string[]; epoch: number }> };

export class MirrorViews {
  private readonly views: { readonly state: Views; update(recipe: (draft: Views) => void, why: string): unknown };

  constructor(world: World, private readonly mirrored: readonly QueueDef[]) {
    const initial: Views = {
      queues: Object.fromEntries(mirrored.map((q) => [q.name, { master: q.node ?? BROKER_NODE, mirrors: [], synced: [], epoch: 0 }])),
    };
    this.views = mirrored.length > 0 ? world.store<Views>('rabbitmq-mirrored-queues', initial) : { state: initial, update: () => [] };
  }

  /** A leader announced `view` of queue `key` (vhost|name). */
  readonly onView = (key: string, view: MirrorView): void => {
    const name = key.slice(key.indexOf('|') + 1);
    this.views.update((draft) => {
      const q = draft.queues[name];
      if (!q) return;
      q.master = view.master;
      q.mirrors = [...view.mirrors];
      q.synced = [...view.synced];
      q.epoch = view.epoch;
    }, 'mirror-view');
  };

  /** For the `leader-of` fault selector: the queue names, and each one's last announced leader. */
  selector(): { names: string[]; leaderOf(name: string): string | null } {
    return { names: this.mirrored.map((q) => q.name), leaderOf: (name) => this.views.state.queues[name]?.master ?? null };
  }

  /** One line per mirrored queue; `leaders(key)`: the live nodes leading it now (two under a split brain). */
  describe(leaders: (key: string) => string[]): string[] {
    return this.mirrored.map((q) => {
      const s = this.views.state.queues[q.name]!;
      const now = leaders(`${q.vhost}|${q.name}`);
      const split = now.length > 1 ? ` (split brain: ${now.join(' and ')} both lead it)` : now.length === 0 ? ' (no live leader)' : '';
      return `mirrored queue ${q.name}: leader ${s.master ?? 'none'}, mirrors ${s.mirrors.join(', ') || 'none'}, synchronised ${s.synced.join(', ') || 'none'} as last announced${split}`;
    });
  }
}
