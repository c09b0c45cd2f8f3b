import type { Micros } from './time.js';

/**
 * Metrics: named counters, and gauges sampled into time series on virtual time (the world
 * samples them every `sampleEvery`). Deterministic like everything else: series are keyed
 * in registration order.
 */
export interface SeriesPoint {
  time: Micros;
  value: number;
}

export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();
  private readonly series = new Map<string, SeriesPoint[]>();

  increment(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** Registers a gauge read at every sample. Registering a name again replaces the reader. */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
    if (!this.series.has(name)) this.series.set(name, []);
  }

  sample(time: Micros): void {
    for (const [name, read] of this.gauges) this.series.get(name)!.push({ time, value: read() });
  }

  counterValues(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  seriesValues(): Record<string, SeriesPoint[]> {
    return Object.fromEntries(this.series);
  }
}
