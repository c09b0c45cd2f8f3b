import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageWindow } from '../../models/rocketmq/process-queue.js';
import type { PulledMessage } from '../../models/rocketmq/protocol.js';

/** The process queue's message window behaves as the Map<offset, message> it replaces. */

const message = (offset: number, round: number): PulledMessage => ({
  msg: `p-${offset}`, key: undefined, tags: undefined, topic: 't', queueOffset: offset, phy: offset * 100, reconsumeTimes: round, body: 1,
});

describe('rocketmq MessageWindow', () => {
  it('agrees with a Map on size, first() (earliest inserted) and lookups, whatever the order', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('set' as const), offset: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('deleteHead' as const), n: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const window = new MessageWindow();
      const map = new Map<number, PulledMessage>();
      let next = 0;
      let round = 0;
      for (const o of ops) {
        round++;
        if (o.kind === 'append') {
          for (let i = 0; i < o.n; i++, next++) {
            window.set(next, message(next, round));
            map.set(next, message(next, round));
          }
        } else if (o.kind === 'set') {
          window.set(o.offset, message(o.offset, round));
          map.set(o.offset, message(o.offset, round));
        } else if (o.kind === 'delete') {
          const keys = [...map.keys()];
          const key = keys.length === 0 ? o.pick : keys[o.pick % keys.length]!;
          expect(window.delete(key)).toBe(map.delete(key));
        } else {
          for (let i = 0; i < o.n && map.size > 0; i++) {
            const key = map.keys().next().value as number;
            expect(window.delete(key)).toBe(map.delete(key));
          }
        }
        expect(window.size).toBe(map.size);
        expect(window.first()).toBe(map.size === 0 ? undefined : map.keys().next().value);
      }
    }), { numRuns: 300 });
  });
});
