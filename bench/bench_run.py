#!/usr/bin/env python3
"""What ``heapscope run`` costs a running program.

    python bench/bench_run.py --size 1M --seconds 5 --intervals 1,0.2

A generated program holds the synthetic heap of ``heap.py`` (``--size``
objects in a module-level list) and then does pure-Python work for
``--seconds``, counting iterations.  It runs once under plain ``python`` and
once under ``heapscope run --interval I`` for each interval, each in a fresh
process.  Printed per run: the program's work rate (iterations per second)
and its slowdown against plain python, the per-sample cost heapscope reports
on its lines (median and max, collection + C summary, GIL held), the number
of samples, and the time from the program's end to heapscope's exit (the
at-exit summary and growth analysis).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from heap import parse_size  # noqa: E402

PROGRAM = """
import sys, time
sys.path.insert(0, %(here)r)
import gc, heap
HEAP = heap.build(%(size)d)
gc.collect()
def work():
    d = {}
    for i in range(1000):
        d[i %% 97] = str(i)
    return len(d)
t0 = time.perf_counter()
n = 0
while time.perf_counter() - t0 < %(seconds)r:
    work()
    n += 1
t = time.perf_counter() - t0
print("rate %%.1f" %% (n / t), flush=True)
sys.stderr.write("program-done %%r\\n" %% time.time())
sys.stderr.flush()
"""


def run_one(cmd):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    end = time.time()
    if r.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    rate = float(re.search(r"rate ([\d.]+)", r.stdout).group(1))
    done = float(re.search(r"program-done ([\d.]+)", r.stderr).group(1))
    costs = [int(c) for c in re.findall(r"^heapscope:\s+[\d.]+ s .*?\[(\d+) ms\]", r.stderr, re.M)]
    return rate, costs, end - done, end - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1M", help="objects in the program's heap (default 1M)")
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds of work per run (default 5)")
    ap.add_argument("--intervals", default="1,0.2", help="comma-separated --interval values (default 1,0.2)")
    args = ap.parse_args()
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "prog.py")
        with open(prog, "w") as f:
            f.write(PROGRAM % {"here": HERE, "size": size, "seconds": args.seconds})
        base, _, _, _ = run_one([sys.executable, prog])
        print("heap %s objects, %.0f s of work; python %s" % (args.size, args.seconds, sys.version.split()[0]))
        print("%-22s %12s %9s %8s %14s %14s" % ("run", "iter/s", "slowdown", "samples", "sample ms med/max",
                                               "exit report s"))
        print("%-22s %12.1f %9s %8s %14s %14s" % ("python", base, "-", "-", "-", "-"))
        for iv in args.intervals.split(","):
            rate, costs, tail, _ = run_one([sys.executable, "-m", "heapscope", "run", "--interval", iv, prog])
            med = statistics.median(costs) if costs else float("nan")
            print("%-22s %12.1f %8.1f%% %8d %9.0f/%-4d %14.2f" % (
                "heapscope run -i %s" % iv, rate, 100 * (1 - rate / base), len(costs), med,
                max(costs) if costs else 0, tail))


if __name__ == "__main__":
    main()
