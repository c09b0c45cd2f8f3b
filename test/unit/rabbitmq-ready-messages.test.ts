import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AscendingSeqs } from '../../models/rabbitmq/broker/channel.js';
import { ReadyMessages, type QueuedMessage } from '../../models/rabbitmq/broker/ready-messages.js';

/** A classic queue's ready list: priority levels, positions, and expiry at the heads only. */

let id = 0;
function message(pos: number, expiresAt = Number.POSITIVE_INFINITY, priority = 0): QueuedMessage {
  return {
    id: ++id, pos, exchange: '', routingKey: 'q', priority, expiresAt, stored: false, redelivered: false,
    content: { properties: { deliveryMode: 1, messageId: `m${pos}`, timestamp: 0 }, key: undefined, bytes: 10 },
  };
}

describe('rabbitmq ready messages', () => {
  it('expires only heads; a short TTL behind a long one waits; with no TTL left nothing expires', () => {
    const ready = new ReadyMessages(0);
    ready.insert(message(0, 100));
    ready.insert(message(1, 10));
    ready.insert(message(2));
    expect(ready.nextHeadExpiry()).toBe(100);
    expect(ready.shiftExpired(50)).toBeUndefined(); // m1 (due at 10) waits behind m0
    expect(ready.shiftExpired(100)?.content.properties.messageId).toBe('m0');
    expect(ready.nextHeadExpiry()).toBe(10);
    expect(ready.shiftExpired(100)?.content.properties.messageId).toBe('m1');
    expect(ready.nextHeadExpiry()).toBe(Number.POSITIVE_INFINITY);
    expect(ready.shiftExpired(1e12)).toBeUndefined();
    expect(ready.count).toBe(1);
    ready.insert(message(3, 5));
    expect(ready.nextHeadExpiry()).toBe(Number.POSITIVE_INFINITY); // m3 is behind m2
    expect(ready.shift()?.content.properties.messageId).toBe('m2');
    expect(ready.nextHeadExpiry()).toBe(5);
    ready.clear();
    expect(ready.nextHeadExpiry()).toBe(Number.POSITIVE_INFINITY);
    ready.insert(message(4, 7));
    expect(ready.shiftExpired(7)?.content.properties.messageId).toBe('m4');
  });

  it('a requeued message goes back to its position; the highest priority level is served first', () => {
    const ready = new ReadyMessages(2);
    const low = [message(0), message(1), message(2)];
    for (const m of low) ready.insert(m);
    ready.insert(message(3, Number.POSITIVE_INFINITY, 2));
    expect(ready.shift()?.pos).toBe(3);
    const first = ready.shift()!;
    expect(first.pos).toBe(0);
    ready.insert(first);
    expect([...ready].map((m) => m.pos)).toEqual([0, 1, 2]);
  });
});

describe('rabbitmq ascending seqs (a channel\'s unconfirmed publishes)', () => {
  it('behaves as an insertion-ordered set of ascending numbers under any order of deletes', () => {
    const op = fc.oneof(fc.record({ add: fc.integer({ min: 1, max: 3 }) }), fc.record({ del: fc.integer({ min: 0, max: 40 }) }), fc.record({ upTo: fc.integer({ min: 0, max: 40 }) }));
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const seqs = new AscendingSeqs();
      const reference = new Set<number>();
      let next = 0;
      for (const o of ops) {
        if ('add' in o) {
          next += o.add; // gaps allowed
          seqs.add(next);
          reference.add(next);
        } else if ('del' in o) {
          expect(seqs.delete(o.del)).toBe(reference.delete(o.del));
        } else {
          expect(seqs.countUpTo(o.upTo)).toBe([...reference].filter((s) => s <= o.upTo).length);
        }
        expect(seqs.size).toBe(reference.size);
        expect([...seqs]).toEqual([...reference]);
        for (let s = 0; s <= next + 1; s++) expect(seqs.has(s)).toBe(reference.has(s));
      }
    }), { numRuns: 300 });
  });

  it('refuses a seq that is not above the last one added', () => {
    const seqs = new AscendingSeqs();
    seqs.add(5);
    expect(() => seqs.add(5)).toThrow();
  });
});
