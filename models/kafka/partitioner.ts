/**
 * The Java producer's key partitioner: which partition a keyed record goes to. Kafka's
 * BuiltInPartitioner computes `toPositive(murmur2(keyBytes)) % numPartitions`, so a simulated
 * producer must reproduce the exact 32-bit arithmetic of `Utils.murmur2` to place keys where a
 * real producer would (and so per-key ordering lands on the same partition).
 */

/** The seed Kafka hard-codes into murmur2 (Utils.murmur2). */
const MURMUR2_SEED = 0x9747b28c;
/** murmur2's mixing constants. */
const MURMUR2_M = 0x5bd1e995;
const MURMUR2_R = 24;

/**
 * Kafka's murmur2 of `data`, returned as a signed 32-bit int exactly like Java's `int` result.
 * Math.imul keeps every multiplication in 32 bits the way Java's int overflow does.
 */
export function murmur2(data: Uint8Array): number {
  return murmur2Prefix(data, data.length);
}

/** murmur2 of data[0..length). */
function murmur2Prefix(data: Uint8Array, length: number): number {
  let hash = (MURMUR2_SEED ^ length) | 0;
  const wholeWords = length >>> 2;

  for (let word = 0; word < wholeWords; word++) {
    const at = word * 4;
    // Little-endian 4-byte word, as Kafka assembles it.
    let k = (data[at]! & 0xff) | ((data[at + 1]! & 0xff) << 8) | ((data[at + 2]! & 0xff) << 16) | ((data[at + 3]! & 0xff) << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> MURMUR2_R;
    k = Math.imul(k, MURMUR2_M);
    hash = Math.imul(hash, MURMUR2_M);
    hash ^= k;
  }

  // The 1 to 3 trailing bytes, folded in highest first (Java's switch falls through).
  const tailStart = length & ~3;
  const tailLength = length % 4;
  if (tailLength === 3) hash ^= (data[tailStart + 2]! & 0xff) << 16;
  if (tailLength >= 2) hash ^= (data[tailStart + 1]! & 0xff) << 8;
  if (tailLength >= 1) {
    hash ^= data[tailStart]! & 0xff;
    hash = Math.imul(hash, MURMUR2_M);
  }

  hash ^= hash >>> 13;
  hash = Math.imul(hash, MURMUR2_M);
  hash ^= hash >>> 15;
  return hash | 0;
}

/**
 * Kafka's Utils.toPositive: clears the sign bit (not Math.abs), so Integer.MIN_VALUE becomes 0
 * and -1 becomes 2147483647.
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * The bytes Java's `String.getBytes(StandardCharsets.UTF_8)` produces, which is what Kafka's
 * StringSerializer hands the partitioner. Differs from TextEncoder in one place: Java encodes an
 * unpaired surrogate as '?' (0x3f), TextEncoder as U+FFFD (3 bytes), and the hash would differ.
 */
export function javaUtf8Bytes(text: string): Uint8Array {
  const length = encodeJavaUtf8(text);
  return scratch.slice(0, length);
}

/**
 * Encodes `text` as javaUtf8Bytes does into the module's scratch buffer and returns the byte
 * count. partitionForKey runs once per keyed record, so it hashes the scratch bytes in place
 * rather than building an array and a Uint8Array per record.
 */
function encodeJavaUtf8(text: string): number {
  // At most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const bytes = scratch;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      bytes[n++] = unit;
    } else if (unit < 0x800) {
      bytes[n++] = 0xc0 | (unit >> 6);
      bytes[n++] = 0x80 | (unit & 0x3f);
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      const codePoint = 0x10000 + ((unit - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
      bytes[n++] = 0xf0 | (codePoint >> 18);
      bytes[n++] = 0x80 | ((codePoint >> 12) & 0x3f);
      bytes[n++] = 0x80 | ((codePoint >> 6) & 0x3f);
      bytes[n++] = 0x80 | (codePoint & 0x3f);
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      bytes[n++] = 0x3f;
    } else {
      bytes[n++] = 0xe0 | (unit >> 12);
      bytes[n++] = 0x80 | ((unit >> 6) & 0x3f);
      bytes[n++] = 0x80 | (unit & 0x3f);
    }
  }
  return n;
}

let scratch = new Uint8Array(256);

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * The partition Kafka's Java producer picks for a record with this key (a string key is
 * serialized as UTF-8, like StringSerializer). Null keys are not partitioned by hash in Kafka
 * (sticky partitioning), so they are not accepted here.
 */
export function partitionForKey(key: string | Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
  }
  if (typeof key !== 'string') return toPositive(murmur2(key)) % numPartitions;
  const length = encodeJavaUtf8(key); // may replace the scratch buffer by a larger one: read it after
  return toPositive(murmur2Prefix(scratch, length)) % numPartitions;
}
