import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeqSet } from '../../sim/checkers/seq-set.js';

describe('SeqSet', () => {
  it('agrees with a plain Set on random adds in any order, dense or sparse', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100_000 })), { maxLength: 500 }), (values) => {
      const set = new SeqSet();
      const reference = new Set<number>();
      for (const value of values) {
        expect(set.add(value)).toBe(!reference.has(value));
        reference.add(value);
      }
      expect(set.size).toBe(reference.size);
      for (let v = 0; v <= 250; v++) expect(set.has(v)).toBe(reference.has(v));
      for (const value of values) expect(set.has(value)).toBe(true);
      expect(set.has(100_001)).toBe(false);
    }));
  });

  it('slides its window over filled words: a long in-order run keeps memory flat', () => {
    const set = new SeqSet();
    for (let v = 0; v < 1_000_000; v++) set.add(v);
    expect(set.size).toBe(1_000_000);
    expect(set.has(999_999)).toBe(true);
    expect(set.has(1_000_000)).toBe(false);
    expect((set as unknown as { used: number }).used).toBe(0);
  });

  it('handles interleaved streams (several partitions delivered at different paces)', () => {
    const set = new SeqSet();
    const streams = [0, 1, 2, 3, 4, 5].map((p) => Array.from({ length: 1000 }, (_, i) => i * 6 + p));
    for (let round = 0; round < 1000; round++) for (const [p, stream] of streams.entries()) if (round % (p + 1) === 0 || round > 800) stream.length && set.add(stream.shift()!);
    for (const stream of streams) for (const v of stream) set.add(v);
    expect(set.size).toBe(6000);
    for (let v = 0; v < 6000; v++) expect(set.has(v)).toBe(true);
  });
});
