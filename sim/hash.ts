/**
 * The trace hash: a fast, non-cryptographic 64-bit hash folded over numbers, kept in two
 * 32-bit lanes so no BigInt or string is built per event. Names are folded through their
 * own precomputed 32-bit hash (hashString), never through an interning index, so the hash
 * does not depend on the order in which a process happened to intern names.
 */
export class Hash64 {
  hi = 0x6a09e667 | 0;
  lo = 0xbb67ae85 | 0;

  /** Folds a 32-bit integer. */
  fold32(value: number): void {
    let k = Math.imul(value | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let lo = this.lo ^ k;
    lo = (lo << 13) | (lo >>> 19);
    lo = (Math.imul(lo, 5) + 0xe6546b64) | 0;
    let hi = this.hi ^ Math.imul(k ^ lo, 0x85ebca6b);
    hi = (hi << 17) | (hi >>> 15);
    hi = (Math.imul(hi, 9) + 0x38495ab5) | 0;
    this.lo = lo;
    this.hi = hi ^ (lo >>> 7);
  }

  /**
   * Folds a number: integers up to 2^53 exactly (two 32-bit halves); anything else
   * (fractions, NaN, infinities) through its float64 bits so no value is silently lost.
   */
  fold(value: number): void {
    if (Number.isSafeInteger(value) && value >= 0) {
      this.fold32(value >>> 0);
      this.fold32((value / 4294967296) >>> 0);
    } else {
      FLOAT_VIEW[0] = value;
      this.fold32(INT_VIEW[0]!);
      this.fold32(INT_VIEW[1]!);
    }
  }

  foldString(text: string): void {
    this.fold32(hashString(text));
  }

  /** The 64-bit value as 16 hex digits. */
  hex(): string {
    return (this.hi >>> 0).toString(16).padStart(8, '0') + (this.lo >>> 0).toString(16).padStart(8, '0');
  }
}

const FLOAT_VIEW = new Float64Array(1);
const INT_VIEW = new Int32Array(FLOAT_VIEW.buffer);

/** 32-bit FNV-1a over UTF-16 code units, then a final avalanche. */
export function hashString(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/**
 * Folds any JSON-like value (used for control-plane state changes, which are rare) with
 * its structure: type tags, keys in insertion order, array lengths.
 */
export function foldValue(hash: Hash64, value: unknown): void {
  if (value === null || value === undefined) {
    hash.fold32(value === null ? 1 : 2);
  } else if (typeof value === 'number') {
    hash.fold32(3);
    hash.fold(value);
  } else if (typeof value === 'string') {
    hash.fold32(4);
    hash.foldString(value);
  } else if (typeof value === 'boolean') {
    hash.fold32(value ? 5 : 6);
  } else if (Array.isArray(value)) {
    hash.fold32(7);
    hash.fold32(value.length);
    for (const item of value) foldValue(hash, item);
  } else if (value instanceof Map) {
    hash.fold32(8);
    hash.fold32(value.size);
    for (const [k, v] of value) {
      foldValue(hash, k);
      foldValue(hash, v);
    }
  } else if (value instanceof Set) {
    hash.fold32(9);
    hash.fold32(value.size);
    for (const v of value) foldValue(hash, v);
  } else if (typeof value === 'object') {
    hash.fold32(10);
    const keys = Object.keys(value as object);
    hash.fold32(keys.length);
    for (const key of keys) {
      hash.foldString(key);
      foldValue(hash, (value as Record<string, unknown>)[key]);
    }
  } else {
    hash.fold32(11);
    hash.foldString(String(value));
  }
}
