import { describe, expect, it } from 'vitest';
import { RabbitBroker } from '../../models/rabbitmq/broker/broker.js';
import type { QueueDef } from '../../models/rabbitmq/broker/queue-process.js';
import { emptyStats } from '../../models/rabbitmq/stats.js';
import { SEGMENT_ENTRY_COUNT } from '../../models/rabbitmq/broker/message-store.js';
import type { AmqpFrame, Content } from '../../models/rabbitmq/protocol.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { World } from '../../sim/world.js';

/**
 * The durable queue store's segment files (models/rabbitmq/store.ts): a segment whose messages
 * have all left, that the queue has written past, is deleted once its records are durable, so
 * the store does not grow with the messages ever published; a restart recovers exactly what a
 * single ever-growing file would have given.
 */

class Script implements Actor {
  ctx!: NodeContext;
  deliveries = 0;
  start(ctx: NodeContext): void {
    this.ctx = ctx;
  }
  receive(_from: string, message: Message): void {
    if ((message as AmqpFrame).type === 'basic.deliver') this.deliveries++;
  }
  send(frame: AmqpFrame): void {
    this.ctx.send('rabbit-1', frame, 64);
  }
}

const MS = 1_000;
const queue: QueueDef = { vhost: '/', name: 'q', durable: true, exclusive: false, autoDelete: false, args: {} };
const persistent = (id: string): Content => ({ properties: { deliveryMode: 2, messageId: id, timestamp: 0 }, key: undefined, bytes: 100 });

function harness(fsync = MS) {
  const world = new World({ seed: 1, network: { latency: { constant: MS } }, disk: { fsyncLatency: { constant: fsync } } });
  let broker: RabbitBroker | null = null;
  world.addNode('rabbit-1', () => new RabbitBroker({
    vhosts: ['/'], exchanges: [], queues: [queue], bindings: [], heartbeat: 60_000 * MS, fsyncInterval: 200 * MS, stats: emptyStats(),
    onStart: (b) => { broker = b; },
  }), { roles: ['broker'] });
  const client = new Script();
  world.addNode('c', () => client);
  const conn = 'c/1';
  const at = (time: number, fn: () => void) => world.kernel.at(time, fn, null);
  at(1 * MS, () => {
    client.send({ type: 'connection.open', conn, vhost: '/', user: 'guest', heartbeat: 0 });
    client.send({ type: 'channel.open', conn, channel: 1 });
  });
  const publishMany = (time: number, prefix: string, count: number) => at(time, () => {
    for (let i = 0; i < count; i++) client.send({ type: 'basic.publish', conn, channel: 1, exchange: '', routingKey: 'q', mandatory: false, content: persistent(`${prefix}${i}`) });
  });
  /** A no-ack consumer: every delivery removes the message (an ack record in its segment). */
  const consume = (time: number) => at(time, () => client.send({ type: 'basic.consume', conn, channel: 1, queue: 'q', consumerTag: 't1', noAck: true }));
  const files = () => broker!.ctx.disk.fileNames().filter((name) => name.includes('/|q'));
  const run = (until: number) => world.run({ duration: until, drain: 0 });
  return { world, client, at, publishMany, consume, files, run, broker: () => broker! };
}

describe('rabbitmq durable queue store: segment files', () => {
  it('deletes segments whose messages all left once durable; a restart recovers the messages still queued', () => {
    const h = harness();
    h.publishMany(5 * MS, 'a', 2 * SEGMENT_ENTRY_COUNT + 10);
    h.consume(50 * MS);
    h.publishMany(300 * MS, 'x', 3);
    let before: string[] = [];
    let usedBefore = 0;
    h.at(900 * MS, () => {
      before = h.files();
      usedBefore = h.broker().ctx.disk.used;
    });
    h.at(1_000 * MS, () => h.world.crash('rabbit-1'));
    h.at(1_100 * MS, () => h.world.restart('rabbit-1'));
    h.run(1_200 * MS);
    expect(h.client.deliveries).toBe(2 * SEGMENT_ENTRY_COUNT + 10 + 3);
    // Segments 0 and 1 (positions 0..8191) are gone; segment 2 holds the last 10 'a's and the 3 'x's.
    expect(before).toEqual(['queue-segment:2:/|q']);
    // Only segment 2's records are left on disk: 13 publishes (100 + 48 bytes) and 13 acks (16), and the definitions.
    expect(usedBefore).toBeLessThan(13 * (148 + 16) + 4_096);
  });

  it('keeps a segment whose ack records are not durable yet: a crash brings those messages back', () => {
    // fsync takes 50ms: the first starts at ~205ms (200ms after the first publish); the acks of the
    // consumer at 210ms are written while it runs, so they are not durable when it completes.
    const h = harness(50 * MS);
    const n = SEGMENT_ENTRY_COUNT + 5;
    h.publishMany(5 * MS, 'a', n);
    h.consume(210 * MS);
    let during: string[] = [];
    h.at(300 * MS, () => { during = h.files(); });
    h.at(300 * MS + 1, () => h.world.crash('rabbit-1'));
    h.at(400 * MS, () => h.world.restart('rabbit-1'));
    h.run(500 * MS);
    expect(h.client.deliveries).toBe(n);
    expect(during).toEqual(['queue:/|q', 'queue-segment:1:/|q']);
    const ready = [...h.broker().queues.get('/|q')!.ready];
    expect(ready).toHaveLength(n);
    expect(ready.every((m) => m.redelivered)).toBe(true);
    expect(ready[0]!.content.properties.messageId).toBe('a0');
    expect(ready[n - 1]!.content.properties.messageId).toBe(`a${n - 1}`);
  });

  it('after a restart the recovered store keeps deleting what empties', () => {
    const h = harness();
    const n = SEGMENT_ENTRY_COUNT + 5;
    h.publishMany(5 * MS, 'a', n);
    h.at(400 * MS, () => h.world.crash('rabbit-1'));
    h.at(500 * MS, () => h.world.restart('rabbit-1'));
    // The client's connection died with the broker: a new one, then a consumer that drains the recovered messages.
    h.at(600 * MS, () => {
      h.client.send({ type: 'connection.open', conn: 'c/2', vhost: '/', user: 'guest', heartbeat: 0 });
      h.client.send({ type: 'channel.open', conn: 'c/2', channel: 1 });
      h.client.send({ type: 'basic.consume', conn: 'c/2', channel: 1, queue: 'q', consumerTag: 't2', noAck: true });
    });
    h.at(600 * MS + 10, () => {
      for (let i = 0; i < SEGMENT_ENTRY_COUNT; i++) h.client.send({ type: 'basic.publish', conn: 'c/2', channel: 1, exchange: '', routingKey: 'q', mandatory: false, content: persistent(`b${i}`) });
    });
    let after: string[] = [];
    h.at(1_500 * MS, () => { after = h.files(); });
    h.run(1_600 * MS);
    expect(h.client.deliveries).toBe(n + SEGMENT_ENTRY_COUNT);
    // Positions 0..n-1 recovered then consumed; the new messages took positions n.. (segments 1 and 2); segments 0 and 1 went.
    expect(after).toEqual(['queue-segment:2:/|q']);
  });
});
