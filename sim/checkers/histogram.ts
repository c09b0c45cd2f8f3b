import { build, type Histogram } from 'hdr-histogram-js';

/**
 * An HDR histogram of non-negative integers (microseconds, parts per million), pure JS so runs
 * need no WebAssembly and stay deterministic. 3 significant digits: a percentile is within 0.1%
 * of the true value (values below 2048 are exact). It starts sized for an hour of microseconds and
 * auto-resizes beyond, so a delay of hours or a huge ratio is recorded, not thrown on.
 */
export function createHistogram(): Histogram {
  return build({
    useWebAssembly: false,
    bitBucketSize: 32, // counts per bucket up to 2^32: enough for any run
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/**
 * A histogram of signed values, kept as two HDR histograms of magnitudes (below zero, and zero or
 * above), because HDR histograms hold only non-negative values. Percentiles walk the combined
 * order: all negatives (largest magnitude first), then the rest.
 */
export class SignedHistogram {
  private readonly negative = createHistogram();
  private readonly nonNegative = createHistogram();
  /** Exact extremes: HDR reports bucket bounds, which may lie slightly beyond them. */
  min = 0;
  max = 0;

  get count(): number {
    return this.negative.totalCount + this.nonNegative.totalCount;
  }

  /** value must be an integer. */
  record(value: number): void {
    if (this.count === 0 || value < this.min) this.min = value;
    if (this.count === 0 || value > this.max) this.max = value;
    if (value < 0) this.negative.recordValue(-value);
    else this.nonNegative.recordValue(value);
  }

  /** The value at `percentile` (0..100] of all recorded values; 0 when empty. */
  valueAtPercentile(percentile: number): number {
    const below = this.negative.totalCount;
    const total = below + this.nonNegative.totalCount;
    if (total === 0) return 0;
    // 1-based rank of the wanted value, rounded as HDR's getValueAtPercentile does.
    const rank = Math.min(total, Math.max(1, Math.floor((percentile / 100) * total + 0.5)));
    let value: number;
    if (rank <= below) {
      // The rank-th smallest signed value is the (below - rank + 1)-th smallest magnitude, negated.
      value = -this.negative.getValueAtPercentile((100 * (below - rank + 1)) / below);
    } else {
      value = this.nonNegative.getValueAtPercentile((100 * (rank - below)) / (total - below));
    }
    return Math.min(this.max, Math.max(this.min, value));
  }
}
