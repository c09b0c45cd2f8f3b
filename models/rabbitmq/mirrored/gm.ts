import { DiskFullError } from '../../../sim/disk.js';
import { unreachable } from '../../../sim/timers.js';
import type { RabbitBroker } from '../broker/broker.js';
import type { Channel } from '../broker/channel.js';
import type { RemoteChannel } from '../broker/message-store.js';
import { RECORD_OVERHEAD_BYTES } from '../broker/message-store.js';
import type { QueueDef } from '../broker/queue-process.js';
import { vhostKey } from '../broker/exchange-routing.js';
import { notes } from '../notes.js';
import { FRAME_BYTES, type GmMessage, type MirrorView } from '../protocol.js';
import { MasterQueue, type MasterHost } from './master.js';
import { initialMaster, promotion, suggestedMirrors, type MirrorPolicy } from './misc.js';
import { SlaveQueue } from './slave.js';

/**
 * One node's part in classic queue mirroring (RabbitMQ before 4.0): the gm group membership of
 * every mirrored queue as this node sees it, and the roles it plays (leader: mirrored/master.ts,
 * mirror: mirrored/slave.ts). The cluster link (cluster/link.ts) hands it the peers' gm
 * messages and the nodedown/nodeup events, and asks it where a mirrored queue's leader is.
 *
 * - First start: every node computes the same placement (mirrored/misc.ts); the leader declares
 *   the queue, the mirrors start empty and synchronised (the queue is empty).
 * - The leader's node seen down (net_ticktime): the oldest mirror still up promotes itself, or
 *   refuses with ha-promote-on-failure when-synced while unsynchronised; the promoted leader
 *   requeues everything it holds as redelivered (it cannot know which were delivered), writes
 *   the persistent ones to its own store, and announces the new view. The other nodes route to
 *   the leader of the last view they heard.
 * - Under a partition each side may end up with its own leader (split brain); the model keeps
 *   both until one side's node restarts (autoheal's losers, pause_minority's paused nodes, a
 *   crash and restart): a restarted node asks every peer (`gm.join`); a live leader takes it
 *   back as an empty mirror (throwing away what it held: the losing side's messages are gone);
 *   when every peer answers that it leads nothing, the node recovers the queue from its own
 *   disk as leader (the last node standing).
 */
export class MirroredQueues {
  /** Queues whose leader (the value) was seen to stop in order and no new leader has been announced since. */
  private readonly stoppedMasters = new Map<string, string>();
  private readonly defs = new Map<string, QueueDef & { mirror: MirrorPolicy }>();
  private readonly views = new Map<string, MirrorView>();
  private readonly masters = new Map<string, MasterQueue>();
  private readonly slaves = new Map<string, SlaveQueue>();
  /** Restarted: per queue, the peers still to answer gm.join. */
  private readonly joining = new Map<string, Set<string>>();
  /** Restarted: per queue, the leaders peers named in their gm.join-reply (their view is awaited). */
  private readonly expected = new Map<string, Set<string>>();
  /** Peers this node saw down when it started (their nodedown at the start says nothing new). */
  private readonly downAtStart = new Set<string>();
  private readonly host: MasterHost;

  constructor(
    private readonly broker: RabbitBroker,
    private readonly self: string,
    private readonly nodes: readonly string[],
    private readonly isUp: (node: string) => boolean,
    link: { partDone(channel: Channel, seq: number, ack: boolean): void; confirmRemote(remote: RemoteChannel, seq: number, ack: boolean): void },
  ) {
    for (const def of broker.options.queues) if (def.mirror !== undefined) this.defs.set(vhostKey(def.vhost, def.name), def as QueueDef & { mirror: MirrorPolicy });
    this.host = {
      self, nodes,
      isUp: (n) => n !== self && isUp(n),
      now: () => broker.ctx.trueNow(),
      send: (to, message, bytes) => broker.ctx.send(to, message, bytes),
      confirmPart: (channel, seq, part) => {
        const p = channel.pending?.get(seq);
        if (p === undefined) return;
        const at = p.nodes.indexOf(part);
        if (at < 0) return;
        p.nodes.splice(at, 1);
        link.partDone(channel, seq, true);
      },
      confirmRemote: (remote, seq, ack) => link.confirmRemote(remote, seq, ack),
      dispatch: (queue) => broker.queueProcess.dispatch(queue),
      announce: (key, view, reset) => this.announce(key, view, reset),
      note: (what, detail) => notes.note(broker.ctx, what, detail),
      stats: broker.stats,
    };
  }

  get active(): boolean {
    return this.defs.size > 0;
  }

  isMirrored(key: string): boolean {
    return this.defs.has(key);
  }

  /** The leader of a mirrored queue as this node last heard (null: none known, or joining). */
  masterOf(key: string): string | null {
    if (this.joining.has(key)) return null;
    return this.views.get(key)?.master ?? null;
  }

  /** Does this node declare the queue at its first start (it is the initial leader)? */
  leadsAtFirstStart(def: QueueDef): boolean {
    return def.mirror !== undefined && initialMaster(def.mirror, def.node ?? this.nodes[0]!, this.nodes) === this.self;
  }

  start(restarted: boolean): void {
    for (const n of this.nodes) if (n !== this.self && !this.isUp(n)) this.downAtStart.add(n);
    for (const [key, def] of this.defs) {
      if (restarted) {
        // Ask every peer who leads the queue now; peers seen down are asked again when they come up.
        const peers = new Set(this.nodes.filter((n) => n !== this.self));
        this.joining.set(key, peers);
        for (const n of peers) this.gm(n, { type: 'gm.join', queue: key }, FRAME_BYTES);
        if (peers.size === 0) this.joinedNobody(key);
        continue;
      }
      const master = initialMaster(def.mirror, def.node ?? this.nodes[0]!, this.nodes);
      const mirrors = suggestedMirrors(def.mirror, master, [], this.nodes, () => true);
      const view: MirrorView = { epoch: 1, master, mirrors, synced: mirrors };
      this.views.set(key, view);
      if (master === this.self) {
        const queue = this.broker.queues.get(key);
        if (queue !== undefined) this.masters.set(key, new MasterQueue(key, queue, def.mirror, this.host, 1, mirrors, mirrors, []));
      } else if (mirrors.includes(this.self)) {
        this.slaves.set(key, new SlaveQueue(key, master, true));
      }
    }
  }

  // ------------------------------------------------------------------ the channel side

  holdRemoteConfirm(remote: RemoteChannel, seq: number, ack: boolean): boolean {
    for (const m of this.masters.values()) if (m.holdRemoteConfirm(remote, seq, ack)) return true;
    return false;
  }

  /** Does this node lead the queue now? */
  leads(key: string): boolean {
    return this.masters.has(key);
  }

  messageIds(into: Set<string>): void {
    for (const m of this.masters.values()) m.messageIds(into);
    for (const s of this.slaves.values()) s.messageIds(into);
  }

  // ------------------------------------------------------------------ cluster events

  /** `shutdown`: the node stopped in order (its distribution connections closed): ha-promote-on-shutdown rules. */
  nodeDown(node: string, shutdown = false): void {
    for (const [key, def] of this.defs) {
      const joining = this.joining.get(key);
      if (joining !== undefined) {
        const answered = !this.downAtStart.has(node) && joining.delete(node);
        if ((answered || this.expected.get(key)?.has(node) === true) && joining.size === 0 && !this.expectsLeader(key)) this.joinedNobody(key);
        continue;
      }
      const master = this.masters.get(key);
      if (master !== undefined) {
        master.mirrorDown(node);
        continue;
      }
      this.masterGone(key, def, node, shutdown);
    }
  }

  /**
   * The leader `node` of queue `key` is gone (seen down, or back restarted without its state):
   * this mirror promotes itself if it is the oldest one up and may. Returns who should lead now
   * as this node sees it (null: nobody will).
   */
  private masterGone(key: string, def: QueueDef & { mirror: MirrorPolicy }, node: string, shutdown = false): string | null {
    const view = this.views.get(key);
    // A leader seen to stop in order stays stopped in order: when it comes back and asks to join,
    // ha-promote-on-shutdown still decides, not ha-promote-on-failure.
    if (shutdown && view?.master === node) this.stoppedMasters.set(key, node);
    shutdown ||= this.stoppedMasters.get(key) === node && view?.master === node;
    const slave = this.slaves.get(key);
    if (view === undefined || view.master !== node) return null;
    const p = promotion(def.mirror, view.mirrors, view.synced, (n) => n !== node && (n === this.self || this.isUp(n)), shutdown);
    if (slave !== undefined && p.kind === 'promote' && p.node === this.self) {
      this.promote(key, def, view, slave);
      return this.self;
    }
    if (slave !== undefined && p.kind === 'refused' && p.node === this.self && slave.refusedAfter !== node) {
      slave.refusedAfter = node;
      this.broker.stats.promotionsRefused++;
      notes.note(this.broker.ctx, 'mirror-not-promoted', { queue: def.name, mirror: this.self, oldMaster: node, messages: slave.size });
    }
    return p.kind === 'promote' ? p.node : null;
  }

  /** A peer is back: a node still joining asks it again (its first gm.join may have been lost in the cut). */
  nodeUp(node: string): void {
    this.downAtStart.delete(node);
    for (const [key, waiting] of this.joining) if (waiting.has(node)) this.gm(node, { type: 'gm.join', queue: key }, FRAME_BYTES);
  }

  /** net_ticktime after a restart: peers still down will not answer; if nobody else leads a queue, this node does. */
  joinTimedOut(): void {
    this.downAtStart.clear();
    for (const [key, waiting] of [...this.joining]) {
      for (const n of [...waiting]) if (!this.isUp(n)) waiting.delete(n);
      if (waiting.size === 0 && !this.expectsLeader(key)) this.joinedNobody(key);
    }
  }

  /** A peer named a leader of `key` that is still up: its view will come. */
  private expectsLeader(key: string): boolean {
    return [...(this.expected.get(key) ?? [])].some((n) => this.isUp(n));
  }

  onMessage(from: string, msg: GmMessage): void {
    switch (msg.type) {
      case 'gm.publish': {
        const slave = this.slaves.get(msg.queue);
        if (slave === undefined || slave.master !== from) return;
        slave.publish(msg.message);
        this.gm(from, { type: 'gm.ack', queue: msg.queue, epoch: msg.epoch, id: msg.message.id }, 32);
        return;
      }
      case 'gm.drop': {
        const slave = this.slaves.get(msg.queue);
        if (slave !== undefined && slave.master === from) slave.drop(msg.ids);
        return;
      }
      case 'gm.ack':
        this.masters.get(msg.queue)?.acked(from, msg.id);
        return;
      case 'gm.view':
        return this.onView(from, msg.queue, msg.view, msg.reset);
      case 'gm.join': {
        const def = this.defs.get(msg.queue);
        if (def === undefined) return;
        // A leader that restarted lost its state (its peers may not have seen it down yet): promote as if it had died.
        let leader = this.joining.has(msg.queue) ? null : this.views.get(msg.queue)?.master ?? null;
        if (leader === from) leader = this.masterGone(msg.queue, def, from);
        const master = this.masters.get(msg.queue);
        if (master !== undefined) master.join(from);
        else this.gm(from, { type: 'gm.join-reply', queue: msg.queue, master: leader !== null && (leader === this.self || this.isUp(leader)) ? leader : null }, FRAME_BYTES);
        return;
      }
      case 'gm.join-reply': {
        const joining = this.joining.get(msg.queue);
        if (joining === undefined || !joining.delete(from)) return;
        // A peer names a live leader: wait for its view rather than recover from disk.
        if (msg.master !== null && msg.master !== this.self) (this.expected.get(msg.queue) ?? this.expected.set(msg.queue, new Set()).get(msg.queue)!).add(msg.master);
        if (joining.size === 0 && !this.expectsLeader(msg.queue)) this.joinedNobody(msg.queue);
        return;
      }
      case 'sync_msgs': {
        const slave = this.slaves.get(msg.queue);
        if (slave === undefined || slave.master !== from) return;
        slave.sync(msg.messages);
        if (msg.last) slave.synced = true;
        this.gm(from, { type: 'sync_msgs-ok', queue: msg.queue, epoch: msg.epoch }, 32);
        return;
      }
      case 'sync_msgs-ok':
        this.masters.get(msg.queue)?.batchStored(from);
        return;
      default:
        return unreachable(msg, 'gm message');
    }
  }

  private gm(to: string, message: GmMessage, bytes: number): void {
    this.broker.ctx.send(to, message, bytes);
  }

  // ------------------------------------------------------------------ views, joining, promotion

  private announce(key: string, view: MirrorView, reset: readonly string[]): void {
    this.views.set(key, view);
    this.broker.options.onMirrorView?.(key, view);
    for (const n of this.nodes) {
      if (n === this.self) continue;
      this.gm(n, { type: 'gm.view', queue: key, view, reset }, FRAME_BYTES + 16 * view.mirrors.length);
    }
    this.broker.changed('mirror view');
  }

  private onView(from: string, key: string, view: MirrorView, reset: readonly string[]): void {
    const def = this.defs.get(key);
    if (def === undefined || view.master !== from) return;
    this.stoppedMasters.delete(key); // a leader announced itself: the stop is over
    // A leader believes only itself (two leaders after a partition under ignore stay two).
    if (this.masters.has(key)) return;
    const wasJoining = this.joining.delete(key);
    this.expected.delete(key);
    const known = this.views.get(key);
    if (!wasJoining && known !== undefined && known.master === from && known.epoch > view.epoch) return; // a stale one
    this.views.set(key, view);
    const slave = this.slaves.get(key);
    if (!view.mirrors.includes(this.self)) {
      if (slave !== undefined) this.slaves.delete(key);
      return;
    }
    if (slave === undefined || reset.includes(this.self) || slave.master !== from && !view.synced.includes(this.self)) {
      this.slaves.set(key, new SlaveQueue(key, from, view.synced.includes(this.self)));
      if (wasJoining) notes.note(this.broker.ctx, 'mirror-rejoined', { queue: def.name, master: from });
      return;
    }
    slave.master = from;
    slave.synced = view.synced.includes(this.self);
  }

  /** Every peer answered gm.join without leading the queue: the last node standing recovers it from its disk. */
  private joinedNobody(key: string): void {
    this.joining.delete(key);
    this.expected.delete(key);
    const def = this.defs.get(key)!;
    const broker = this.broker;
    const queue = broker.queueProcess.declare(def);
    if (queue.store !== null) broker.queueProcess.recover(queue);
    notes.note(broker.ctx, 'mirror-recovered', { queue: def.name, messages: queue.ready.count });
    const epoch = (this.views.get(key)?.epoch ?? 0) + 1;
    const held = [...queue.ready];
    const master = new MasterQueue(key, queue, def.mirror, this.host, epoch, [], [], held);
    this.masters.set(key, master);
    this.views.set(key, master.view());
    master.begin([]);
    broker.changed('mirror recovered');
  }

  private promote(key: string, def: QueueDef & { mirror: MirrorPolicy }, view: MirrorView, slave: SlaveQueue): void {
    const broker = this.broker;
    this.slaves.delete(key);
    const queue = broker.queueProcess.declare(def);
    const messages = slave.sorted();
    if (queue.store !== null) {
      // Whatever an earlier term as leader left in this node's store is stale: start it afresh.
      for (const _ of queue.store.recoverRecords()) { /* registers the segment files */ }
      queue.store.deleteAll();
    }
    let maxId = 0;
    const held: typeof messages = [];
    for (const m of messages) {
      // Which of them the old leader had delivered is not known here: all come back redelivered.
      const message = { ...m, redelivered: true, stored: m.stored && queue.store !== null };
      if (message.stored) {
        try {
          queue.store!.publish(message, message.content.bytes + RECORD_OVERHEAD_BYTES);
        } catch (error) {
          if (!(error instanceof DiskFullError)) throw error;
          message.stored = false;
        }
      }
      queue.ready.insert(message);
      held.push(message);
      queue.nextPos = Math.max(queue.nextPos, message.pos + 1);
      maxId = Math.max(maxId, message.id);
    }
    if (held.some((m) => m.stored)) broker.storeSync.markDirty();
    broker.nextId = Math.max(broker.nextId, maxId + 1);
    // The mirrors still up stay; they stay synchronised only if this one was (then all hold the same).
    const mirrors = view.mirrors.filter((n) => n !== this.self && this.isUp(n));
    const synced = slave.synced ? mirrors.filter((n) => view.synced.includes(n)) : [];
    const master = new MasterQueue(key, queue, def.mirror, this.host, view.epoch + 1, mirrors, synced, held);
    this.masters.set(key, master);
    this.views.set(key, master.view());
    broker.stats.mirrorPromotions++;
    if (!slave.synced) broker.stats.unsyncedPromotions++;
    notes.note(broker.ctx, 'mirror-promoted', { queue: def.name, master: this.self, oldMaster: view.master, synced: slave.synced, messages: held.length });
    master.begin(mirrors.filter((n) => !synced.includes(n)));
    broker.queueProcess.dispatch(queue);
    broker.changed('mirror promoted');
  }
}

