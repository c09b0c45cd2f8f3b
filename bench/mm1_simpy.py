#!/usr/bin/python3
"""The M/M/1 model of bench/mm1.ts written with SimPy, for `npm run bench:kernel`.

Poisson arrivals at rate lambda, exponential service at rate mu, one server (a SimPy
Resource of capacity 1, FIFO), run until every customer has been served. The waiting
time is measured in the queue only: from arrival to the grant of the server. It is
written the way a SimPy user writes it: a source process and one process per customer.

Random numbers (--rng):
  alea (default): the very draws mqsim makes. mqsim's RandomStreams seeds seedrandom's
    Alea generator with "<seed>/arrivals" and "<seed>/service"; this file ports Alea
    bit for bit, so both simulators follow the same sample path (up to mqsim rounding
    every delay to a microsecond) and their mean waits agree to about 1e-6, not just
    statistically. At rho = 0.9 the mean wait of one run of 1,000,000 customers has a
    standard deviation near 1.8% of Wq, so two independent runs differ by more than 5%
    about one time in twenty: common random numbers make the mqsim/SimPy cross-check
    exact instead of a coin toss. The draws are made before the clock starts (a pure
    Python Alea is slower than random.random and would flatter mqsim); mqsim's time
    includes its draws, so the speed ratio errs in SimPy's favour.
  python: random.Random("<seed>/arrivals") and random.Random("<seed>/service") with
    expovariate inside the timed run (idiomatic SimPy; independent of mqsim's draws).

Prints one JSON line: {"customers": N, "meanWait": W, "wallSeconds": S}.

Needs SimPy for the system Python: apt-get install python3-simpy3 (Debian).
If SimPy is missing it prints {"skipped": "<how to install>"} and exits with status 3.
"""

import argparse
import json
import math
import random
import sys
import time

INSTALL_HINT = (
    "SimPy is not installed for " + sys.executable + "; install it with: "
    "apt-get install python3-simpy3"
)

try:
    import simpy
except ImportError:
    print(INSTALL_HINT, file=sys.stderr)
    print(json.dumps({"skipped": INSTALL_HINT}))
    sys.exit(3)


def _uint32(x):
    # JavaScript's x >>> 0: truncate toward zero, then modulo 2^32.
    return int(x) % 4294967296


def _int32(x):
    # JavaScript's x | 0.
    v = int(x) % 4294967296
    return v - 4294967296 if v >= 2147483648 else v


class Alea:
    """seedrandom's Alea (node_modules/seedrandom/lib/alea.js), the generator behind
    mqsim's RandomStream: same float64 arithmetic, so the same numbers."""

    def __init__(self, seed):
        n = float(0xEFC8249D)

        def mash(data):
            nonlocal n
            units = str(data).encode("utf-16-le")  # JavaScript strings are UTF-16 code units
            for i in range(0, len(units), 2):
                n += units[i] | (units[i + 1] << 8)
                h = 0.02519603282416938 * n
                n = float(_uint32(h))
                h -= n
                h *= n
                n = float(_uint32(h))
                h -= n
                n += h * 4294967296.0
            return _uint32(n) * 2.3283064365386963e-10

        self.c = 1
        self.s0 = mash(" ")
        self.s1 = mash(" ")
        self.s2 = mash(" ")
        self.s0 -= mash(seed)
        if self.s0 < 0:
            self.s0 += 1
        self.s1 -= mash(seed)
        if self.s1 < 0:
            self.s1 += 1
        self.s2 -= mash(seed)
        if self.s2 < 0:
            self.s2 += 1

    def random(self):
        t = 2091639 * self.s0 + self.c * 2.3283064365386963e-10
        self.s0 = self.s1
        self.s1 = self.s2
        self.c = _int32(t)
        self.s2 = t - self.c
        return self.s2


def alea_exponentials(seed, count, rate):
    """`count` draws of mqsim's RandomStream.exponential(1 / rate): -mean * log(1 - u)."""
    rng = Alea(seed)
    mean = 1.0 / rate
    log = math.log
    return [-mean * log(1.0 - rng.random()) for _ in range(count)]


def source(env, customers, server, interarrival, service_time, stats):
    # The Poisson process starts at time 0; the first customer arrives one interarrival later.
    for _ in range(customers):
        yield env.timeout(interarrival())
        env.process(customer(env, server, service_time, stats))


def customer(env, server, service_time, stats):
    arrived = env.now
    with server.request() as request:
        yield request
        stats[0] += env.now - arrived
        stats[1] += 1
        yield env.timeout(service_time())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--arrival-rate", type=float, default=0.9)
    parser.add_argument("--service-rate", type=float, default=1.0)
    parser.add_argument("--rng", choices=("alea", "python"), default="alea",
                        help="alea: mqsim's own draws (default); python: random.Random")
    args = parser.parse_args()

    if args.rng == "alea":
        # Made before the clock starts; see the module docstring.
        interarrival = iter(alea_exponentials(f"{args.seed}/arrivals", args.customers, args.arrival_rate)).__next__
        service_time = iter(alea_exponentials(f"{args.seed}/service", args.customers, args.service_rate)).__next__
    else:
        arrivals = random.Random(f"{args.seed}/arrivals")
        service = random.Random(f"{args.seed}/service")
        interarrival = lambda: arrivals.expovariate(args.arrival_rate)  # noqa: E731
        service_time = lambda: service.expovariate(args.service_rate)  # noqa: E731

    start = time.perf_counter()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = [0.0, 0]  # total wait, customers served
    env.process(source(env, args.customers, server, interarrival, service_time, stats))
    env.run()
    wall = time.perf_counter() - start

    if stats[1] != args.customers:
        print(f"M/M/1: served {stats[1]} of {args.customers} customers", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"customers": stats[1], "meanWait": stats[0] / stats[1], "wallSeconds": wall}))


if __name__ == "__main__":
    main()
