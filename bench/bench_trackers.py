"""Tracker cliffs of Pympler that heapscope does not have (pympler.md §5).

1. ``store_summary()``: in Pympler every later summary pays one
   ``gc.get_referrers`` heap scan per object of the stored summaries (24.6 s at
   100k objects, 286 s at 1M).  heapscope keeps summaries in C memory that no
   walk sees, so a stored summary costs later ones nothing.
2. ``ObjectTracker`` diff after adding 1k objects: Pympler's identity diff is
   quadratic per type (28 s at 100k objects); heapscope's is linear.

Usage: python bench/bench_trackers.py [--size 100k] [--hs-size 1M] [--repeat 5] [--no-anchors]
Pympler runs once per operation (it is slow); heapscope runs --repeat times,
median reported.  Each size runs in this process on a heap built once.
"""
import argparse
import contextlib
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heap  # noqa: E402

from heapscope import tracker as hs_tracker  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median_of(fn, repeat):
    return statistics.median(timed(fn) for _ in range(repeat))


def store_summary_case(repeat, anchors):
    out = {}
    tr = hs_tracker.SummaryTracker()
    out["heapscope create_summary, nothing stored"] = median_of(tr.create_summary, repeat)
    tr.store_summary("a")
    out["heapscope create_summary, 1 summary stored"] = median_of(tr.create_summary, repeat)
    if anchors:
        from pympler import tracker as p_tracker
        with contextlib.redirect_stdout(io.StringIO()):
            pt = p_tracker.SummaryTracker()
            out["Pympler create_summary, nothing stored"] = timed(pt.create_summary)
            pt.store_summary("a")
            out["Pympler create_summary, 1 summary stored"] = timed(pt.create_summary)
    return out


def object_tracker_case(repeat, anchors):
    out = {}
    runs = []
    for _ in range(repeat):
        ot = hs_tracker.ObjectTracker()
        extra = [object() for _ in range(1000)]
        runs.append(timed(lambda: ot.print_diff(file=io.StringIO())))
        del ot, extra
    out["heapscope ObjectTracker.print_diff after +1k objects"] = statistics.median(runs)
    if anchors:
        from pympler import tracker as p_tracker
        ot = p_tracker.ObjectTracker()
        extra = [object() for _ in range(1000)]
        with contextlib.redirect_stdout(io.StringIO()):
            out["Pympler ObjectTracker.print_diff after +1k objects"] = timed(ot.print_diff)
        del ot, extra
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100k", help="heap size for the side-by-side run (default 100k)")
    ap.add_argument("--hs-size", default="1M", help="larger heap, heapscope only (default 1M)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-anchors", action="store_true", help="skip Pympler")
    args = ap.parse_args(argv)

    keep = heap.build(heap.parse_size(args.size))
    print("heap: %s objects (units of 6)" % args.size)
    rows = {}
    rows.update(store_summary_case(args.repeat, not args.no_anchors))
    rows.update(object_tracker_case(args.repeat, not args.no_anchors))
    for k, v in rows.items():
        print("  %-58s %9.3f s" % (k, v))
    for what in ("create_summary, 1 summary stored", "ObjectTracker.print_diff after +1k objects"):
        h, p = rows.get("heapscope " + what), rows.get("Pympler " + what)
        if h and p:
            print("  ratio Pympler/heapscope, %-35s %8.0fx" % (what, p / h))
    del keep

    keep = heap.build(heap.parse_size(args.hs_size))
    print("heap: %s objects (units of 6), heapscope only" % args.hs_size)
    big = store_summary_case(args.repeat, False)
    big.update(object_tracker_case(args.repeat, False))
    for k, v in big.items():
        print("  %-58s %9.3f s" % (k, v))
    del keep
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
