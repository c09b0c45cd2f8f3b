import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DELAY_LEVELS, selectQueueByHash } from '../../models/rocketmq/public.js';
import { javaStringHashCode } from '../../models/rocketmq/queue-selector.js';

describe('javaStringHashCode', () => {
  it("gives Java's String.hashCode() values (computed with the JDK)", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('abc')).toBe(96354);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Hello')).toBe(69609650);
    expect(javaStringHashCode('hello world')).toBe(1794106052);
    expect(javaStringHashCode('orderId:42')).toBe(735568527);
    expect(javaStringHashCode('caf\u00e9')).toBe(3045921);
  });

  it('wraps at 32 bits', () => {
    expect(javaStringHashCode('order-1')).toBe(-1207111310);
    expect(javaStringHashCode('zzzzzzzzzz')).toBe(-1580979136);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('hashes UTF-16 code units, so an astral character counts as its two surrogates', () => {
    expect(javaStringHashCode('\u{1F600}')).toBe(1772899);
    expect(javaStringHashCode('\u{1F600}')).toBe(31 * 0xd83d + 0xde00);
  });

  it('collides where Java does', () => {
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
  });
});

describe('selectQueueByHash', () => {
  it('takes hashCode % queueCount for a non-negative hash', () => {
    expect(selectQueueByHash('hello', 4)).toBe(2);
    expect(selectQueueByHash('hello', 3)).toBe(1);
    expect(selectQueueByHash('orderId:42', 4)).toBe(3);
    expect(selectQueueByHash('', 8)).toBe(0);
  });

  it("takes the absolute value of a negative remainder (Java's % keeps the dividend's sign)", () => {
    // hashCode -1207111310: % 4 is -2 in Java, % 3 is -2.
    expect(selectQueueByHash('order-1', 4)).toBe(2);
    expect(selectQueueByHash('order-1', 3)).toBe(2);
    // hashCode -1580979136: % 3 is -1.
    expect(selectQueueByHash('zzzzzzzzzz', 3)).toBe(1);
    // Integer.MIN_VALUE: % 3 is -2, and abs of the remainder cannot overflow.
    expect(selectQueueByHash('polygenelubricants', 3)).toBe(2);
    expect(selectQueueByHash('polygenelubricants', 4)).toBe(0);
  });

  it('always picks queue 0 of 1', () => {
    expect(selectQueueByHash('polygenelubricants', 1)).toBe(0);
    expect(selectQueueByHash('anything', 1)).toBe(0);
  });

  it('fails like Java on an empty queue list', () => {
    expect(() => selectQueueByHash('a', 0)).toThrow('/ by zero');
    expect(() => selectQueueByHash('a', 1.5)).toThrow(RangeError);
  });

  it('always picks an index in range, the same for the same arg', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 1024 }), (arg, count) => {
        const index = selectQueueByHash(arg, count);
        expect(Number.isInteger(index) && index >= 0 && index < count).toBe(true);
        expect(selectQueueByHash(arg, count)).toBe(index);
        expect(index).toBe(Math.abs(javaStringHashCode(arg) % count));
      }),
    );
  });
});

describe('DEFAULT_DELAY_LEVELS', () => {
  it("is MessageStoreConfig's default messageDelayLevel in milliseconds", () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    expect(DEFAULT_DELAY_LEVELS).toEqual([
      1 * s, 5 * s, 10 * s, 30 * s,
      1 * m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m, 10 * m, 20 * m, 30 * m,
      1 * h, 2 * h,
    ]);
    expect(DEFAULT_DELAY_LEVELS).toHaveLength(18);
    expect(Object.isFrozen(DEFAULT_DELAY_LEVELS)).toBe(true);
  });
});
