import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coordinatorPartition, javaStringHashCode, kafkaAbs } from '../../models/kafka/coordinator.js';
import { javaUtf8Bytes, murmur2, partitionForKey, toPositive } from '../../models/kafka/partitioner.js';

/**
 * Kafka's key partitioner and group-coordinator placement. Expected values come from Kafka's own
 * tests (apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java,
 * testMurmur2), from partitions the Java producer computed (dpkp/kafka-python
 * test/test_partitioner.py, test_murmur2_java_compatibility), and from a second murmur2 written
 * here independently with BigInt arithmetic.
 */

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * Reference murmur2 for cross-checking: unsigned BigInt arithmetic modulo 2^32 over a DataView,
 * converted to a signed int only at the end. Shares no code or technique with the model's.
 */
function referenceMurmur2(bytes: Uint8Array): number {
  const MASK = 0xffffffffn;
  const m = 0x5bd1e995n;
  const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = (0x9747b28cn ^ BigInt(bytes.length)) & MASK;
  let offset = 0;
  for (; offset + 4 <= bytes.length; offset += 4) {
    let k = BigInt(view.getUint32(offset, true));
    k = mul(k, m);
    k ^= k >> 24n;
    k = mul(k, m);
    h = mul(h, m) ^ k;
  }
  const rest = bytes.length - offset;
  if (rest > 0) {
    let tail = 0n;
    for (let i = rest - 1; i >= 0; i--) tail = (tail << 8n) | BigInt(bytes[offset + i]!);
    h = mul(h ^ tail, m);
  }
  h ^= h >> 13n;
  h = mul(h, m);
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

/** Java's String.hashCode by its definition, sum of s[i]*31^(n-1-i) taken modulo 2^32, in BigInt. */
function referenceJavaHash(text: string): number {
  let sum = 0n;
  for (let i = 0; i < text.length; i++) sum += BigInt(text.charCodeAt(i)) * 31n ** BigInt(text.length - 1 - i);
  return Number(BigInt.asIntN(32, sum));
}

describe('murmur2', () => {
  it("matches Kafka's UtilsTest.testMurmur2 vectors", () => {
    expect(murmur2(ascii('21'))).toBe(-973932308);
    expect(murmur2(ascii('foobar'))).toBe(-790332482);
    expect(murmur2(ascii('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(ascii('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(ascii('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Uint8Array.of(0x61, 0x62, 0x63))).toBe(479470107);
  });

  it('agrees with an independent BigInt implementation on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(referenceMurmur2(bytes));
      }),
    );
  });

  it('the reference agrees with the Kafka vectors too (so the property above checks something)', () => {
    expect(referenceMurmur2(ascii('foobar'))).toBe(-790332482);
    expect(referenceMurmur2(ascii('a-little-bit-longer-string'))).toBe(-1486304829);
  });

  it('returns a signed 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
        const hash = murmur2(bytes);
        expect(Number.isInteger(hash) && hash >= -2147483648 && hash <= 2147483647).toBe(true);
      }),
    );
  });
});

describe('toPositive', () => {
  it('clears the sign bit like Utils.toPositive', () => {
    expect(toPositive(5)).toBe(5);
    expect(toPositive(-1)).toBe(2147483647);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-973932308)).toBe(-973932308 + 2 ** 31);
  });
});

describe('partitionForKey', () => {
  it('places keys where the Java producer does (1000 partitions, kafka-python compatibility vectors)', () => {
    expect(partitionForKey(new Uint8Array(0), 1000)).toBe(681);
    expect(partitionForKey('a', 1000)).toBe(524);
    expect(partitionForKey('ab', 1000)).toBe(434);
    expect(partitionForKey('abc', 1000)).toBe(107);
    expect(partitionForKey('123456789', 1000)).toBe(566);
    expect(partitionForKey(Uint8Array.of(0x00, 0x20), 1000)).toBe(742);
  });

  it('derives the same partitions as the reference hash for a few keys', () => {
    for (const [key, partitions] of [['orders-42', 6], ['user-7', 3], ['ключ', 12], ['😀', 50]] as const) {
      const expected = (referenceMurmur2(new Uint8Array(Buffer.from(key, 'utf8'))) & 0x7fffffff) % partitions;
      expect(partitionForKey(key, partitions)).toBe(expected);
    }
  });

  it('encodes well-formed strings as UTF-8 and agrees with the reference for any of them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: 1, max: 500 }), (key, partitions) => {
        const expected = (referenceMurmur2(new Uint8Array(Buffer.from(key, 'utf8'))) & 0x7fffffff) % partitions;
        expect(partitionForKey(key, partitions)).toBe(expected);
        expect(partitionForKey(key, partitions)).toBe(partitionForKey(new TextEncoder().encode(key), partitions));
      }),
    );
  });

  it('keys longer than the encoder\'s scratch buffer, and short keys after them, hash as the reference does', () => {
    // 300 three-byte characters (900 bytes) outgrow the initial 256-byte buffer; the short keys
    // after it must not see the long key's leftover bytes.
    for (const key of ['€'.repeat(300), 'x'.repeat(5_000), 'k1', 'ключ', '']) {
      const expected = (referenceMurmur2(new Uint8Array(Buffer.from(key, 'utf8'))) & 0x7fffffff) % 97;
      expect(partitionForKey(key, 97)).toBe(expected);
      expect([...javaUtf8Bytes(key)]).toEqual([...Buffer.from(key, 'utf8')]);
    }
  });

  it("encodes an unpaired surrogate as '?' like Java's String.getBytes(UTF_8)", () => {
    expect([...javaUtf8Bytes('a\uD800b')]).toEqual([0x61, 0x3f, 0x62]);
    expect(partitionForKey('\uDC00', 97)).toBe(partitionForKey('?', 97));
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
    expect(() => partitionForKey('k', 2.5)).toThrow(RangeError);
  });
});

describe('javaStringHashCode', () => {
  it("matches Java's String.hashCode", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('ab')).toBe(97 * 31 + 98);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // The classic collision: both are 2112.
    expect(javaStringHashCode('Aa')).toBe(2112);
    expect(javaStringHashCode('BB')).toBe(2112);
    // Outside the BMP Java hashes the two UTF-16 code units (0xD83D, 0xDE00).
    expect(javaStringHashCode('😀')).toBe(0xd83d * 31 + 0xde00);
  });

  it('agrees with the definition for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        expect(javaStringHashCode(text)).toBe(referenceJavaHash(text));
      }),
    );
  });
});

describe('coordinatorPartition', () => {
  it('is Utils.abs(groupId.hashCode()) % 50 by default', () => {
    expect(coordinatorPartition('')).toBe(0);
    expect(coordinatorPartition('a')).toBe(97 % 50);
    expect(coordinatorPartition('hello')).toBe(99162322 % 50);
    expect(coordinatorPartition('a', 10)).toBe(7);
  });

  it('maps a group whose hashCode is Integer.MIN_VALUE to partition 0', () => {
    // "polygenelubricants" is a well-known string whose Java hashCode is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(referenceJavaHash('polygenelubricants')).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(coordinatorPartition('polygenelubricants')).toBe(0);
  });

  it('uses Math.abs for negative hashes, not the sign-bit mask of toPositive', () => {
    const hash = javaStringHashCode('my-group');
    expect(hash).toBe(-1906497762);
    expect(coordinatorPartition('my-group')).toBe(1906497762 % 50);
    expect(coordinatorPartition('my-group')).not.toBe(toPositive(hash) % 50);
  });

  it('agrees with abs-of-definition for any group id and partition count', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.integer({ min: 1, max: 200 }), (groupId, partitions) => {
        const hash = referenceJavaHash(groupId);
        const expected = hash === -2147483648 ? 0 : Math.abs(hash) % partitions;
        expect(coordinatorPartition(groupId, partitions)).toBe(expected);
      }),
    );
  });
});
