import { describe, expect, it } from 'vitest';
import { distributionMean, RandomStreams, sampler, type Distribution } from '../../sim/random.js';

describe('random streams', () => {
  it('gives the same draws for the same seed and stream name', () => {
    const a = new RandomStreams(42).stream('producer:p1');
    const b = new RandomStreams(42).stream('producer:p1');
    const drawsA = Array.from({ length: 100 }, () => a.next());
    const drawsB = Array.from({ length: 100 }, () => b.next());
    expect(drawsA).toEqual(drawsB);
  });

  it('gives different draws for a different seed or stream', () => {
    const base = new RandomStreams(42).stream('x');
    const otherSeed = new RandomStreams(43).stream('x');
    const otherName = new RandomStreams(42).stream('y');
    const first = base.next();
    expect(otherSeed.next()).not.toBe(first);
    expect(otherName.next()).not.toBe(first);
  });

  it('does not shift a stream when another stream is added or drawn from', () => {
    const alone = new RandomStreams(7);
    const crowded = new RandomStreams(7);
    const extra = crowded.stream('new-component');
    for (let i = 0; i < 1000; i++) extra.next();
    const a = alone.stream('network');
    const b = crowded.stream('network');
    for (let i = 0; i < 100; i++) expect(b.next()).toBe(a.next());
  });

  const cases: [string, Distribution, number][] = [
    ['constant', { constant: 5 }, 0],
    ['uniform', { uniform: [2, 6] }, 0.02],
    ['exponential', { exponential: { mean: 3 } }, 0.02],
    ['normal', { normal: { mean: 10, stddev: 2 } }, 0.02],
    ['lognormal', { lognormal: { median: 2, sigma: 0.5 } }, 0.02],
    ['pareto', { pareto: { scale: 1, shape: 3 } }, 0.03],
    ['weighted', { weighted: [{ value: 1, weight: 3 }, { value: 10, weight: 1 }] }, 0.02],
  ];
  it.each(cases)('%s has the right mean within tolerance over 200k draws', (_name, distribution, tolerance) => {
    const draw = sampler(distribution, new RandomStreams(1).stream('d'));
    let sum = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) sum += draw();
    const mean = distributionMean(distribution);
    expect(Math.abs(sum / n - mean)).toBeLessThanOrEqual(Math.max(tolerance * mean, 1e-9));
  });

  it('weighted choice follows the weights', () => {
    const stream = new RandomStreams(3).stream('w');
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[stream.weightedIndex([1, 2, 7])]!++;
    expect(counts[0]! / 100_000).toBeCloseTo(0.1, 1);
    expect(counts[1]! / 100_000).toBeCloseTo(0.2, 1);
    expect(counts[2]! / 100_000).toBeCloseTo(0.7, 1);
  });
});
