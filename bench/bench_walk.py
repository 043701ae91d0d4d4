#!/usr/bin/env python3
"""Where heapscope's time goes: the C walk against its floors, on the synthetic heap.

    python bench/bench_walk.py 1M [--repeat 7]
    python bench/bench_walk.py 1M --loop summarize_heap --seconds 10   # for perf / callgrind

Default mode builds the heap of bench/heap.py (importing Pympler and objgraph
first when they are installed, so the heap is the one bench_summary.py
measures) and prints, per call, the median time, ns per live object and the
extra peak RSS:

  gc.get_objects()              list of the GC-tracked objects (floor of any GC-list walk)
  gc.collect(2) / (1)           full / young collection, on the quiet heap
  _core.count_objects()         the complete walk (tracked + untracked closure), no consumer
  _core.summarize_heap()        the walk plus per-label counts and sizes
  _core.get_objects()           the walk plus a list of every object

and then the parts of ``SummaryTracker.print_diff()`` after +10k objects:
gc.collect(1) with those young objects, summarize_heap, Summary.diff, _sweep
and the table formatting.

``--loop OP`` calls one operation over and over for --seconds (after building
the heap), for profilers:

    perf record -e cpu-clock -g -o /tmp/walk.data -- python bench/bench_walk.py 1M --loop summarize_heap
    perf report -i /tmp/walk.data --no-children --sort symbol
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        python bench/bench_walk.py 100k --loop summarize_heap --count 3

OP is one of: summarize_heap, count_objects, get_objects, gc_get_objects,
gc_collect, print_diff (SummaryTracker(collect=1).print_diff with nothing new).
"""
import gc
import io
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heap  # noqa: E402
from measure import fmt_time, measure, stats  # noqa: E402

HEAP = None
EXTRA = None


def _import_anchors():
    """Import the anchors as bench_summary.py does, so the heap is the same."""
    for name in ("pympler.tracker", "pympler.muppy", "pympler.summary", "objgraph"):
        try:
            __import__(name)
        except ImportError:
            pass


def _ops():
    from heapscope import _core, tracker

    quiet = tracker.SummaryTracker(collect=1)
    return {
        "summarize_heap": _core.summarize_heap,
        "count_objects": _core.count_objects,
        "get_objects": _core.get_objects,
        "gc_get_objects": gc.get_objects,
        "gc_collect": gc.collect,
        "print_diff": lambda: quiet.print_diff(file=io.StringIO()),
    }


def loop(op, seconds, count):
    fn = _ops()[op]
    fn()  # the first walk after building the heap is slower
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if (count and n >= count) or (not count and el >= seconds):
            break
    print("%s: %d calls, %s per call" % (op, n, fmt_time(el / n)))


def report(repeat):
    global EXTRA
    from heapscope import _core, summary, tracker

    live = _core.count_objects()
    tracked = len(gc.get_objects())
    print("live objects %s (GC-tracked %s); median of %d calls\n"
          % (format(live, ","), format(tracked, ","), repeat))
    row = "%-44s %12s %12s %10s %14s\n"
    sys.stdout.write(row % ("call", "median", "min", "ns/obj", "extra B/obj"))

    def show(name, times, peaks, per=live):
        s = stats(times)
        p = stats(peaks)
        sys.stdout.write(row % (name, fmt_time(s["median"]), fmt_time(s["min"]),
                                "%.1f" % (s["median"] / per * 1e9),
                                "-" if p is None else "%.2f" % (p["median"] / live)))

    def bench(name, fn, per=live):
        times, peaks = [], []
        for _ in range(repeat):
            t, p, r = measure(fn)
            del r
            times.append(t)
            peaks.append(p)
        show(name, times, peaks, per)
        return stats(times)["median"]

    _core.summarize_heap()  # warm: the first walk after building is slower
    bench("gc.get_objects()", gc.get_objects)
    bench("gc.collect()  (full, quiet heap)", gc.collect)
    bench("gc.collect(1) (quiet heap)", lambda: gc.collect(1))
    walk = bench("_core.count_objects()", _core.count_objects)
    summ = bench("_core.summarize_heap()", _core.summarize_heap)
    bench("_core.get_objects()", _core.get_objects)
    print("\nsummarize_heap - count_objects (counts, sizes, labels): %s = %.1f ns/obj"
          % (fmt_time(summ - walk), (summ - walk) / live * 1e9))

    # print_diff after +10k objects, part by part, as tracker.SummaryTracker does it.
    parts = {k: [] for k in ("gc.collect(1) with +10k young", "summarize_heap", "Summary.diff",
                             "_sweep", "print_ (format + write)", "total")}
    for _ in range(repeat):
        tr = tracker.SummaryTracker(collect=1)
        EXTRA = heap.build(10000)
        t = [time.perf_counter()]
        gc.collect(1)
        t.append(time.perf_counter())
        s1 = _core.summarize_heap()
        t.append(time.perf_counter())
        rows = s1.diff(tr.s0)
        t.append(time.perf_counter())
        rows = summary._sweep(rows)
        t.append(time.perf_counter())
        summary.print_(rows, file=io.StringIO())
        t.append(time.perf_counter())
        for k, a, b in zip(parts, t, t[1:]):
            parts[k].append(b - a)
        parts["total"].append(t[-1] - t[0])
        del tr, s1, rows
        EXTRA = None
    print("\nprint_diff() after +10k objects (collect=1), part by part:")
    for k, v in parts.items():
        show("  " + k, v, [None])


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", help="heap size, e.g. 100k, 1M, 3M")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--loop", metavar="OP", help="call OP repeatedly (for a profiler)")
    ap.add_argument("--seconds", type=float, default=10.0, help="--loop duration")
    ap.add_argument("--count", type=int, default=0, help="--loop: this many calls instead")
    ap.add_argument("--no-anchors", action="store_true", help="do not import Pympler/objgraph first")
    args = ap.parse_args(argv)

    global HEAP
    import heapscope  # noqa: F401
    if not args.no_anchors:
        _import_anchors()
    n = heap.parse_size(args.size)
    t = time.perf_counter()
    HEAP = heap.build(n)
    gc.collect()
    print("built %s objects in %.1f s" % (format(n, ","), time.perf_counter() - t))
    if args.loop:
        loop(args.loop, args.seconds, args.count)
    else:
        report(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
