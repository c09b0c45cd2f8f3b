import type { Micros } from '../time.js';
import { createHistogram } from './histogram.js';

export interface LatencyReport {
  count: number;
  /** Exact mean, in microseconds (may be fractional). */
  mean: number;
  /** Percentiles in microseconds, to 3 significant digits (HDR histogram). */
  p50: Micros;
  p90: Micros;
  p99: Micros;
  p999: Micros;
  /** Exact maximum. */
  max: Micros;
}

/**
 * End-to-end latency: from a send's invoke to the message's first receive by anyone. Percentiles
 * come from an HDR histogram (constant memory); mean and max are tracked exactly beside it,
 * since the histogram reports bucket values for those too.
 */
export class LatencyChecker {
  private readonly histogram = createHistogram();
  private sum = 0;
  private max = 0;

  record(latency: Micros): void {
    // A receive stamped before its send's invoke would be a model bug; clamp rather than throw here.
    const value = latency > 0 ? latency : 0;
    this.histogram.recordValue(value);
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  finish(): LatencyReport {
    const count = this.histogram.totalCount;
    if (count === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    const h = this.histogram;
    // HDR answers with the top of a value's bucket, which can lie above the true maximum.
    return {
      count,
      mean: this.sum / count,
      p50: Math.min(this.max, h.getValueAtPercentile(50)),
      p90: Math.min(this.max, h.getValueAtPercentile(90)),
      p99: Math.min(this.max, h.getValueAtPercentile(99)),
      p999: Math.min(this.max, h.getValueAtPercentile(99.9)),
      max: this.max,
    };
  }
}
