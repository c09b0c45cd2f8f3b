import type { QueuedMessage } from '../broker/ready-messages.js';

/**
 * A mirror of a classic queue on this node, after rabbit_mirror_queue_slave: the messages the
 * leader has published through gm and not yet dropped (acked, expired, dead-lettered at the
 * leader), and whether it holds everything the leader holds (synchronised). A mirror that joins
 * a queue that has messages starts empty and unsynchronised: it gets only what is published
 * from then on, until consumers drain the older ones or a synchronisation (sync_msgs) sends
 * them. The model keeps a mirror's messages in memory: a restarted mirror throws away its
 * contents anyway (it rejoins empty).
 */
export class SlaveQueue {
  private readonly messages = new Map<number, QueuedMessage>();

  /** ha-promote-on-failure when-synced refused this mirror's promotion after `master` was lost. */
  refusedAfter: string | null = null;

  constructor(readonly key: string, public master: string, public synced: boolean) {}

  get size(): number {
    return this.messages.size;
  }

  /** gm publish: a copy (the leader's object is its own). */
  publish(message: QueuedMessage): void {
    this.messages.set(message.id, { ...message });
  }

  drop(ids: readonly number[]): void {
    for (const id of ids) this.messages.delete(id);
  }

  /** A synchronisation batch: the leader's older messages this mirror lacked. */
  sync(messages: readonly QueuedMessage[]): void {
    for (const m of messages) if (!this.messages.has(m.id)) this.messages.set(m.id, { ...m });
  }

  /** In queue order (the leader's positions), for a promotion. */
  sorted(): QueuedMessage[] {
    return [...this.messages.values()].sort((a, b) => a.pos - b.pos);
  }

  ids(): IterableIterator<number> {
    return this.messages.keys();
  }

  messageIds(into: Set<string>): void {
    for (const m of this.messages.values()) into.add(m.content.properties.messageId);
  }
}
