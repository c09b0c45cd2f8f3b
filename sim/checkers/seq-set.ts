/**
 * A set of non-negative integers (message seqs) as a bitmap over a sliding window: every value
 * below `floor` is a member, and one bit per value from `floor` up to the largest member. Adding
 * and testing cost O(1) whatever the order; the window moves forward a word at a time as its low
 * end fills up. So memory follows the disorder in flight — the distance from the oldest missing
 * seq to the newest present one — not the number of members: a message that never arrives pins
 * the window (one bit per later seq: 125 KB per million).
 *
 * Seqs delivered across partitions arrive interleaved; an interval set fragments into as many
 * intervals as there are gaps and pays for array splices on each insertion (measured: a fifth of a
 * Kafka run's time), which this structure does not.
 */
export class SeqSet {
  private words = new Uint32Array(16);
  /** First word in use; words before it are free space left by the moving window. */
  private head = 0;
  /** Words in use from `head`. */
  private used = 0;
  /** The value of bit 0 of words[head]; every value below it is a member. */
  private floor = 0;
  size = 0;

  has(value: number): boolean {
    if (value < this.floor) return true;
    const offset = value - this.floor;
    const word = offset >>> 5;
    if (word >= this.used) return false;
    return (this.words[this.head + word]! & (1 << (offset & 31))) !== 0;
  }

  /** Adds a value; returns true when it was not a member yet. */
  add(value: number): boolean {
    if (value < this.floor) return false;
    const offset = value - this.floor;
    const word = offset >>> 5;
    if (word >= this.used) this.extend(word + 1);
    const index = this.head + word;
    const bit = 1 << (offset & 31);
    const current = this.words[index]!;
    if ((current & bit) !== 0) return false;
    this.words[index] = current | bit;
    this.size++;
    // Slide the window past full words.
    while (this.used > 0 && this.words[this.head] === 0xffffffff) {
      this.words[this.head] = 0;
      this.head++;
      this.used--;
      this.floor += 32;
    }
    return true;
  }

  /** Makes room for `count` words from head (new words are zero). */
  private extend(count: number): void {
    if (this.head + count > this.words.length) {
      if (count <= this.words.length / 2) {
        // Enough room if the window moves back to the start of the array.
        this.words.copyWithin(0, this.head, this.head + this.used);
        this.words.fill(0, this.used);
      } else {
        const grown = new Uint32Array(Math.max(count * 2, 16));
        grown.set(this.words.subarray(this.head, this.head + this.used));
        this.words = grown;
      }
      this.head = 0;
    }
    this.used = count;
  }
}
