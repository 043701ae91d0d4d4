"""Heap files and edge names on the synthetic heap (bench/heap.py).

Times, in one process, with the synthetic heap of --size objects alive:
graph snapshot without and with edge names (the names pass), Snapshot.save
(with and without the reprs' fresh walk), heapscope.load, and the graph's
bytes per edge.  Median of --repeat runs.

    python bench/bench_heapfile.py --size 3M
"""
import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heap  # noqa: E402

import heapscope  # noqa: E402


def size_arg(text):
    text = text.upper()
    mult = {"K": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), max(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=size_arg, default=3 * 10**6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    global KEEP
    KEEP = heap.build(args.size)
    gc.collect()
    d = tempfile.mkdtemp()
    path = os.path.join(d, "heap.hsh")
    rows = []

    def row(name, res, extra=""):
        med, lo, hi, _ = res
        rows.append("| %s | %.3f s [%.3f–%.3f] | %s |" % (name, med, lo, hi, extra))

    plain = timed(lambda: heapscope.snapshot(graph=True, collect=None), args.repeat)
    s = plain[3]
    graph_bytes = s.nbytes
    row("snapshot(graph=True)", plain, "%d objects, %d edges, nbytes %.1f MB" % (len(s), s.nedges, s.nbytes / 1e6))
    del s, plain
    named = timed(lambda: heapscope.snapshot(graph=True, names=True, collect=None), args.repeat)
    s = named[3]
    row("snapshot(graph=True, names=True)", named,
        "nbytes %.1f MB (+%.2f bytes/edge for names)" % (s.nbytes / 1e6, (s.nbytes - graph_bytes) / s.nedges))
    row("save(reprs=False)", timed(lambda: s.save(path, reprs=False), args.repeat),
        "file %.1f MB" % (os.path.getsize(path) / 1e6))
    row("save() (reprs: a fresh walk)", timed(lambda: s.save(path), args.repeat),
        "file %.1f MB, %d reprs" % (os.path.getsize(path) / 1e6, len(heapscope.load(path).reprs)))
    res = timed(lambda: heapscope.load(path), args.repeat)
    loaded = res[3]
    row("load()", res, "%d objects" % len(loaded))
    row("loaded.top_retainers(10) (dominators)", timed(lambda: loaded.top_retainers(10), 1))
    addr = loaded.top_retainers(1)[0][4]
    row("loaded.why_alive(address)", timed(lambda: loaded.why_alive(addr), args.repeat))
    print("Python %s, %d objects alive" % (sys.version.split()[0], len(loaded)))
    print("| step | median [min–max] | |")
    print("|---|---|---|")
    print("\n".join(rows))
    os.unlink(path)
    os.rmdir(d)


if __name__ == "__main__":
    main()
