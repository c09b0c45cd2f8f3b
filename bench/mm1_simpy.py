#!/usr/bin/python3
"""The M/M/1 model of bench/mm1.ts written with SimPy, for `npm run bench:kernel`.

Poisson arrivals at rate lambda, exponential service at rate mu, one server (a SimPy
Resource of capacity 1, FIFO), run until every customer has been served. The waiting
time is measured in the queue only: from arrival to the grant of the server. Two
independent random streams, seeded from "<seed>/arrivals" and "<seed>/service" like
mqsim's named streams (Python's Mersenne Twister, so the draws differ from mqsim's
Alea draws; both estimate the same Wq = rho / (mu - lambda)).

It is written the way a SimPy user writes it: a source process and one process per
customer. Prints one JSON line: {"customers": N, "meanWait": W, "wallSeconds": S}.

Needs SimPy for the system Python: apt-get install python3-simpy3 (Debian).
If SimPy is missing it prints {"skipped": "<how to install>"} and exits with status 3.
"""

import argparse
import json
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


def source(env, customers, server, arrivals, service, arrival_rate, service_rate, stats):
    # The Poisson process starts at time 0; the first customer arrives one interarrival later.
    for _ in range(customers):
        yield env.timeout(arrivals.expovariate(arrival_rate))
        env.process(customer(env, server, service, service_rate, stats))


def customer(env, server, service, service_rate, stats):
    arrived = env.now
    with server.request() as request:
        yield request
        stats[0] += env.now - arrived
        stats[1] += 1
        yield env.timeout(service.expovariate(service_rate))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--arrival-rate", type=float, default=0.9)
    parser.add_argument("--service-rate", type=float, default=1.0)
    args = parser.parse_args()

    start = time.perf_counter()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    arrivals = random.Random(f"{args.seed}/arrivals")
    service = random.Random(f"{args.seed}/service")
    stats = [0.0, 0]  # total wait, customers served
    env.process(source(env, args.customers, server, arrivals, service,
                       args.arrival_rate, args.service_rate, stats))
    env.run()
    wall = time.perf_counter() - start

    if stats[1] != args.customers:
        print(f"M/M/1: served {stats[1]} of {args.customers} customers", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"customers": stats[1], "meanWait": stats[0] / stats[1], "wallSeconds": wall}))


if __name__ == "__main__":
    main()
