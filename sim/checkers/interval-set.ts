/**
 * A set of integers stored as sorted, disjoint, non-adjacent closed intervals [start, end].
 *
 * The checkers use it for sequence numbers and offsets, which arrive mostly in order: a million
 * delivered seqs of one producer collapse to one interval, and the set only fragments while
 * messages are out of order (in flight on different partitions). Memory therefore follows the
 * disorder in flight, not the number of members.
 */
export class IntervalSet {
  /** starts[i] <= ends[i] < starts[i+1] - 1: sorted, disjoint, never touching. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Number of integers in the set. */
  size = 0;

  /** Number of stored intervals (a measure of fragmentation, and of memory). */
  get intervalCount(): number {
    return this.starts.length;
  }

  has(value: number): boolean {
    const i = this.firstEndingAtOrAfter(value);
    return i < this.ends.length && this.starts[i]! <= value;
  }

  /**
   * Adds one integer; returns true when it was not in the set yet. Handled in place (one binary
   * search, no splice) when the value extends a neighbouring interval, which is the common case:
   * seqs delivered out of order across partitions still mostly extend a run. Only a value with
   * no neighbour (a new interval) or one that joins two intervals moves array elements.
   */
  add(value: number): boolean {
    const starts = this.starts;
    const ends = this.ends;
    const count = ends.length;
    // Fast path: the next value in sequence extends the last interval.
    if (count > 0 && ends[count - 1] === value - 1) {
      ends[count - 1] = value;
      this.size++;
      return true;
    }
    // The first interval that ends at or after value - 1: it contains value, touches it on the
    // left (ends at value - 1), or starts after it.
    const i = this.firstEndingAtOrAfter(value - 1);
    if (i < count && starts[i]! <= value) {
      if (ends[i]! >= value) return false; // already a member
      // ends[i] === value - 1: extend interval i, and join it with the next if that starts at value + 1.
      if (i + 1 < count && starts[i + 1] === value + 1) {
        ends[i] = ends[i + 1]!;
        starts.splice(i + 1, 1);
        ends.splice(i + 1, 1);
      } else {
        ends[i] = value;
      }
    } else if (i < count && starts[i] === value + 1) {
      starts[i] = value; // extends interval i to the left
    } else {
      starts.splice(i, 0, value);
      ends.splice(i, 0, value);
    }
    this.size++;
    return true;
  }

  /** Adds every integer in [from, to] (inclusive); an empty range (to < from) is ignored. */
  addRange(from: number, to: number): void {
    if (to < from) return;
    const starts = this.starts;
    const ends = this.ends;
    // Intervals first..lastTouching overlap or touch [from, to]; they merge into one.
    const first = this.firstEndingAtOrAfter(from - 1);
    let lastTouching = first - 1;
    while (lastTouching + 1 < starts.length && starts[lastTouching + 1]! <= to + 1) lastTouching++;
    if (lastTouching < first) {
      starts.splice(first, 0, from);
      ends.splice(first, 0, to);
      this.size += to - from + 1;
      return;
    }
    const mergedStart = Math.min(from, starts[first]!);
    const mergedEnd = Math.max(to, ends[lastTouching]!);
    let covered = 0;
    for (let i = first; i <= lastTouching; i++) covered += ends[i]! - starts[i]! + 1;
    this.size += mergedEnd - mergedStart + 1 - covered;
    starts[first] = mergedStart;
    ends[first] = mergedEnd;
    const removed = lastTouching - first;
    if (removed > 0) {
      starts.splice(first + 1, removed);
      ends.splice(first + 1, removed);
    }
  }

  /** The smallest member >= value, or undefined. */
  firstAtOrAfter(value: number): number | undefined {
    const i = this.firstEndingAtOrAfter(value);
    if (i >= this.ends.length) return undefined;
    return Math.max(value, this.starts[i]!);
  }

  /** The smallest member in [from, to] (inclusive), or undefined when none is. */
  firstIn(from: number, to: number): number | undefined {
    const found = this.firstAtOrAfter(from);
    return found !== undefined && found <= to ? found : undefined;
  }

  /** The intervals as [start, end] pairs, ascending (a copy, for tests and reports). */
  intervals(): Array<[number, number]> {
    return this.starts.map((start, i): [number, number] => [start, this.ends[i]!]);
  }

  /** Index of the first interval whose end >= value (binary search); length when none. */
  private firstEndingAtOrAfter(value: number): number {
    const ends = this.ends;
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ends[mid]! < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
