#!/usr/bin/env python3
"""Speed and file size of Snapshot.export_devtools / export_jsonl (csrc/export.c).

    python bench/bench_export.py --sizes 1M,3M --repeat 3

Each size runs in a fresh subprocess: it builds the synthetic heap of
``heap.build(n)``, takes one ``heapscope.snapshot(graph=True)``, then times
(perf_counter, median and min of --repeat runs) each export into a temporary
directory (--dir, default the system's), with the peak RSS it adds (VmHWM
reset before the call, ``measure.py``) and the file's size.  JSONL includes
retained sizes: they are computed once, before the timed runs (the first
export_jsonl would otherwise pay for the dominator tree).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def count(text):
    text = text.strip().lower()
    for suffix, mult in (("k", 10 ** 3), ("m", 10 ** 6)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * mult)
    return int(text)


def child(n, repeat, directory):
    import gc
    import statistics

    import heap
    import heapscope
    from measure import measure

    global HEAP
    HEAP = heap.build(n)
    gc.collect()
    snap = heapscope.snapshot(graph=True)
    if snap.top_retainers(1):  # retained sizes now, not inside the first timed JSONL export
        pass
    out = {"objects": len(snap), "edges": snap.nedges, "roots": len(snap.roots)}
    for kind, fn in (("devtools", snap.export_devtools), ("jsonl", snap.export_jsonl)):
        path = os.path.join(directory, "bench." + kind)
        times, peaks = [], []
        for _ in range(repeat):
            t, peak, _ = measure(lambda: fn(path))
            times.append(t)
            peaks.append(peak)
        out[kind] = {"median_s": statistics.median(times), "min_s": min(times),
                     "peak_rss_mb": max(p for p in peaks if p is not None) / 2**20 if peaks[0] is not None else None,
                     "file_mb": os.path.getsize(path) / 2**20}
        os.unlink(path)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1M,3M")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--child", type=int, default=None)
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child, args.repeat, args.dir)
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        for size in args.sizes.split(","):
            n = count(size)
            r = subprocess.run([sys.executable, __file__, "--child", str(n), "--repeat", str(args.repeat),
                                "--dir", d], check=True, stdout=subprocess.PIPE, text=True)
            res = json.loads(r.stdout.strip().splitlines()[-1])
            print("%s heap: %d objects, %d edges, %d roots" % (size, res["objects"], res["edges"], res["roots"]))
            for kind in ("devtools", "jsonl"):
                k = res[kind]
                print("  %-8s  %.2f s (min %.2f)  %6.1f MB file  %.0f B/object  peak +%s MB RSS" % (
                    kind, k["median_s"], k["min_s"], k["file_mb"], k["file_mb"] * 2**20 / res["objects"],
                    "%.1f" % k["peak_rss_mb"] if k["peak_rss_mb"] is not None else "?"))


if __name__ == "__main__":
    main()
