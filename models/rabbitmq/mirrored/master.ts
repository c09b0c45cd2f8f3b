import type { Micros } from '../../../sim/time.js';
import type { Channel } from '../broker/channel.js';
import type { RemoteChannel } from '../broker/message-store.js';
import type { QueueMirrorHooks, QueueState } from '../broker/queue-process.js';
import type { QueuedMessage } from '../broker/ready-messages.js';
import { FRAME_BYTES, type GmMessage, type MirrorView } from '../protocol.js';
import type { RabbitStats } from '../stats.js';
import { suggestedMirrors, type MirrorPolicy } from './misc.js';

/**
 * The leader ("master") of a mirrored classic queue, after rabbit_mirror_queue_master and the
 * leader's side of gm and rabbit_mirror_queue_sync. The queue itself is the node's ordinary
 * classic queue (broker/queue-process.ts); this object hangs on it (QueueState.mirror) and:
 *
 * - multicasts every message that enters the queue to the mirrors (`gm.publish`) and every one
 *   that leaves it (`gm.drop`: acked, expired, dead-lettered, dropped), so each mirror holds
 *   what the leader holds, in the leader's order;
 * - holds each publisher confirm until every mirror has the message (`gm.ack`), as the
 *   confirm spans all mirrors; a mirror whose node is seen down leaves the group and is no
 *   longer waited for (so a leader cut off from its mirrors confirms alone once net_ticktime
 *   has passed);
 * - keeps the group's view (who mirrors, oldest first, who is synchronised) and announces each
 *   change to every node (`gm.view`), which is how the other nodes route to it;
 * - tracks, for each unsynchronised mirror, the messages it lacks: when consumers have taken
 *   them all the mirror is synchronised; with ha-sync-mode automatic the leader synchronises a
 *   new mirror at once, in batches of ha-sync-batch-size (`sync_msgs`, one batch in flight),
 *   and while it does the queue is blocked: nothing is delivered and no publish is confirmed;
 * - replaces a lost mirror where the policy wants one (ha-mode exactly on a larger cluster, a
 *   restarted node rejoining): the new mirror starts empty.
 */

export interface MasterHost {
  readonly self: string;
  readonly nodes: readonly string[];
  isUp(node: string): boolean;
  now(): Micros;
  send(to: string, message: GmMessage, bytes: number): void;
  /** A local channel's confirm part `gm:<node>` is done. */
  confirmPart(channel: Channel, seq: number, part: string): void;
  /** The delegate.confirm of a remote channel's publish (past the hold below). */
  confirmRemote(remote: RemoteChannel, seq: number, ack: boolean): void;
  /** The queue may deliver again (end of a synchronisation). */
  dispatch(queue: QueueState): void;
  /** The view changed: announce it to every peer (and remember it here). */
  announce(key: string, view: MirrorView, reset: readonly string[]): void;
  note(what: 'mirror-added' | 'mirror-dropped' | 'mirror-synced' | 'mirror-sync-started' | 'mirror-sync-done', detail: Record<string, string | number | boolean>): void;
  readonly stats: RabbitStats;
}

type Waiter =
  | { readonly kind: 'local'; readonly channel: Channel; readonly seq: number; readonly pending: Set<string> }
  | { readonly kind: 'remote'; readonly remote: RemoteChannel; readonly seq: number; readonly pending: Set<string>; own: boolean; ack: boolean };

const GM_BYTES = FRAME_BYTES;

export class MasterQueue implements QueueMirrorHooks {
  blocked = false;
  private epoch: number;
  private readonly mirrors: string[];
  private readonly synced: Set<string>;
  /** Every message in the queue (ready or unacked), by id. */
  private readonly held = new Map<number, QueuedMessage>();
  /** Per unsynchronised mirror: the ids of held messages it lacks. */
  private readonly missing = new Map<string, Set<number>>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly remoteIndex = new Map<string, number>();
  private last: QueuedMessage | null = null;
  private syncing: { readonly mirror: string; readonly startedAt: Micros; sent: number } | null = null;
  /** Mirror acks that arrived while the queue was blocked by a synchronisation. */
  private deferred: [string, number][] = [];

  constructor(
    readonly key: string,
    readonly queue: QueueState,
    private readonly policy: MirrorPolicy,
    private readonly host: MasterHost,
    epoch: number,
    mirrors: readonly string[],
    synced: readonly string[],
    held: readonly QueuedMessage[],
  ) {
    this.epoch = epoch;
    this.mirrors = [...mirrors];
    this.synced = new Set(synced.filter((n) => mirrors.includes(n)));
    for (const m of held) this.held.set(m.id, m);
    for (const n of this.mirrors) if (!this.synced.has(n)) this.missing.set(n, new Set(this.held.keys()));
    queue.mirror = this;
  }

  view(): MirrorView {
    return { epoch: this.epoch, master: this.host.self, mirrors: [...this.mirrors], synced: this.mirrors.filter((n) => this.synced.has(n)) };
  }

  /** After construction (declaration, promotion, recovery): top up the mirrors, announce, synchronise. */
  begin(reset: readonly string[]): void {
    const added = this.topUp();
    this.announce([...reset, ...added]);
    for (const n of this.mirrors) if (!this.synced.has(n) && this.missing.get(n)?.size === 0) this.markSynced(n);
    this.maybeSync();
  }

  // ------------------------------------------------------------------ the queue's hooks

  published(message: QueuedMessage): void {
    this.held.set(message.id, message);
    this.last = message;
    if (this.mirrors.length === 0) return;
    const wire: GmMessage = { type: 'gm.publish', queue: this.key, epoch: this.epoch, message };
    for (const n of this.mirrors) this.host.send(n, wire, GM_BYTES + message.content.bytes);
  }

  removed(message: QueuedMessage): void {
    if (!this.held.delete(message.id)) return;
    if (this.mirrors.length === 0) return;
    const wire: GmMessage = { type: 'gm.drop', queue: this.key, epoch: this.epoch, ids: [message.id] };
    for (const n of this.mirrors) this.host.send(n, wire, GM_BYTES);
    for (const [n, lacks] of this.missing) {
      if (lacks.delete(message.id) && lacks.size === 0 && this.syncing?.mirror !== n) this.markSynced(n);
    }
  }

  claim(channel: Channel, seq: number): readonly string[] {
    if (this.mirrors.length === 0 || this.last === null) return [];
    this.waiters.set(this.last.id, { kind: 'local', channel, seq, pending: new Set(this.mirrors) });
    return this.mirrors.map((n) => `gm:${n}`);
  }

  claimRemote(remote: RemoteChannel, seq: number): void {
    if (this.mirrors.length === 0 || this.last === null) return;
    this.waiters.set(this.last.id, { kind: 'remote', remote, seq, pending: new Set(this.mirrors), own: true, ack: true });
    this.remoteIndex.set(remoteKey(remote, seq), this.last.id);
  }

  /** The leader's own part of a remote channel's confirm: held while mirrors are still to ack. */
  holdRemoteConfirm(remote: RemoteChannel, seq: number, ack: boolean): boolean {
    const k = remoteKey(remote, seq);
    const id = this.remoteIndex.get(k);
    if (id === undefined) return false;
    const w = this.waiters.get(id);
    if (w === undefined || w.kind !== 'remote') {
      this.remoteIndex.delete(k);
      return false;
    }
    w.own = false;
    if (!ack) w.ack = false;
    if (w.pending.size > 0) return true;
    this.waiters.delete(id);
    this.remoteIndex.delete(k);
    return false;
  }

  // ------------------------------------------------------------------ gm

  /** gm.ack: mirror `from` has message `id`. */
  acked(from: string, id: number): void {
    if (this.blocked) {
      this.deferred.push([from, id]);
      return;
    }
    const w = this.waiters.get(id);
    if (w === undefined || !w.pending.delete(from)) return;
    if (w.kind === 'local') {
      this.host.confirmPart(w.channel, w.seq, `gm:${from}`);
      if (w.pending.size === 0) this.waiters.delete(id);
      return;
    }
    if (w.pending.size > 0 || w.own) return;
    this.waiters.delete(id);
    this.remoteIndex.delete(remoteKey(w.remote, w.seq));
    this.host.confirmRemote(w.remote, w.seq, w.ack);
  }

  /** A mirror's node was seen down: it leaves the group; confirms stop waiting for it; the policy may want another. */
  mirrorDown(node: string): void {
    const at = this.mirrors.indexOf(node);
    if (at < 0) return;
    this.leave(node);
    this.host.note('mirror-dropped', { queue: this.queue.def.name, mirror: node });
    const added = this.topUp();
    this.announce(added);
    this.maybeSync();
  }

  /** gm.join from a (re)started node: it comes back empty; a mirror again if the policy wants it there. */
  join(from: string): void {
    if (this.mirrors.includes(from)) this.leave(from);
    const want = suggestedMirrors(this.policy, this.host.self, this.mirrors, this.host.nodes, (n) => n === from || this.host.isUp(n));
    const reset: string[] = [];
    if (want.includes(from)) {
      this.add(from);
      reset.push(from);
    }
    this.announce(reset);
    this.maybeSync();
  }

  /** sync_msgs-ok: the mirror stored a batch; the next one, or the end of the synchronisation. */
  batchStored(from: string): void {
    if (this.syncing?.mirror !== from) return;
    this.sendBatch();
  }

  messageIds(into: Set<string>): void {
    for (const m of this.held.values()) into.add(m.content.properties.messageId);
  }

  // ------------------------------------------------------------------ membership and synchronisation

  private leave(node: string): void {
    this.mirrors.splice(this.mirrors.indexOf(node), 1);
    this.synced.delete(node);
    this.missing.delete(node);
    this.epoch++;
    if (this.syncing?.mirror === node) this.endSync(false);
    this.deferred = this.deferred.filter(([n]) => n !== node);
    // Confirms no longer wait for it: as if it had acked.
    for (const [id, w] of [...this.waiters]) if (w.pending.has(node)) this.acked(node, id);
  }

  private add(node: string): void {
    this.mirrors.push(node);
    this.epoch++;
    const lacks = new Set(this.held.keys());
    if (lacks.size === 0) this.synced.add(node);
    else this.missing.set(node, lacks);
    this.host.note('mirror-added', { queue: this.queue.def.name, mirror: node, synced: lacks.size === 0, lacks: lacks.size });
  }

  /** New mirrors the policy wants (nodes up, not yet mirrors): added, empty. */
  private topUp(): string[] {
    const want = suggestedMirrors(this.policy, this.host.self, this.mirrors, this.host.nodes, (n) => this.host.isUp(n));
    const added = want.filter((n) => !this.mirrors.includes(n));
    for (const n of added) this.add(n);
    return added;
  }

  private announce(reset: readonly string[]): void {
    this.host.announce(this.key, this.view(), reset);
  }

  private markSynced(node: string): void {
    this.missing.delete(node);
    this.synced.add(node);
    this.epoch++;
    this.host.note('mirror-synced', { queue: this.queue.def.name, mirror: node });
    this.announce([]);
  }

  /** ha-sync-mode automatic: synchronise the oldest unsynchronised mirror, if none is being synchronised. */
  private maybeSync(): void {
    if (this.policy.syncMode !== 'automatic' || this.syncing !== null) return;
    const next = this.mirrors.find((n) => (this.missing.get(n)?.size ?? 0) > 0);
    if (next === undefined) return;
    this.syncing = { mirror: next, startedAt: this.host.now(), sent: 0 };
    this.blocked = true;
    this.host.stats.mirrorSyncs++;
    this.host.note('mirror-sync-started', { queue: this.queue.def.name, mirror: next, messages: this.missing.get(next)!.size, batch: this.policy.batchSize });
    this.sendBatch();
  }

  private sendBatch(): void {
    const s = this.syncing!;
    const lacks = this.missing.get(s.mirror);
    if (lacks === undefined || lacks.size === 0) {
      this.endSync(true);
      return;
    }
    const batch: QueuedMessage[] = [];
    let bytes = GM_BYTES;
    for (const id of lacks) {
      if (batch.length >= this.policy.batchSize) break;
      const m = this.held.get(id);
      if (m !== undefined) {
        batch.push(m);
        bytes += m.content.bytes + 16;
      }
    }
    for (const m of batch) lacks.delete(m.id);
    s.sent += batch.length;
    this.host.send(s.mirror, { type: 'sync_msgs', queue: this.key, epoch: this.epoch, messages: batch, last: lacks.size === 0 }, bytes);
  }

  private endSync(done: boolean): void {
    const s = this.syncing!;
    this.syncing = null;
    this.blocked = false;
    const blockedMs = Math.round((this.host.now() - s.startedAt) / 1000);
    this.host.stats.syncBlockedMsMax = Math.max(this.host.stats.syncBlockedMsMax, blockedMs);
    this.host.note('mirror-sync-done', { queue: this.queue.def.name, mirror: s.mirror, messages: s.sent, blockedMs, completed: done });
    if (done && this.mirrors.includes(s.mirror)) this.markSynced(s.mirror);
    const deferred = this.deferred;
    this.deferred = [];
    for (const [from, id] of deferred) this.acked(from, id);
    this.host.dispatch(this.queue);
    this.maybeSync();
  }
}

function remoteKey(remote: RemoteChannel, seq: number): string {
  return `${remote.node}|${remote.conn}|${remote.channel}|${seq}`;
}
