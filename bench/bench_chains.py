#!/usr/bin/env python3
"""heapscope's objgraph chains and Pympler refbrowser trees against the originals.

    python bench/bench_chains.py                        # 3M heap, objgraph cut at 300 s
    python bench/bench_chains.py --size 1M --objgraph-size 300k --repeat 5
    python bench/bench_chains.py --quick                # 100k, objgraph cut at 30 s: to check the script

Every measure runs in its own fresh process (``--child``) that builds the
synthetic heap of ``bench/heap.py`` (``--size`` objects, kept in a
module-level list, then ``gc.collect()``), so that one tool's memory does not
sit in the other's peak:

  (1) chain: a Small instance with 1000 referrers (1000 one-item lists held
      by the module-level list REFS, nothing else), and the timed call
      ``find_backref_chain(REFS[0][0], inspect.ismodule)`` (the chain found is
      module -> its dict -> REFS -> a list -> the instance).  heapscope: median of
      --repeat calls (first call shown too); objgraph: one call, under a
      SIGALRM limit (--objgraph-timeout; a cut call prints "> limit"), on
      --objgraph-size objects (default: --size).  objgraph calls
      gc.get_referrers, a scan of every tracked object, once per object it
      visits: 1000 scans here.
  (2) tree: a Small instance with --rb-fan referrers (default 10; one-item
      lists held by RB_REFS), on a --rb-size heap (default 1M): heapscope's
      ``refbrowser.RefBrowser(RB_REFS[0][0], maxdepth=3).get_tree()`` (median of
      --repeat) vs Pympler's (one call; it calls gc.get_referrers for every
      node of the tree: 1 + 3 x fan, 31 scans for 10 referrers, 301 for 100).

Time is perf_counter around the call; peak extra memory is VmHWM after the
call minus VmRSS before it (VmHWM reset through /proc/self/clear_refs), see
measure.py.  Results print as one table; nothing is saved.
"""
import gc
import inspect
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heap  # noqa: E402
from measure import fmt_time, measure, stats  # noqa: E402

HEAP = None
REFS = []     # 1000 one-item lists holding the chain target (no other reference to it)
RB_REFS = []  # 10 one-item lists holding the refbrowser root


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _size(text):
    text = text.strip().lower()
    mult = {"k": 1000, "m": 1000000}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "km" else text) * mult)


def _build(n, fan, rb_fan=10):
    global HEAP
    HEAP = heap.build(n)
    if fan == "chain":
        t = heap.Small(1, 2)
        REFS.extend([t] for _ in range(1000))
    else:
        t = heap.Small(1, 2)
        RB_REFS.extend([t] for _ in range(rb_fan))
    del t
    gc.collect()


def child(what, n, repeat, timeout, rb_fan):
    """Measure one thing in this fresh process; print 'key value' lines."""
    if what in ("hs-chain", "og-chain"):
        _build(n, "chain")
    else:
        _build(n, "tree", rb_fan)
    live = len(gc.get_objects())
    print("tracked %d" % live)
    if what == "hs-chain":
        import heapscope
        runs = []
        for _ in range(repeat + 1):
            t, peak, chain = measure(lambda: heapscope.find_backref_chain(REFS[0][0], inspect.ismodule))
            assert len(chain) == 5 and chain[-1] is REFS[0][0] and inspect.ismodule(chain[0]), len(chain)
            runs.append((t, peak))
            del chain
        print("first %r %r" % runs[0])
        for t, p in runs[1:]:
            print("run %r %r" % (t, p))
    elif what == "og-chain":
        import objgraph
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
        try:
            t, peak, chain = measure(lambda: objgraph.find_backref_chain(REFS[0][0], inspect.ismodule))
            signal.alarm(0)
            assert len(chain) == 5 and chain[-1] is REFS[0][0], len(chain)
            print("first %r %r" % (t, peak))
        except _Timeout:
            print("cut %d" % timeout)
    elif what == "hs-tree":
        from heapscope import refbrowser
        runs = []
        for _ in range(repeat + 1):
            t, peak, tree = measure(lambda: refbrowser.RefBrowser(RB_REFS[0][0], maxdepth=3).get_tree())
            assert len(tree.children) == rb_fan
            runs.append((t, peak))
            del tree
        print("first %r %r" % runs[0])
        for t, p in runs[1:]:
            print("run %r %r" % (t, p))
    elif what == "py-tree":
        from pympler import refbrowser
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
        try:
            t, peak, tree = measure(lambda: refbrowser.RefBrowser(RB_REFS[0][0], maxdepth=3).get_tree())
            signal.alarm(0)
            assert len(tree.children) >= rb_fan
            print("first %r %r" % (t, peak))
        except _Timeout:
            print("cut %d" % timeout)


def run_child(what, n, repeat, timeout, rb_fan):
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__), "--child", what, "--size", str(n),
           "--repeat", str(repeat), "--objgraph-timeout", str(timeout), "--rb-fan", str(rb_fan)]
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("child %s failed:\n%s" % (what, out.stderr))
    res = {"runs": [], "wall": time.time() - t0}
    for line in out.stdout.splitlines():
        k, *v = line.split()
        if k == "tracked":
            res["tracked"] = int(v[0])
        elif k == "cut":
            res["cut"] = int(v[0])
        elif k == "first":
            res["first"] = (float(v[0]), None if v[1] == "None" else int(v[1]))
        elif k == "run":
            res["runs"].append((float(v[0]), None if v[1] == "None" else int(v[1])))
    return res


def _mb(b):
    return "-" if b is None else "%.1f MB" % (b / 1e6)


def _line(name, n, res):
    if "cut" in res:
        return "%-44s %9s  > %d s (cut)" % (name, "%.2gM" % (n / 1e6), res["cut"])
    runs = res["runs"] or [res["first"]]
    t = stats([r[0] for r in runs])
    p = stats([r[1] for r in runs])
    pmax = max((r[1] for r in runs if r[1] is not None), default=None)
    first = "  first %s / %s" % (fmt_time(res["first"][0]), _mb(res["first"][1])) if res["runs"] else ""
    return "%-44s %9s  %10s  peak %s (max %s)%s" % (name, "%.2gM" % (n / 1e6), fmt_time(t["median"]),
                                                   _mb(p and p["median"]), _mb(pmax), first), t["median"]


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="3M")
    ap.add_argument("--objgraph-size", default=None, help="heap size for objgraph (default: --size)")
    ap.add_argument("--rb-size", default="1M", help="heap size of the refbrowser comparison")
    ap.add_argument("--rb-fan", type=int, default=10, help="referrers of the refbrowser root")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--objgraph-timeout", type=int, default=300)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip", default="", help="comma list of hs-chain,og-chain,hs-tree,py-tree")
    ap.add_argument("--child", default=None)
    a = ap.parse_args()
    if a.child:
        child(a.child, _size(a.size), a.repeat, a.objgraph_timeout, a.rb_fan)
        return
    if a.quick:
        a.size, a.rb_size, a.repeat, a.objgraph_timeout = "100k", "100k", 3, 30
    n = _size(a.size)
    ogn = _size(a.objgraph_size) if a.objgraph_size else n
    rbn = _size(a.rb_size)
    skip = set(filter(None, a.skip.split(",")))
    print("python %s, heap.build(n) + gc.collect(); --repeat %d; objgraph limit %d s"
          % (sys.version.split()[0], a.repeat, a.objgraph_timeout))
    rows = []
    for what, size, name in (("hs-chain", n, "heapscope find_backref_chain (1000 referrers)"),
                             ("og-chain", ogn, "objgraph  find_backref_chain (1000 referrers)"),
                             ("hs-tree", rbn, "heapscope get_tree maxdepth=3 (%d referrers)" % a.rb_fan),
                             ("py-tree", rbn, "Pympler   get_tree maxdepth=3 (%d referrers)" % a.rb_fan)):
        if what in skip:
            continue
        res = run_child(what, size, a.repeat, a.objgraph_timeout, a.rb_fan)
        line = _line(name, size, res)
        text, med = (line if isinstance(line, tuple) else (line, None))
        rows.append((what, size, med, res))
        print("%s   [tracked %d]" % (text, res.get("tracked", 0)), flush=True)
    by = {w: (s, m) for w, s, m, _ in rows}
    for mine, theirs, what in (("hs-chain", "og-chain", "chain"), ("hs-tree", "py-tree", "tree")):
        if mine in by and theirs in by and by[mine][1] and by[theirs][1]:
            same = "" if by[mine][0] == by[theirs][0] else " (different heap sizes!)"
            print("%s: original / heapscope = %.0fx%s" % (what, by[theirs][1] / by[mine][1], same))


if __name__ == "__main__":
    main()
