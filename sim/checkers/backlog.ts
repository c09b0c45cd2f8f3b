import type { Micros } from '../time.js';

export interface BacklogPoint {
  time: Micros;
  backlog: number;
}

export interface BacklogReport {
  /** The highest backlog at any instant (every change counts, not only samples). */
  max: number;
  /** The backlog at finish. */
  final: number;
  /** One point per sample() call, in call order. */
  series: BacklogPoint[];
}

/**
 * Backlog: messages written as far as the producer knows (send ok) or maybe written (info) and
 * not yet received by anyone. The suite calls `grow`/`shrink` on those transitions; `sample`
 * takes a point for the time series (the runner samples at a fixed virtual interval).
 */
export class BacklogChecker {
  current = 0;
  private max = 0;
  private readonly series: BacklogPoint[] = [];

  grow(): void {
    if (++this.current > this.max) this.max = this.current;
  }

  shrink(): void {
    this.current--;
  }

  sample(time: Micros): void {
    this.series.push({ time, backlog: this.current });
  }

  finish(): BacklogReport {
    return { max: this.max, final: this.current, series: this.series.slice() };
  }
}
