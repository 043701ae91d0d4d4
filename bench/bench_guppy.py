#!/usr/bin/env python3
"""heapscope vs guppy3 on one heap: retaining paths, retained sizes, peak memory.

    python bench/bench_guppy.py                    # 3M objects, 5 runs per measure
    python bench/bench_guppy.py --size 1M --repeat 3 --depth 100
    python bench/bench_guppy.py --no-memory        # timings only (no subprocesses)

The heap is ``bench/heap.py``'s (``build(n)``: 6-object units held by one
module-level list ``HEAP``), plus a leak deep inside it: a chain of ``--depth``
``Link`` objects (``__slots__``, so guppy3 materializes no ``__dict__`` on the
way) inserted in the middle of ``HEAP``, whose last link holds the target ``x``:
a list of 1,000 ``bytearray(64)`` and 1,000 fresh strs.  ``x`` is never held by a
frame while a tool runs (``target()`` finds it and passes it as a temporary), so
both tools must go through the chain.

Measures (times: median [min-max] of --repeat runs, one process, one heap):

  hs why_alive fresh    heapscope.why_alive(target(), max_paths=1) (forward search from
                                                                    the roots, no graph)
  hs snapshot+path      heapscope.snapshot(graph=True, collect=None) then
                        snap.why_alive(target())                   (both timed, summed)
  guppy sp              str(hpy().iso(target()).sp)                (BFS from its Root,
                                                                    path rendered)
  hs retained, ALL      heapscope.snapshot(graph=True, collect=None) then
                        snap.top_retainers(10)                     (dominator tree:
                                                                    every object's size)
  hs retained_size ONE  heapscope.retained_size(target())          (what x reaches, and
                                                                    what holds it from outside)
  guppy domisize, ONE   hpy().iso(target()).domisize               (two reachability passes)
  hs retained_size BIG  heapscope.retained_size(HEAP)              (the whole heap's list:
  guppy domisize, BIG   hpy().iso(HEAP).domisize                    it retains ~every object)

heapscope's runs come first, then guppy3's: guppy3 materializes the managed
``__dict__`` of every ``Small`` instance it traverses (3.11+), so after its first
run the heap holds ~500k more dicts (the table prints the object counts).

Peak memory: each measure once more, first call, in its own subprocess on an
identically built heap (``bench/measure.py``: VmHWM reset, rise above the RSS
just before the call), so that no tool profits from memory another one freed.

Agreement: guppy3's ``domisize`` of x against heapscope's ``retained_size(x)``
(both sum ``sys.getsizeof``-style sizes of what x dominates), and both paths
must go through ``HEAP[mid]``, ``depth - 1`` ``.next`` and end in ``.leak``.
"""
import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import heap  # noqa: E402
from measure import fmt_time, measure  # noqa: E402

import heapscope  # noqa: E402
from guppy import hpy  # noqa: E402

HEAP = None
MID = None


class Link:
    __slots__ = ("next", "leak")


def build(n, depth):
    """HEAP = heap.build(n) with a chain of depth Links (ending in the target) in the middle."""
    global HEAP, MID
    HEAP = heap.build(n)
    head = cur = Link()
    for _ in range(depth - 1):
        cur.next = Link()
        cur = cur.next
    cur.next = None
    cur.leak = [bytearray(64) for _ in range(1000)] + ["leaked %d" % i for i in range(1000)]
    MID = len(HEAP) // 2
    HEAP.insert(MID, head)
    gc.collect()


def target():
    cur = HEAP[MID]
    while cur.next is not None:
        cur = cur.next
    return cur.leak


def expected_size():
    x = target()
    return sys.getsizeof(x) + sum(sys.getsizeof(o) for o in x)


# ---- the measures (each returns something to check) ------------------------------

def hs_fresh():
    return heapscope.why_alive(target(), max_paths=1)


def hs_snap_path():
    t0 = time.perf_counter()
    snap = heapscope.snapshot(graph=True, collect=None)
    t1 = time.perf_counter()
    paths = snap.why_alive(target(), 1)
    t2 = time.perf_counter()
    return (t1 - t0, t2 - t1), [heapscope.Path(*p) for p in paths]


def hs_retained_all():
    snap = heapscope.snapshot(graph=True, collect=None)
    top = snap.top_retainers(10)
    return snap, top


def hs_retained_one():
    return heapscope.retained_size(target())


def hs_retained_big():
    return heapscope.retained_size(HEAP)


def guppy_domisize_big():
    return hpy().iso(HEAP).domisize


def guppy_sp():
    return str(hpy().iso(target()).sp)


def guppy_domisize():
    return hpy().iso(target()).domisize


MEASURES = {
    "hs_fresh": hs_fresh,
    "hs_snap_path": hs_snap_path,
    "hs_retained_all": hs_retained_all,
    "hs_retained_one": hs_retained_one,
    "guppy_sp": guppy_sp,
    "guppy_domisize": guppy_domisize,
    "hs_retained_big": hs_retained_big,
    "guppy_domisize_big": guppy_domisize_big,
}


def child(name, n, depth):
    """One measure, first call, on a fresh heap: {'peak': bytes, 'seconds': s}."""
    build(n, depth)
    seconds, peak, result = measure(MEASURES[name])
    del result
    print(json.dumps({"name": name, "peak": peak, "seconds": seconds, "objects": len(gc.get_objects())}))


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        result = None
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def fmt(times):
    return "%s [%s-%s]" % (fmt_time(statistics.median(times)), fmt_time(min(times)), fmt_time(max(times)))


def mb(b):
    return "-" if b is None else "%.1f MB" % (b / 1e6)


def check_path(text, depth, what):
    """The path goes through HEAP[MID], depth - 1 .next hops and ends in .leak."""
    ok = "HEAP" in text and "[%d]" % MID in text and text.count("next") == depth - 1 and (
        text.rstrip().endswith(".leak") or text.rstrip().endswith("Link.leak -> list"))
    print("  %-22s %s  (%s)" % (what, "ends at x through the chain" if ok else "UNEXPECTED", text[-60:].strip()))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="3M", help="heap objects (bench/heap.py units), e.g. 1M, 3M")
    ap.add_argument("--depth", type=int, default=100, help="links between HEAP and the target")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--child", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = heap.parse_size(args.size)
    if args.child:
        return child(args.child, n, args.depth)

    t = time.perf_counter()
    build(n, args.depth)
    print("heap: %d live objects (GC-tracked %d), built in %.1f s; target x = HEAP[%d] + %d links; "
          "CPython %s, guppy3 %s, load average %s"
          % (len(heapscope.snapshot(collect=None)), len(gc.get_objects()), time.perf_counter() - t, MID,
             args.depth, sys.version.split()[0], __import__("guppy").__version__ if hasattr(
                 __import__("guppy"), "__version__") else "3.1.x", os.getloadavg()))
    want = expected_size()

    # heapscope first (guppy3 materializes dicts: see the docstring)
    r = {}
    r["hs_fresh"], paths = timed(hs_fresh, args.repeat)
    hs_path = str(paths[0])
    split = []
    r["hs_snap_path"], _ = timed(lambda: split.append(hs_snap_path()[0]), args.repeat)
    _, snap_paths = hs_snap_path()
    r["hs_retained_all"], (snap, top) = timed(hs_retained_all, args.repeat)
    hs_ret = snap.retained_size(target())
    del snap, top
    r["hs_retained_one"], hs_one = timed(hs_retained_one, args.repeat)
    r["hs_retained_big"], hs_big = timed(hs_retained_big, args.repeat)
    objects_before = len(gc.get_objects())
    r["guppy_sp"], gp_path = timed(guppy_sp, args.repeat)
    objects_after_sp = len(gc.get_objects())
    r["guppy_domisize"], gp_dom = timed(guppy_domisize, args.repeat)
    r["guppy_domisize_big"], gp_big = timed(guppy_domisize_big, args.repeat)
    objects_after = len(gc.get_objects())

    peaks = {}
    if not args.no_memory:
        for name in MEASURES:
            out = subprocess.run([sys.executable, __file__, "--child", name, "--size", args.size,
                                  "--depth", str(args.depth)], capture_output=True, text=True, check=True)
            peaks[name] = json.loads(out.stdout.strip().splitlines()[-1])

    med = {k: statistics.median(v) for k, v in r.items()}
    print("\nmedian [min-max] of %d runs; peak = RSS high-water above the heap's baseline, first call, "
          "own subprocess" % args.repeat)
    rows = [
        ("hs why_alive fresh", "hs_fresh", "guppy_sp"),
        ("hs snapshot+why_alive", "hs_snap_path", "guppy_sp"),
        ("guppy iso(x).sp", "guppy_sp", None),
        ("hs retained, ALL objs", "hs_retained_all", "guppy_domisize"),
        ("hs retained_size, ONE", "hs_retained_one", "guppy_domisize"),
        ("guppy domisize, ONE", "guppy_domisize", None),
        ("hs retained_size, BIG", "hs_retained_big", "guppy_domisize_big"),
        ("guppy domisize, BIG", "guppy_domisize_big", None),
    ]
    print("%-24s %-30s %-14s %-12s %s" % ("measure", "time", "guppy/hs", "peak", "guppy peak/hs peak"))
    for label, key, vs in rows:
        ratio = "%.1fx" % (med[vs] / med[key]) if vs else ""
        p = peaks.get(key, {}).get("peak")
        pv = peaks.get(vs, {}).get("peak") if vs else None
        pr = "%.1fx" % (pv / p) if p and pv else ""
        print("%-24s %-30s %-14s %-12s %s" % (label, fmt(r[key]), ratio, mb(p), pr))
    snap_t = [s for s, _ in split]
    path_t = [p for _, p in split]
    print("  (snapshot(graph=True) %s + snap.why_alive %s)" % (fmt(snap_t), fmt(path_t)))
    print("objects (gc.get_objects): %d before guppy3, %d after its sp runs, %d after its domisize runs"
          % (objects_before, objects_after_sp, objects_after))

    print("\nagreement:")
    print("  retained size of x: heapscope snapshot %d, heapscope retained_size %d, guppy3 domisize %d, "
          "sum of sys.getsizeof over x and its items %d -> %s"
          % (hs_ret, hs_one, gp_dom, want, "equal" if hs_ret == hs_one == gp_dom == want else "DIFFER"))
    ok = hs_ret == hs_one == gp_dom == want
    print("  retained size of HEAP: heapscope retained_size %d, guppy3 domisize %d (guppy3 counts the "
          "__dict__ it materializes for each Small instance it visits: %d more bytes)"
          % (hs_big, gp_big, gp_big - hs_big))
    ok &= check_path(hs_path, args.depth, "heapscope (fresh)")
    ok &= check_path(str(snap_paths[0]), args.depth, "heapscope (snapshot)")
    ok &= check_path(gp_path.splitlines()[0], args.depth, "guppy3 sp")

    print("\ntargets:")
    best_path = min(med["hs_fresh"], med["hs_snap_path"])
    print("  path >= 5x faster than guppy3 sp: %.1fx (fresh %.1fx, snapshot+path %.1fx) -> %s"
          % (med["guppy_sp"] / best_path, med["guppy_sp"] / med["hs_fresh"], med["guppy_sp"] / med["hs_snap_path"],
             "met" if med["guppy_sp"] >= 5 * best_path else "NOT met"))
    print("  retained sizes of all objects faster than guppy3's one: %s vs %s -> %s"
          % (fmt_time(med["hs_retained_all"]), fmt_time(med["guppy_domisize"]),
             "met" if med["hs_retained_all"] < med["guppy_domisize"] else "NOT met"))
    print("  retained size of one object: %s vs %s = %.0fx"
          % (fmt_time(med["hs_retained_one"]), fmt_time(med["guppy_domisize"]),
             med["guppy_domisize"] / med["hs_retained_one"]))
    if peaks:
        # the same question to both tools: one path, one retained size
        for what, hs_key, gp_key in (("a path", "hs_fresh", "guppy_sp"),
                                     ("one retained size", "hs_retained_one", "guppy_domisize"),
                                     ("the retained size of HEAP", "hs_retained_big", "guppy_domisize_big")):
            hs_peak, gp_peak = peaks[hs_key]["peak"], peaks[gp_key]["peak"]
            print("  peak memory for %s at most half of guppy3's: heapscope %s, guppy3 %s -> %s"
                  % (what, mb(hs_peak), mb(gp_peak), "met" if 2 * hs_peak <= gp_peak else "NOT met"))
        print("  (no guppy3 counterpart: a graph snapshot %s, retained sizes of every object %s; "
              "guppy3's best single answer %s)"
              % (mb(peaks["hs_snap_path"]["peak"]), mb(peaks["hs_retained_all"]["peak"]),
                 mb(min(peaks[k]["peak"] for k in ("guppy_sp", "guppy_domisize")))))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
