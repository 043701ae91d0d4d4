"""A/B of two or more builds of heapscope's C core in one process, on one heap.

Whole processes on these VMs are sometimes 40 % slower than the next one, so builds
timed in separate processes cannot be told apart at a few per cent.  This loads each
build's ``_core`` extension side by side (each its own copy of the shared library,
with its own static state) and alternates their ``summarize_heap()`` (or
``count_objects()``) calls on the same synthetic heap.

    python bench/bench_ab.py --size 1M --calls 15 /tmp/base/src /tmp/new/src

Each argument is a directory holding ``heapscope/_core*.so`` (a frozen copy of
``src/`` after ``python setup.py build_ext --inplace``) or the ``.so`` itself.
Prints each build's median and minimum in ns per live object.  Run it several
times (``--processes``) and quote every process.
"""
import argparse
import gc
import glob
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def find_core(path):
    if os.path.isfile(path):
        return path
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    hits = glob.glob(os.path.join(path, "heapscope", "_core" + suffix)) or glob.glob(
        os.path.join(path, "_core" + suffix))
    if not hits:
        sys.exit("bench_ab: no _core%s under %s" % (suffix, path))
    return hits[0]


def name(path):
    """/tmp/base/src -> base"""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    while len(parts) > 1 and (parts[-1] in ("src", "heapscope") or parts[-1].endswith(".so")):
        parts.pop()
    return parts[-1] or path


def load_core(so):
    loader = importlib.machinery.ExtensionFileLoader("heapscope._core", so)
    spec = importlib.util.spec_from_file_location("heapscope._core", so, loader=loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def child(args):
    sys.path.insert(0, HERE)
    import heap

    cores = [load_core(find_core(p)) for p in args.builds]
    objs = heap.build(heap.parse_size(args.size))
    gc.collect()
    call = args.call
    for c in cores:  # first calls (tables, page faults) are not timed
        getattr(c, call)()
        getattr(c, call)()
    live = cores[0].count_objects()
    times = [[] for _ in cores]
    for _ in range(args.calls):
        for i, c in enumerate(cores):
            t = time.perf_counter()
            getattr(c, call)()
            times[i].append(time.perf_counter() - t)
    out = []
    for p, ts in zip(args.builds, times):
        ts.sort()
        out.append("%s %.2f / %.2f" % (name(p), ts[len(ts) // 2] * 1e9 / live, ts[0] * 1e9 / live))
    print("  ".join(out), flush=True)
    del objs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("builds", nargs="+", help="directories (or _core .so files) of the builds")
    ap.add_argument("--size", default="1M", help="synthetic heap size, e.g. 1M")
    ap.add_argument("--calls", type=int, default=15, help="calls of each build per process")
    ap.add_argument("--processes", type=int, default=3, help="fresh processes")
    ap.add_argument("--call", default="summarize_heap", choices=("summarize_heap", "count_objects"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    print("%s at %s, %d calls each per process; ns per live object, median / min" % (
        args.call, args.size, args.calls), flush=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--size", args.size,
           "--calls", str(args.calls), "--call", args.call] + args.builds
    if sys.platform.startswith("linux"):
        cmd = ["setarch", os.uname().machine, "-R"] + cmd  # same heap layout every process
    for _ in range(args.processes):
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
