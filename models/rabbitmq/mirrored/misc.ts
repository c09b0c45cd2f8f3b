import { unreachable } from '../../../sim/timers.js';
import type { HaMode } from '../schema.js';

/**
 * Classic queue mirroring's policy and placement, after rabbit_mirror_queue_misc and the
 * rabbit_mirror_queue_mode_* modules (RabbitMQ 3.x; removed in 4.0). Pure functions, used by
 * every node alike so they agree without asking each other.
 *
 * - A queue's leader (RabbitMQ's "master") is the declaring node (queue_master_locator
 *   client-local, the default); with ha-mode nodes, a declaring node that is not listed gives the
 *   leader to the first listed node.
 * - Mirrors (RabbitMQ's "slaves"): ha-mode all, every other node; exactly, ha-params replicas in
 *   all (the leader plus ha-params - 1 mirrors), a lost mirror replaced by another node when
 *   the cluster has one; nodes, the listed nodes. RabbitMQ picks exactly's extra nodes at random;
 *   the model takes the next nodes after the leader in cluster order, so a scenario can say
 *   which node a fault should hit.
 * - Promotion: when the leader's node goes down, the oldest mirror still up (the longest
 *   running one) becomes leader; ha-promote-on-failure when-synced refuses it when that mirror
 *   is unsynchronised (the queue is then unavailable until its leader is back). An
 *   unsynchronised mirror promoted loses every message only the old leader held.
 */

export interface MirrorPolicy {
  /** The policy's name (set_policy NAME). */
  readonly policy: string;
  readonly mode: HaMode;
  /** exactly: the replica count; nodes: the node names. */
  readonly params?: number | readonly string[];
  readonly syncMode: 'manual' | 'automatic';
  readonly batchSize: number;
  readonly promoteOnFailure: 'always' | 'when-synced';
  /** ha-promote-on-shutdown: the rule when the leader's node stopped in order (default when-synced). */
  readonly promoteOnShutdown: 'always' | 'when-synced';
}

/** mirroring_sync_batch_size, the default ha-sync-batch-size. */
export const MIRRORING_SYNC_BATCH_SIZE = 4096;

/** The leader of a newly declared mirrored queue. */
export function initialMaster(policy: MirrorPolicy, declaring: string, nodes: readonly string[]): string {
  if (policy.mode !== 'nodes') return declaring;
  const listed = (policy.params as readonly string[]).filter((n) => nodes.includes(n));
  return listed.includes(declaring) || listed.length === 0 ? declaring : listed[0]!;
}

/**
 * The mirrors the queue should have (rabbit_mirror_queue_misc:suggested_queue_nodes): the ones
 * it has and keeps first (oldest first), then new ones. `isUp` says which nodes can host one.
 */
export function suggestedMirrors(
  policy: MirrorPolicy, master: string, current: readonly string[], nodes: readonly string[], isUp: (node: string) => boolean,
): string[] {
  const from = Math.max(0, nodes.indexOf(master));
  const ordered = nodes.map((_, k) => nodes[(from + k) % nodes.length]!).filter((n) => n !== master);
  const keep = current.filter((n) => n !== master && isUp(n));
  switch (policy.mode) {
    case 'all':
      return [...keep, ...ordered.filter((n) => isUp(n) && !keep.includes(n))];
    case 'nodes': {
      const listed = policy.params as readonly string[];
      const kept = keep.filter((n) => listed.includes(n));
      return [...kept, ...ordered.filter((n) => listed.includes(n) && isUp(n) && !kept.includes(n))];
    }
    case 'exactly': {
      const want = Math.max(0, (policy.params as number) - 1);
      const kept = keep.slice(0, want);
      for (const n of ordered) {
        if (kept.length >= want) break;
        if (isUp(n) && !kept.includes(n)) kept.push(n);
      }
      return kept;
    }
    default:
      return unreachable(policy.mode, 'ha-mode');
  }
}

export type Promotion =
  | { readonly kind: 'promote'; readonly node: string; readonly synced: boolean }
  | { readonly kind: 'refused'; readonly node: string }
  | { readonly kind: 'none' };

/**
 * Who takes over when the leader is gone: the oldest mirror still up, if it is synchronised or
 * ha-promote-on-failure is always; refused when it is unsynchronised and the policy says
 * when-synced (RabbitMQ does not fall back to a younger mirror).
 */
export function promotion(policy: MirrorPolicy, mirrors: readonly string[], synced: readonly string[], isUp: (node: string) => boolean, shutdown = false): Promotion {
  const oldest = mirrors.find(isUp);
  if (oldest === undefined) return { kind: 'none' };
  const inSync = synced.includes(oldest);
  const rule = shutdown ? policy.promoteOnShutdown : policy.promoteOnFailure;
  if (!inSync && rule === 'when-synced') return { kind: 'refused', node: oldest };
  return { kind: 'promote', node: oldest, synced: inSync };
}
