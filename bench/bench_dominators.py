#!/usr/bin/env python3
"""Speed of csrc/dominators.c (dominator tree + retained sizes) on a random graph.

    python bench/bench_dominators.py                       # 3M nodes, 7.5M edges
    python bench/bench_dominators.py --nodes 1M --edges 2.5M --roots 100 --repeat 5
    python bench/bench_dominators.py --shape heaplike      # a random tree + random edges up to --edges

It goes through the test-only binding _core._dominators(n, edges, roots, sizes),
whose time includes reading the Python lists into a CSR and building the result
lists.  That part is measured by the same call with no roots (nothing reachable:
the algorithm only clears its output), and subtracted:

    algorithm = median(call with roots) - median(call without roots)

(and the same with the minimums).  The call without roots returns cached small
ints (-2, 0), so the difference still holds the making of ~2 int objects per
reachable node: an upper bound on dominators.c's own time.
"""
import argparse
import random
import statistics
import time

from heapscope import _core


def count(text):
    text = text.strip().lower()
    for suffix, mult in (("k", 10 ** 3), ("m", 10 ** 6)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * mult)
    return int(text)


def graph(shape, n, m, rng):
    rand = rng.randrange
    if shape == "random":
        return [(rand(n), rand(n)) for _ in range(m)]
    edges = [(rand(v), v) for v in range(1, n)]  # every node hangs from an older one
    edges += [(rand(n), rand(n)) for _ in range(max(m - len(edges), 0))]
    rng.shuffle(edges)
    return edges


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        del result
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", default="3M")
    ap.add_argument("--edges", default="7.5M")
    ap.add_argument("--roots", type=int, default=1000)
    ap.add_argument("--shape", choices=["random", "heaplike"], default="random")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n, m = count(args.nodes), count(args.edges)
    rng = random.Random(args.seed)

    t = time.perf_counter()
    edges = graph(args.shape, n, m, rng)
    roots = rng.sample(range(n), min(args.roots, n))
    sizes = [rng.randrange(16, 256) for _ in range(n)]
    print("graph: %s, %d nodes, %d edges, %d roots (built in %.1f s)"
          % (args.shape, n, len(edges), len(roots), time.perf_counter() - t))

    idom, retained = _core._dominators(n, edges, roots, sizes)
    reached = n - idom.count(-2)
    print("reachable: %d nodes (%.1f%%), %d hang from the virtual root"
          % (reached, 100.0 * reached / max(n, 1), idom.count(-1)))
    del idom, retained

    full, full_min = median_time(lambda: _core._dominators(n, edges, roots, sizes), args.repeat)
    base, base_min = median_time(lambda: _core._dominators(n, edges, [], sizes), args.repeat)
    print("binding call:       %7.1f ms (min %.1f)" % (full * 1e3, full_min * 1e3))
    print("lists <-> CSR only: %7.1f ms (min %.1f)" % (base * 1e3, base_min * 1e3))
    for what, algo in (("median", full - base), ("min", full_min - base_min)):
        print("algorithm (%-6s): %7.1f ms = %.0f ns/node, %.0f ns/reachable node"
              % (what, algo * 1e3, algo * 1e9 / max(n, 1), algo * 1e9 / max(reached, 1)))


if __name__ == "__main__":
    main()
