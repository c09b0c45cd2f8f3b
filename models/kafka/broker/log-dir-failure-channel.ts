import type { NodeContext } from '../../../sim/node.js';
import { note } from '../notes.js';

/**
 * LogDirFailureChannel (KIP-112): an I/O error in a log directory — here, a write that found the
 * disk full — takes the directory offline. The request that hit it is answered
 * KAFKA_STORAGE_ERROR by its caller. The model's broker has one log directory (`log.dirs` with a
 * single entry, the default layout), so the directory going offline leaves the broker none, and
 * it halts as LogManager.handleLogDirFailure does ("Shutdown broker because all log dirs ... have
 * failed", Exit.halt(1)): no controlled shutdown, so the controller moves its leaderships only
 * once it sees the broker gone (ZooKeeper session expiry, KRaft fencing). It stays down until an
 * operator restarts it: a `restart` fault after the disk has space again.
 */
const failed = new WeakSet<NodeContext>();

export function logDirFailure(ctx: NodeContext, partition: string, during: 'append' | 'replica-fetch' | 'offset-commit' | 'hw-checkpoint'): void {
  if (failed.has(ctx)) return; // one failure per process: the halt is already on its way
  failed.add(ctx);
  note(ctx, 'log-dir-failed', { partition, during });
  ctx.halt();
}
