import { notes } from '../notes.js';
import type { Content, Properties, XDeath } from '../protocol.js';
import type { RabbitBroker } from './broker.js';
import type { QueueDef } from './queue-process.js';
import type { QueuedMessage } from './ready-messages.js';

/**
 * Dead-lettering, after rabbit_dead_letter: a message that leaves a queue for a reason
 * (`rejected`: basic.nack / basic.reject without requeue; `expired`: its TTL passed at the
 * head; `maxlen`: overflow; `delivery_limit`: a quorum queue's x-delivery-limit) is republished
 * to the queue's x-dead-letter-exchange with its x-dead-letter-routing-key or the message's own
 * routing key, or dropped when the queue has none.
 *
 * Headers: the x-death entry for (queue, reason) is counted up and moved first, or added first
 * (with the exchange, routing keys, time and the original expiration); x-first-death-queue,
 * -reason and -exchange are set by the first death only; the expiration property is removed so
 * the message does not expire again by itself. A message that would come back to a queue it
 * already died in, with no rejection in its history (an automatic cycle), is dropped there.
 */
export class DeadLettering {
  constructor(private readonly broker: RabbitBroker) {}

  deadLetter(queue: { readonly def: QueueDef }, message: Pick<QueuedMessage, 'exchange' | 'routingKey' | 'content'>, reason: XDeath['reason']): void {
    const broker = this.broker;
    const ctx = broker.ctx;
    const dlx = queue.def.args['x-dead-letter-exchange'];
    if (dlx === undefined) return;
    broker.stats.deadLettered++;
    const props = message.content.properties;
    const deaths = updateDeaths(props.xDeath, {
      queue: queue.def.name, reason, count: 1, exchange: message.exchange, 'routing-keys': [message.routingKey],
      time: ctx.trueNow(), ...(props.expiration !== undefined ? { 'original-expiration': props.expiration } : {}),
    });
    const { expiration: _expiration, ...kept } = props;
    const headers = { ...(props.headers ?? {}) };
    if (headers['x-first-death-queue'] === undefined) {
      headers['x-first-death-queue'] = queue.def.name;
      headers['x-first-death-reason'] = reason;
      headers['x-first-death-exchange'] = message.exchange;
    }
    const properties: Properties = { ...kept, headers, xDeath: deaths };
    const content: Content = { ...message.content, properties };
    const routingKey = queue.def.args['x-dead-letter-routing-key'] ?? message.routingKey;
    const vhost = queue.def.vhost;
    if (!broker.topology.exchange(vhost, dlx)) {
      notes.note(ctx, 'dead-letter-dropped', { queue: queue.def.name, msg: props.messageId, why: `no exchange '${dlx}'` });
      return;
    }
    const route = broker.topology.route(vhost, dlx, routingKey, headers, broker.exists);
    const rejectedBefore = deaths.some((d) => d.reason === 'rejected');
    let placed = 0;
    for (const key of route.queues) {
      const target = broker.queues.get(key);
      const targetName = target !== undefined ? target.def.name : broker.link!.nameOf(key);
      if (!rejectedBefore && deaths.some((d) => d.queue === targetName)) {
        notes.note(ctx, 'dead-letter-cycle-dropped', { queue: targetName, msg: props.messageId });
        continue;
      }
      if (target !== undefined) broker.queueProcess.enqueue(target, dlx, routingKey, content);
      else broker.link!.publish(null, 0, key, dlx, routingKey, content, []);
      placed++;
    }
    if (route.delayedAt) broker.delayedExchange.hold(vhost, route.delayedAt, routingKey, content);
    else if (placed === 0) notes.note(ctx, 'dead-letter-dropped', { queue: queue.def.name, msg: props.messageId, why: 'unroutable' });
    else notes.note(ctx, 'dead-lettered', { queue: queue.def.name, msg: props.messageId, reason, dlx, routingKey });
  }
}

/** x-death: the (queue, reason) entry counted up and moved first, or a new entry first. */
export function updateDeaths(previous: readonly XDeath[] | undefined, entry: XDeath): XDeath[] {
  const list = previous ? [...previous] : [];
  const at = list.findIndex((d) => d.queue === entry.queue && d.reason === entry.reason);
  if (at >= 0) {
    const old = list[at]!;
    list.splice(at, 1);
    list.unshift({ ...old, count: old.count + 1 });
  } else {
    list.unshift(entry);
  }
  return list;
}
