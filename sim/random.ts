import seedrandom from 'seedrandom';

/**
 * Seeded randomness. A scenario seed expands into one independent stream per named
 * component ("net:broker-1->broker-2", "nemesis", "producer:p1"), each seeded from
 * `${seed}/${name}`, so adding a component (a new stream) never shifts another's draws.
 * The generator is seedrandom's Alea: fast, and identical in every JavaScript engine.
 */
export class RandomStream {
  private readonly prng: () => number;
  private spareNormal = Number.NaN;

  constructor(readonly name: string, seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.prng();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.prng() < p;
  }

  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.prng());
  }

  /** Standard normal by Box–Muller, keeping the second value for the next call. */
  standardNormal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const spare = this.spareNormal;
      this.spareNormal = Number.NaN;
      return spare;
    }
    const u = 1 - this.prng();
    const v = this.prng();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  normal(mean: number, stddev: number): number {
    return mean + stddev * this.standardNormal();
  }

  /** exp(N(mu, sigma)): median e^mu, mean e^(mu + sigma²/2). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.standardNormal());
  }

  /** Pareto type I: x >= scale, P(X > x) = (scale/x)^shape. Mean scale·shape/(shape-1) for shape > 1. */
  pareto(scale: number, shape: number): number {
    return scale / Math.pow(1 - this.prng(), 1 / shape);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error(`random stream ${this.name}: pick from an empty list`);
    return items[this.int(items.length)]!;
  }

  /** Picks an index with probability weight / sum(weights). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new Error(`random stream ${this.name}: weights must sum to more than 0`);
    let target = this.prng() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i]!;
      if (target < 0) return i;
    }
    return weights.length - 1;
  }

  weighted<T>(choices: readonly { value: T; weight: number }[]): T {
    return choices[this.weightedIndex(choices.map((c) => c.weight))]!.value;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

export class RandomStreams {
  private readonly streams = new Map<string, RandomStream>();

  constructor(readonly seed: number | string) {}

  /** The stream for a component, created on first use. */
  stream(name: string): RandomStream {
    let stream = this.streams.get(name);
    if (!stream) {
      stream = new RandomStream(name, `${this.seed}/${name}`);
      this.streams.set(name, stream);
    }
    return stream;
  }
}

/**
 * A distribution as scenario data (values already in their unit: microseconds for
 * durations). `normal` is truncated at `min` (default 0) because it describes durations
 * and sizes; the others are non-negative by construction.
 */
export type Distribution =
  | { constant: number }
  | { uniform: readonly [number, number] }
  | { exponential: { mean: number } }
  | { normal: { mean: number; stddev: number; min?: number } }
  | { lognormal: { median: number; sigma: number } }
  | { pareto: { scale: number; shape: number } }
  | { weighted: readonly { value: number; weight: number }[] };

export const DISTRIBUTION_KINDS = ['constant', 'uniform', 'exponential', 'normal', 'lognormal', 'pareto', 'weighted'] as const;

/** A sampler bound to a stream, built once so the hot path does not re-read the spec. */
export type Sampler = () => number;

export function sampler(distribution: Distribution, stream: RandomStream): Sampler {
  if ('constant' in distribution) {
    const value = distribution.constant;
    return () => value;
  }
  if ('uniform' in distribution) {
    const [min, max] = distribution.uniform;
    return () => stream.uniform(min, max);
  }
  if ('exponential' in distribution) {
    const mean = distribution.exponential.mean;
    return () => stream.exponential(mean);
  }
  if ('normal' in distribution) {
    const { mean, stddev, min = 0 } = distribution.normal;
    return () => Math.max(min, stream.normal(mean, stddev));
  }
  if ('lognormal' in distribution) {
    const mu = Math.log(distribution.lognormal.median);
    const sigma = distribution.lognormal.sigma;
    return () => stream.lognormal(mu, sigma);
  }
  if ('pareto' in distribution) {
    const { scale, shape } = distribution.pareto;
    return () => stream.pareto(scale, shape);
  }
  const choices = distribution.weighted;
  const weights = choices.map((c) => c.weight);
  return () => choices[stream.weightedIndex(weights)]!.value;
}

/** The distribution's mean (Infinity for a Pareto with shape <= 1), for documentation and tests. */
export function distributionMean(distribution: Distribution): number {
  if ('constant' in distribution) return distribution.constant;
  if ('uniform' in distribution) return (distribution.uniform[0] + distribution.uniform[1]) / 2;
  if ('exponential' in distribution) return distribution.exponential.mean;
  if ('normal' in distribution) return distribution.normal.mean;
  if ('lognormal' in distribution) {
    const { median, sigma } = distribution.lognormal;
    return median * Math.exp((sigma * sigma) / 2);
  }
  if ('pareto' in distribution) {
    const { scale, shape } = distribution.pareto;
    return shape <= 1 ? Infinity : (scale * shape) / (shape - 1);
  }
  const total = distribution.weighted.reduce((s, c) => s + c.weight, 0);
  return distribution.weighted.reduce((s, c) => s + (c.value * c.weight) / total, 0);
}
