import { SeqSet } from './seq-set.js';

/**
 * What the checkers keep per producer: the seqs delivered to anyone and the seqs whose send
 * definitely failed, as sliding-window bitmaps (seq-set.ts).
 */
export interface ProducerRecord {
  /** Dense small integer, in order of first appearance: an index into per-producer arrays. */
  readonly id: number;
  readonly name: string;
  /** Seqs received by at least one consumer. */
  readonly delivered: SeqSet;
  /** Seqs whose send failed before any delivery of them was seen. */
  readonly failed: SeqSet;
}

/**
 * Interns producer names and splits message ids `${producer}-${seq}` (at the last '-') without
 * allocating anything but the producer-name slice.
 */
export class ProducerTable {
  readonly all: ProducerRecord[] = [];
  private readonly byName = new Map<string, ProducerRecord>();
  /** The seq of the id last passed to `resolve` (returned this way to avoid an object per call). */
  seq = -1;
  /** The producer last resolved: runs of ops from one producer then skip the slice and lookup. */
  private last: ProducerRecord | undefined;

  /** The producer of `msg`; its seq is left in `this.seq`. Throws on a malformed id. */
  resolve(msg: string): ProducerRecord {
    // Read the seq backwards from the end up to the last '-': one pass, no substring.
    let dash = msg.length - 1;
    let seq = 0;
    let place = 1;
    for (let code = msg.charCodeAt(dash); code >= 48 && code <= 57; code = msg.charCodeAt(--dash)) {
      seq += (code - 48) * place;
      place *= 10;
    }
    if (dash <= 0 || place === 1 || place > 1e15 || msg.charCodeAt(dash) !== 45) {
      throw new Error(`checkers: message id "${msg}" is not "<producer>-<seq>" with seq a non-negative integer`);
    }
    this.seq = seq;
    const last = this.last;
    if (last !== undefined && last.name.length === dash && msg.startsWith(last.name)) return last;
    const name = msg.slice(0, dash);
    let producer = this.byName.get(name);
    if (producer === undefined) {
      producer = { id: this.all.length, name, delivered: new SeqSet(), failed: new SeqSet() };
      this.all.push(producer);
      this.byName.set(name, producer);
    }
    this.last = producer;
    return producer;
  }
}
