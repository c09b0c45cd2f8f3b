import { performance } from 'node:perf_hooks';
import { Kernel } from '../sim/kernel.js';
import { RandomStreams } from '../sim/random.js';

/**
 * An M/M/1 queue on mqsim's kernel: Poisson arrivals, exponential service, one server,
 * FIFO, run until every customer has been served. It is the kernel benchmark's workload
 * (compared with the same model in SimPy, bench/mm1_simpy.py) and a statistical check of
 * the kernel against the closed form Wq = rho / (mu - lambda).
 *
 * Time unit: rates are per time unit and 1 time unit = 1,000,000 kernel microseconds
 * (think "1 second"). The kernel rounds every delay to a whole microsecond, so each draw
 * (mean ~1 time unit) is off by at most 0.5e-6 time units: a relative error around 1e-6
 * on the mean wait, far below the run's statistical noise. Virtual time stays an exact
 * integer: 1,000,000 customers at lambda = 0.9 end near 1.1e12 us, well under 2^53.
 */

/** Kernel microseconds per model time unit. */
export const MICROS_PER_UNIT = 1_000_000;

export interface Mm1Options {
  /** Customers to simulate (all of them are served before the run returns). */
  customers: number;
  /** Seed of the run's RandomStreams ('arrivals' and 'service' streams). */
  seed: number | string;
  /** lambda, arrivals per time unit. */
  arrivalRate: number;
  /** mu, services per time unit (the server's rate). */
  serviceRate: number;
}

export interface Mm1Result {
  /** Customers served (equals the requested count). */
  customers: number;
  /** Mean time in queue (arrival to start of service, service excluded), in time units. */
  meanWait: number;
  /** Kernel events run (one arrival and one departure per customer). */
  events: number;
  /** Wall-clock milliseconds for building and running the model. */
  wallMs: number;
}

/** Mean waiting time in queue of a stable M/M/1 queue: rho / (mu - lambda). */
export function mm1ExpectedWait(arrivalRate: number, serviceRate: number): number {
  return arrivalRate / serviceRate / (serviceRate - arrivalRate);
}

export function runMm1({ customers, seed, arrivalRate, serviceRate }: Mm1Options): Mm1Result {
  if (!Number.isSafeInteger(customers) || customers < 1) throw new Error(`customers must be a positive integer, got ${customers}`);
  if (!(arrivalRate > 0) || !(serviceRate > 0)) throw new Error('arrivalRate and serviceRate must be > 0');

  const start = performance.now();
  const kernel = new Kernel({ maxEvents: 2 * customers + 10 });
  const streams = new RandomStreams(seed);
  const arrivals = streams.stream('arrivals');
  const service = streams.stream('service');
  const meanInterarrival = MICROS_PER_UNIT / arrivalRate;
  const meanService = MICROS_PER_UNIT / serviceRate;

  // FIFO of the arrival times (us) of waiting customers: a growable ring buffer, so the
  // hot path allocates nothing but the kernel's own event objects.
  let ring = new Float64Array(1024);
  let head = 0;
  let waiting = 0;
  let busy = false;
  let arrived = 0;
  let served = 0;
  let totalWait = 0; // microseconds, summed exactly while below 2^53

  const enqueue = (time: number): void => {
    if (waiting === ring.length) {
      const bigger = new Float64Array(ring.length * 2);
      for (let i = 0; i < waiting; i++) bigger[i] = ring[(head + i) % ring.length]!;
      ring = bigger;
      head = 0;
    }
    ring[(head + waiting) % ring.length] = time;
    waiting++;
  };

  const depart = (_: null): void => {
    served++;
    if (waiting > 0) {
      const arrivedAt = ring[head]!;
      head = (head + 1) % ring.length;
      waiting--;
      totalWait += kernel.now - arrivedAt;
      kernel.after(service.exponential(meanService), depart, null);
    } else {
      busy = false;
    }
  };

  const arrive = (_: null): void => {
    arrived++;
    if (arrived < customers) kernel.after(arrivals.exponential(meanInterarrival), arrive, null);
    if (busy) {
      enqueue(kernel.now);
    } else {
      // Served at once: a wait of zero.
      busy = true;
      kernel.after(service.exponential(meanService), depart, null);
    }
  };

  // The Poisson process starts at time 0; the first customer arrives one interarrival later.
  kernel.after(arrivals.exponential(meanInterarrival), arrive, null);
  kernel.run();
  const wallMs = performance.now() - start;

  if (served !== customers) throw new Error(`M/M/1: served ${served} of ${customers} customers`);
  return { customers: served, meanWait: totalWait / served / MICROS_PER_UNIT, events: kernel.eventsRun, wallMs };
}
