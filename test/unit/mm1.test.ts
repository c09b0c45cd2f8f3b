import { describe, it, expect } from 'vitest';
import { mm1ExpectedWait, runMm1 } from '../../bench/mm1.js';

// At rho = 0.9 waits are strongly autocorrelated: the mean wait over n customers has a
// standard deviation of about 0.40 (4.5% of Wq = 9) at n = 200,000 and about 0.165 (1.8%)
// at n = 1,000,000 (measured over 100 and 40 seeds). So a 5% check on 200,000 customers
// would fail for roughly one seed in four; 1,000,000 customers (about half a second) puts
// 5% at about 2.7 standard deviations. The seed is fixed, so the test is deterministic.
const ARRIVAL_RATE = 0.9;
const SERVICE_RATE = 1;

describe('M/M/1 on the kernel', () => {
  it('has Wq = rho / (mu - lambda) = 9', () => {
    expect(mm1ExpectedWait(ARRIVAL_RATE, SERVICE_RATE)).toBeCloseTo(9, 12);
  });

  it('gives a mean wait within 5% of Wq = 9', () => {
    const result = runMm1({ customers: 1_000_000, seed: 1, arrivalRate: ARRIVAL_RATE, serviceRate: SERVICE_RATE });
    expect(result.customers).toBe(1_000_000);
    expect(result.events).toBe(2_000_000); // one arrival and one departure per customer
    expect(Math.abs(result.meanWait - 9) / 9).toBeLessThan(0.05);
  });

  it('gives the identical mean wait for the same seed, and another for another seed', () => {
    const options = { customers: 200_000, seed: 'repeat', arrivalRate: ARRIVAL_RATE, serviceRate: SERVICE_RATE };
    const first = runMm1(options);
    const second = runMm1(options);
    expect(second.meanWait).toBe(first.meanWait);
    expect(second.events).toBe(first.events);
    expect(runMm1({ ...options, seed: 'other' }).meanWait).not.toBe(first.meanWait);
  });

  it('waits nothing when arrivals are rare', () => {
    // lambda / mu = 0.001: Wq is about 0.001, so the mean wait is tiny but not negative.
    const result = runMm1({ customers: 10_000, seed: 2, arrivalRate: 0.001, serviceRate: 1 });
    expect(result.meanWait).toBeGreaterThanOrEqual(0);
    expect(result.meanWait).toBeLessThan(0.01);
  });

  it('rejects a customer count that is not a positive integer', () => {
    expect(() => runMm1({ customers: 0, seed: 1, arrivalRate: ARRIVAL_RATE, serviceRate: SERVICE_RATE })).toThrow(/positive integer/);
  });
});
