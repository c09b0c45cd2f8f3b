import { DiskFullError, type DiskFile } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import type { Content } from '../protocol.js';
import type { RabbitBroker } from './broker.js';
import type { ExchangeDef } from './exchange-routing.js';
import { RECORD_OVERHEAD_BYTES } from './message-store.js';

/**
 * The x-delayed-message exchange (the rabbitmq_delayed_message_exchange plugin): a message
 * published to it is kept on the node's disk (the `delayed` file) for its x-delay header in
 * milliseconds, then routed by the exchange's x-delayed-type. The plugin does not support
 * mandatory: a released message that reaches no queue is dropped (`delayed-unroutable`).
 * A restarted broker sets the timers of what the file kept again.
 */

interface DelayedMessage { id: number; vhost: string; exchange: string; routingKey: string; content: Content; dueAt: Micros }
type DelayedRecord = { op: 'put'; m: DelayedMessage } | { op: 'del'; id: number };

export class DelayedMessageExchange {
  private readonly file: DiskFile<DelayedRecord>;
  private readonly delayed = new Map<number, DelayedMessage>();

  constructor(private readonly broker: RabbitBroker) {
    this.file = broker.ctx.disk.file<DelayedRecord>('delayed');
  }

  /** Keeps the message (on disk) for its x-delay. Throws DiskFullError when the disk is full. */
  hold(vhost: string, exchange: ExchangeDef, routingKey: string, content: Content): void {
    const broker = this.broker;
    const raw = content.properties.headers?.['x-delay'];
    const delayMs = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : 0;
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? Math.round(delayMs * 1000) : 0;
    const m: DelayedMessage = { id: broker.nextId++, vhost, exchange: exchange.name, routingKey, content, dueAt: broker.ctx.trueNow() + delay };
    this.file.append({ op: 'put', m }, content.bytes + RECORD_OVERHEAD_BYTES);
    broker.storeSync.markDirty();
    this.delayed.set(m.id, m);
    broker.timers.set(broker.ctx, delay, 'delayed', m.id);
  }

  /** The `delayed` timer of message `id`: route it now. */
  release(id: number): void {
    const broker = this.broker;
    const m = this.delayed.get(id);
    if (!m) return;
    this.delayed.delete(id);
    try {
      this.file.append({ op: 'del', id }, 16);
      broker.storeSync.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
    }
    // Routed by x-delayed-type; the plugin does not support mandatory, so nothing is returned.
    const route = broker.topology.route(m.vhost, m.exchange, m.routingKey, m.content.properties.headers, broker.exists, true);
    if (route.queues.length === 0) {
      broker.stats.unroutable++;
      notes.note(broker.ctx, 'delayed-unroutable', { exchange: m.exchange, msg: m.content.properties.messageId });
    }
    for (const key of route.queues) {
      const local = broker.queues.get(key);
      if (local !== undefined) broker.queueProcess.enqueue(local, m.exchange, m.routingKey, m.content);
      else broker.link!.publish(null, 0, key, m.exchange, m.routingKey, m.content, []);
    }
  }

  /** A restart: the messages the file kept wait again for what is left of their delay. Returns how many. */
  recover(): number {
    const broker = this.broker;
    const pending = new Map<number, DelayedMessage>();
    for (const record of this.file.records) {
      if (record.op === 'put') pending.set(record.m.id, record.m);
      else pending.delete(record.id);
      broker.nextId = Math.max(broker.nextId, (record.op === 'put' ? record.m.id : record.id) + 1);
    }
    const now = broker.ctx.trueNow();
    for (const m of pending.values()) {
      this.delayed.set(m.id, m);
      broker.timers.set(broker.ctx, Math.max(0, m.dueAt - now), 'delayed', m.id);
    }
    return pending.size;
  }
}
