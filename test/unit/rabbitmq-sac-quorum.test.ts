import { describe, expect, it } from 'vitest';
import type { Content } from '../../models/rabbitmq/protocol.js';
import { QuorumFifo, type ConsumerId, type FifoEffect } from '../../models/rabbitmq/quorum/fifo.js';
import { parseScenario } from '../../models/scenario.js';

/** x-single-active-consumer on quorum queues (the state machine), and what the schema refuses. */

const content = (id: string): Content => ({ properties: { deliveryMode: 2, messageId: id, timestamp: 0 }, key: undefined, bytes: 10 });
const cid = (tag: string): ConsumerId => ({ node: 'rabbit-1', conn: `${tag}/1`, channel: 1, tag });
const delivered = (effects: FifoEffect[], tag: string) =>
  effects.flatMap((e) => (e.kind === 'deliver' && e.cid.tag === tag ? e.deliveries.map((d) => `${d.message.content.properties.messageId}${d.message.redelivered ? '*' : ''}`) : []));

describe('rabbitmq quorum queue: single active consumer', () => {
  it('delivers to the first consumer only; when it goes, its messages return to the next one first, in order', () => {
    for (const single of [true, false]) {
      const fifo = new QuorumFifo(-1, false, single);
      let index = 0;
      const all: FifoEffect[] = [];
      const apply = (cmd: Parameters<QuorumFifo['apply']>[1]) => all.push(...fifo.apply(++index, cmd));
      apply({ op: 'checkout', cid: cid('a'), prefetch: 2, noAck: false });
      apply({ op: 'checkout', cid: cid('b'), prefetch: 2, noAck: false });
      for (let i = 0; i < 4; i++) apply({ op: 'enqueue', enqueuer: 'p', seq: i + 1, exchange: '', routingKey: 'q', content: content(`m${i}`) });
      if (!single) {
        expect(delivered(all, 'a')).toEqual(['m0', 'm2']);
        expect(delivered(all, 'b')).toEqual(['m1', 'm3']);
        continue;
      }
      expect(delivered(all, 'a')).toEqual(['m0', 'm1']);
      expect(delivered(all, 'b')).toEqual([]);
      apply({ op: 'cancel', cid: cid('a') });
      expect(delivered(all, 'b')).toEqual(['m0*', 'm1*']);
    }
  });

  it('a cancelled active consumer still settling its messages gets no more; the next one does', () => {
    const fifo = new QuorumFifo(-1, false, true);
    let index = 0;
    const all: FifoEffect[] = [];
    const apply = (cmd: Parameters<QuorumFifo['apply']>[1]) => all.push(...fifo.apply(++index, cmd));
    apply({ op: 'checkout', cid: cid('a'), prefetch: 1, noAck: false });
    apply({ op: 'checkout', cid: cid('b'), prefetch: 1, noAck: false });
    apply({ op: 'enqueue', enqueuer: 'p', seq: 1, exchange: '', routingKey: 'q', content: content('m0') });
    apply({ op: 'cancel', cid: cid('a'), keep: true });
    apply({ op: 'enqueue', enqueuer: 'p', seq: 2, exchange: '', routingKey: 'q', content: content('m1') });
    expect(delivered(all, 'a')).toEqual(['m0']);
    expect(delivered(all, 'b')).toEqual(['m1']);
  });
});

describe('rabbitmq schema: single active and exclusive consumers in a cluster', () => {
  const yaml = (queueArgs: string, consumer: string) => `
name: t
system: rabbitmq
duration: 1s
cluster: { brokers: 3 }
queues: [{ name: q, durable: true, ${queueArgs} }]
workload:
  consumers: [${consumer}]
`;

  it('accepts x-single-active-consumer on a quorum queue', () => {
    expect(() => parseScenario(yaml('arguments: { x-queue-type: quorum, x-single-active-consumer: true }', '{ queue: q }'), 't.yaml')).not.toThrow();
  });

  it('refuses exclusive consumers where exclusivity is not modelled: quorum queues, and through another node than the queue\'s', () => {
    expect(() => parseScenario(yaml('arguments: { x-queue-type: quorum }', '{ queue: q, config: { exclusive: true } }'), 't.yaml')).toThrow(/not modelled for quorum queues/);
    expect(() => parseScenario(yaml('node: rabbit-2', '{ queue: q, config: { exclusive: true } }'), 't.yaml')).toThrow(/must connect to queue q's node rabbit-2/);
    expect(() => parseScenario(yaml('node: rabbit-2', '{ queue: q, node: rabbit-2, config: { exclusive: true } }'), 't.yaml')).not.toThrow();
  });
});
