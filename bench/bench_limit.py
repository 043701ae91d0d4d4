#!/usr/bin/env python3
"""heapscope's C summary walk against the limit of shared/reference/limit.md.

    python bench/bench_limit.py --sizes 1M,3M --processes 5 --repeat 11

limit.md measured an experimental summary-only walker (about 21 ns per live
object at 1M and 3M) in processes that held the synthetic heap and little else.
This script measures ``_core.summarize_heap()`` and ``_core.count_objects()``
(the walk alone) in the same kind of process: the synthetic heap of
``heap.build`` and heapscope, nothing else imported (bench_summary.py also
imports objgraph, Pympler and heapscope's Pympler-compatible modules, whose own
objects, ~70k scattered objects of many types, add a fixed cost per call).

Each process builds the heap, collects, calls both once (warm-up), then
--repeat times each, alternating; it prints its medians.  Processes run in
turn over the sizes; the parent prints, per size, the median of the process
medians, their range, and the ratio to the limit, with the verdict of
bench/README.md's reading of "reach it" (at most 25 % above).  The children
import a frozen copy of the package (as bench_summary.py does).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

LIMIT_NS = 21.0
NEAR_LIMIT = 1.25


def child(size, repeat):
    import gc
    import time

    import heap
    from heapscope import _core

    keep = heap.build(heap.parse_size(size))
    gc.collect()
    _core.summarize_heap()
    _core.count_objects()
    ts, tc = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        _core.summarize_heap()
        ts.append(time.perf_counter() - t)
        t = time.perf_counter()
        _core.count_objects()
        tc.append(time.perf_counter() - t)
    live = _core.count_objects()
    ts.sort()
    tc.sort()
    print("%d %.9f %.9f" % (live, ts[len(ts) // 2], tc[len(tc) // 2]))
    del keep


def main():
    import argparse
    import statistics
    import subprocess

    from bench_summary import _snapshot_env

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1M,3M")
    ap.add_argument("--processes", type=int, default=5, help="fresh processes per size")
    ap.add_argument("--repeat", type=int, default=11, help="calls of each per process (median)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each process's median")
    args = ap.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    env, _ = _snapshot_env()
    res = {s: [] for s in sizes}
    for _ in range(args.processes):
        for s in sizes:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", s, str(args.repeat)],
                                 env=env, capture_output=True, text=True, check=True).stdout.split()
            res[s].append((int(out[0]), float(out[1]), float(out[2])))
            if args.verbose:
                print("  %s: %.1f ns/obj" % (s, float(out[1]) / int(out[0]) * 1e9), flush=True)
    print("python %s, load average %.1f" % (sys.version.split()[0], os.getloadavg()[0]))
    for s in sizes:
        live = statistics.median(r[0] for r in res[s])
        sh = [r[1] / r[0] * 1e9 for r in res[s]]
        co = [r[2] / r[0] * 1e9 for r in res[s]]
        m = statistics.median(sh)
        print("%s (%d live objects, %d processes): summarize_heap %.1f ns/obj [%.1f-%.1f] = %.2fx the limit  %s;"
              "  count_objects (walk only) %.1f ns/obj [%.1f-%.1f]"
              % (s, live, len(sh), m, min(sh), max(sh), m / LIMIT_NS,
                 "MET" if m <= LIMIT_NS * NEAR_LIMIT else "MISSED",
                 statistics.median(co), min(co), max(co)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
