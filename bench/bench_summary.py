#!/usr/bin/env python3
"""heapscope vs Pympler (and objgraph) on the synthetic heap of pympler.md section 5.

    python bench/bench_summary.py --sizes 100k,1M,3M --repeat 5

Each size runs in a fresh subprocess (``--child``), which builds the heap once
(``heap.build``: n objects, a third of them GC-tracked) and then measures, on
that same heap:

  (a) SummaryTracker(): construction, then print_diff() after adding 10k
      objects -- heapscope with its default collect=1 (gc generations 0-1),
      heapscope with collect=2 (full gc.collect(), as Pympler), Pympler;
  (b) a second print_diff() with nothing changed;
  (c) summary.summarize(muppy.get_objects()): heapscope (collect=1 and 2), Pympler;
  (d) objgraph.show_growth() (before and after +10k) and objgraph.typestats();
      objgraph only counts GC-tracked objects, no untracked ones, no sizes;
  (e) the raw C calls _core.summarize_heap() (no gc.collect) and
      _core.count_objects() (walk only), per live object, and the floors
      gc.get_objects(), gc.collect() and gc.collect(1) after +10k objects;
  (f) the extra peak RSS of every call (VmHWM reset through /proc/self/clear_refs),
      per live object.

heapscope calls run --repeat times (median, min, max); Pympler is slow and runs
--anchor-repeat times (default 3 up to 1M objects, 1 above).  heapscope is
measured first, then objgraph, then Pympler, so the anchors' garbage and freed
arenas cannot slow heapscope down.  All three tools are imported before the
heap is built, so they all see the same heap.

``--rounds R`` runs every size R times in fresh processes (round-robin over
the sizes) and pools their runs: this 2-CPU machine is noisy.  The children
import a frozen copy of the heapscope package taken at start (``--no-snapshot``
to import it in place), so a rebuild of the extension during a long run cannot
mix builds; each result records the sha256 of the _core it loaded.

Results go to bench/results/<size>.json (git-ignored); the parent prints one
table per size from those files, with the issue's targets and whether each is
met.  ``--report`` re-prints the tables without measuring.
"""
import contextlib
import gc
import io
import os
import sys
import time

# argparse, json, platform and subprocess are imported only where needed, so
# that the measuring child's heap holds no more modules than it must.

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, HERE)

import heap  # noqa: E402
from measure import fmt_time, measure, stats  # noqa: E402

#: Objects added between SummaryTracker() and print_diff() (pympler.md 5 (c)).
EXTRA_N = 10000

#: The issue's targets.
TARGET_PRINT_DIFF = 100.0   # x faster than Pympler, at 1M and 3M
TARGET_SUMMARIZE = 30.0     # x faster than Pympler
TARGET_BYTES = 8.0          # extra peak RSS per live object while summarizing
LIMIT_NS = 21.0             # shared/reference/limit.md: C summary walk, ns per object
NEAR_LIMIT = 1.25           # "near the limit": at most 25% slower (our reading)

# Module-level, as the heap definition asks: the heap and the +10k objects.
HEAP = None
EXTRA = None


# ---------------------------------------------------------------------------
# child: measure one size in this process
# ---------------------------------------------------------------------------

def _log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def _git_rev():
    import subprocess

    try:
        rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--", "../src", "../csrc"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


class Recorder:
    """Per-operation lists of seconds and peak-RSS rises."""

    def __init__(self):
        self.ops = {}

    def add(self, key, seconds, peak):
        op = self.ops.setdefault(key, {"seconds": [], "peak_bytes": []})
        op["seconds"].append(seconds)
        op["peak_bytes"].append(peak)

    def run(self, key, fn, times, keep=False):
        """Measure fn() `times` times; with keep, return the first call's result.

        Results are dropped as soon as they are measured, so no run sees the
        previous one's object list.
        """
        first = None
        for i in range(times):
            t, peak, result = measure(fn)
            self.add(key, t, peak)
            if keep and i == 0:
                first = result
            del result
        return first


def _hs_print_diff(tr, out):
    tr.print_diff(file=out)


def _pympler_print_diff(tr, out):
    with contextlib.redirect_stdout(out):
        tr.print_diff()


def tracker_scenario(rec, prefix, make, print_diff, times):
    """(a) + (b): ctor, +10k objects, print_diff, print_diff again; `times` times.

    Returns the two printed tables of the first round.
    """
    global EXTRA
    texts = None
    for i in range(times):
        t_ctor, p_ctor, tr = measure(make)
        rec.add(prefix + ".ctor", t_ctor, p_ctor)
        EXTRA = heap.build(EXTRA_N)
        out1, out2 = io.StringIO(), io.StringIO()
        t_pd, p_pd, _ = measure(lambda: print_diff(tr, out1))
        rec.add(prefix + ".print_diff", t_pd, p_pd)
        rec.add(prefix + ".ctor+print_diff", t_ctor + t_pd, None)
        t_again, p_again, _ = measure(lambda: print_diff(tr, out2))
        rec.add(prefix + ".print_diff_again", t_again, p_again)
        if i == 0:
            texts = [out1.getvalue(), out2.getvalue()]
        del tr
        EXTRA = None
    return texts


def child(label, n, repeat, anchor_repeat, out_path, anchors):
    global HEAP, EXTRA
    import heapscope
    from heapscope import _core, muppy, summary, tracker
    import objgraph

    # Every tool is imported before the heap is built, so all of them measure
    # the same heap (Pympler's import alone adds ~50k objects).
    if anchors:
        import pympler
        from pympler import muppy as pmuppy, summary as psummary, tracker as ptracker

    load_start = os.getloadavg()
    core_so = _core_build(_core)
    _log("%s: building %d objects" % (label, n))
    t0 = time.perf_counter()
    HEAP = heap.build(n)
    gc.collect()
    build_s = time.perf_counter() - t0

    rec = Recorder()
    info = {}

    # (e) the first walk after the heap is built is slower: keep it apart.
    first = rec.run("core.summarize_heap.first_call", _core.summarize_heap, 1, keep=True)
    info["live_objects_summary"] = first.total_count
    info["live_bytes"] = first.total_size
    del first
    live = _core.count_objects()
    info["live_objects"] = live
    info["gc_tracked"] = len(gc.get_objects())

    _log("%s: %d live objects (%d GC-tracked); heapscope raw calls and floors"
         % (label, live, info["gc_tracked"]))
    rec.run("core.summarize_heap", _core.summarize_heap, repeat)
    rec.run("core.count_objects", _core.count_objects, repeat)
    rec.run("core.get_objects", _core.get_objects, repeat)
    rec.run("gc.get_objects", gc.get_objects, repeat)
    rec.run("gc.collect(2)", gc.collect, repeat)
    for _ in range(repeat):  # what collect=1 costs in the tracker scenario
        EXTRA = heap.build(EXTRA_N)
        t, p, _ = measure(lambda: gc.collect(1))
        rec.add("gc.collect(1)+10k", t, p)
        EXTRA = None

    _log("%s: heapscope SummaryTracker and summarize(get_objects())" % label)
    texts = {}
    for c in (1, 2):
        texts["heapscope collect=%d" % c] = tracker_scenario(
            rec, "hs.c%d" % c, lambda: tracker.SummaryTracker(collect=c), _hs_print_diff, repeat)
        rec.run("hs.c%d.get_objects" % c, lambda: muppy.get_objects(collect=c), repeat)
        rows = rec.run("hs.c%d.summarize" % c,
                       lambda: summary.summarize(muppy.get_objects(collect=c)), repeat, keep=True)
        info["heapscope_found_c%d" % c] = sum(r[1] for r in rows)
        del rows

    _log("%s: objgraph" % label)
    counts = rec.run("objgraph.typestats", objgraph.typestats, repeat, keep=True)
    info["objgraph_typestats_total"] = sum(counts.values())
    del counts
    for i in range(repeat):
        peak_stats = {}
        t, p, _ = measure(lambda: objgraph.show_growth(peak_stats=peak_stats, file=io.StringIO()))
        rec.add("objgraph.show_growth.first", t, p)
        EXTRA = heap.build(EXTRA_N)
        out = io.StringIO()
        t, p, _ = measure(lambda: objgraph.show_growth(peak_stats=peak_stats, file=out))
        rec.add("objgraph.show_growth", t, p)
        if i == 0:
            texts["objgraph show_growth"] = [out.getvalue()]
        EXTRA = None

    if anchors:
        _log("%s: Pympler SummaryTracker x%d (slow)" % (label, anchor_repeat))
        texts["Pympler"] = tracker_scenario(rec, "pympler", ptracker.SummaryTracker,
                                            _pympler_print_diff, anchor_repeat)
        _log("%s: Pympler summarize(get_objects()) x%d" % (label, anchor_repeat))
        rows = rec.run("pympler.summarize", lambda: psummary.summarize(pmuppy.get_objects()),
                       anchor_repeat, keep=True)
        info["pympler_found"] = sum(r[1] for r in rows)
        del rows

    # Measuring is over: the modules for the report may be imported now.
    import json
    import platform

    versions = {"python": platform.python_version(), "heapscope": heapscope.__version__,
                "objgraph": getattr(objgraph, "__version__", None),
                "pympler": pympler.__version__ if anchors else None}
    result = {
        "size": label,
        "n": n,
        "repeat": repeat,
        "anchor_repeat": anchor_repeat if anchors else 0,
        "extra_objects": EXTRA_N,
        "build_seconds": build_s,
        "info": info,
        "versions": versions,
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "platform": platform.platform()},
        "git": _git_rev(),
        "core_so": core_so,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        # Other work on the machine shows here (1-minute load average, 2 CPUs).
        "loadavg": [load_start[0], os.getloadavg()[0]],
        "ops": {k: dict(v, seconds_stats=stats(v["seconds"]), peak_stats=stats(v["peak_bytes"]))
                for k, v in rec.ops.items()},
        "printed": texts,
    }
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
    _log("%s: done, wrote %s" % (label, out_path))


def _core_build(core):
    """Which build of heapscope._core this process loaded (file, mtime, sha256 prefix).

    The extension may be rebuilt while a long run goes on; the report flags
    results pooled from different builds.
    """
    import hashlib

    path = core.__file__
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return {"file": path, "sha256": digest,
            "mtime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(path)))}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


# ---------------------------------------------------------------------------
# parent: run the children, print the tables
# ---------------------------------------------------------------------------

# (operation, heapscope key, anchor name, anchor key)
ROWS = [
    ("(a) SummaryTracker()           collect=1", "hs.c1.ctor", "Pympler", "pympler.ctor"),
    ("(a) SummaryTracker()           collect=2", "hs.c2.ctor", "Pympler", "pympler.ctor"),
    ("(a) print_diff() after +10k    collect=1", "hs.c1.print_diff", "Pympler", "pympler.print_diff"),
    ("(a) print_diff() after +10k    collect=2", "hs.c2.print_diff", "Pympler", "pympler.print_diff"),
    ("(a) ctor + print_diff()        collect=1", "hs.c1.ctor+print_diff", "Pympler", "pympler.ctor+print_diff"),
    ("(a) ctor + print_diff()        collect=2", "hs.c2.ctor+print_diff", "Pympler", "pympler.ctor+print_diff"),
    ("(b) print_diff() again, no change    c=1", "hs.c1.print_diff_again", "Pympler", "pympler.print_diff_again"),
    ("(b) print_diff() again, no change    c=2", "hs.c2.print_diff_again", "Pympler", "pympler.print_diff_again"),
    ("(c) summarize(get_objects())   collect=1", "hs.c1.summarize", "Pympler", "pympler.summarize"),
    ("(c) summarize(get_objects())   collect=2", "hs.c2.summarize", "Pympler", "pympler.summarize"),
    ("    muppy.get_objects() alone  collect=1", "hs.c1.get_objects", None, None),
    ("    muppy.get_objects() alone  collect=2", "hs.c2.get_objects", None, None),
    ("(d) print_diff() c=1 vs objgraph.show_growth() after +10k", "hs.c1.print_diff", "objgraph", "objgraph.show_growth"),
    ("(d) print_diff() c=2 vs objgraph.show_growth() after +10k", "hs.c2.print_diff", "objgraph", "objgraph.show_growth"),
    ("(d) _core.summarize_heap() vs objgraph.typestats()", "core.summarize_heap", "objgraph", "objgraph.typestats"),
    ("(e) _core.summarize_heap()  (no gc.collect)", "core.summarize_heap", None, None),
    ("(e) _core.summarize_heap(), first call", "core.summarize_heap.first_call", None, None),
    ("(e) _core.count_objects()   (walk only)", "core.count_objects", None, None),
    ("(e) _core.get_objects()     (walk + list)", "core.get_objects", None, None),
    ("    floor: gc.get_objects()  (tracked only)", "gc.get_objects", None, None),
    ("    floor: gc.collect()  (full)", "gc.collect(2)", None, None),
    ("    floor: gc.collect(1) after +10k objects", "gc.collect(1)+10k", None, None),
]


def _med(res, key, what="seconds_stats"):
    op = res["ops"].get(key)
    s = op and op.get(what)
    return s["median"] if s else None


def _bpo(res, key, how="median"):
    """Extra peak RSS per live object of one op: its median, first or max run."""
    op = res["ops"].get(key)
    if not op:
        return None
    peaks = [p for p in op["peak_bytes"] if p is not None]
    if not peaks:
        return None
    value = {"median": op["peak_stats"]["median"], "first": peaks[0], "max": max(peaks)}[how]
    return value / float(res["info"]["live_objects"])


def print_table(res, out=sys.stdout):
    info, n = res["info"], res["n"]
    live = info["live_objects"]
    w = out.write
    rounds = res.get("rounds", 1)
    w("\n== %s: %s objects built, %s live (heapscope walk), %s GC-tracked; "
      "runs per call: heapscope and objgraph %d, Pympler %d (%d process%s) ==\n"
      % (res["size"], format(n, ","), format(live, ","), format(info["gc_tracked"], ","),
         res["repeat"] * rounds, res["anchor_repeat"] * rounds, rounds, "es" if rounds > 1 else ""))
    w("   1-minute load average during the run%s: %s\n"
      % ("s" if rounds > 1 else "", ", ".join("%.1f-%.1f" % tuple(l) for l in res.get("loadavgs", [res.get("loadavg")]) if l)))
    builds = res.get("core_builds") or [(res.get("core_so") or {}).get("sha256", "?")]
    w("   heapscope git %s, _core build %s%s\n" % (res.get("git"), ", ".join(builds),
      "  WARNING: rounds ran different builds of _core" if len(builds) > 1 else ""))
    found = []
    for key, name in (("heapscope_found_c2", "heapscope get_objects"), ("pympler_found", "Pympler get_objects"),
                      ("objgraph_typestats_total", "objgraph (GC-tracked only)")):
        if key in info:
            found.append("%s %s" % (name, format(info[key], ",")))
    w("   objects seen: %s;  live bytes (sys.getsizeof) %s\n" % ("; ".join(found), format(info["live_bytes"], ",")))
    hdr = "%-58s %-28s %-9s %10s %8s   %s\n"
    w(hdr % ("operation", "heapscope median [min-max]", "anchor", "anchor med", "ratio", "extra RSS B/obj, hs | anchor"))
    w("-" * 140 + "\n")
    for name, hk, aname, ak in ROWS:
        hop = res["ops"].get(hk)
        if not hop:
            continue
        hs = hop["seconds_stats"]
        cell = "%s [%s-%s]" % (fmt_time(hs["median"]), fmt_time(hs["min"]), fmt_time(hs["max"]))
        amed = _med(res, ak) if ak else None
        ratio = "%.0fx" % (amed / hs["median"]) if amed else ""
        if amed and amed / hs["median"] < 10:
            ratio = "%.1fx" % (amed / hs["median"])
        hb, ab = _bpo(res, hk, "max"), (_bpo(res, ak, "max") if ak and amed else None)
        mem = "%s | %s" % ("-" if hb is None else "%.1f" % hb, "-" if ab is None else "%.1f" % ab)
        if hk.startswith(("core.", "gc.")):
            mem += "   (%.1f ns/obj)" % (hs["median"] / live * 1e9)
        w(hdr % (name, cell, aname if amed else "", fmt_time(amed) if amed else "", ratio, mem))
    w("   ratio = anchor median / heapscope median.  extra RSS = peak-RSS rise during the call (worst run) / live objects.\n")
    w("   objgraph counts GC-tracked objects only (no untracked str/int/tuple/dict, no sizes).\n")
    for line in target_lines(res):
        w(line + "\n")


def target_lines(res):
    """The issue's targets, each with the figure measured and MET / MISSED."""
    n = res["n"]
    lines = ["   targets:"]

    def verdict(ok):
        return "MET" if ok else "MISSED"

    applies = n >= 1000000
    for c in (1, 2):
        hs, an = _med(res, "hs.c%d.print_diff" % c), _med(res, "pympler.print_diff")
        if hs and an:
            r = an / hs
            lines.append("     print_diff() >= %dx Pympler (1M, 3M), collect=%d: %.0fx  %s"
                         % (TARGET_PRINT_DIFF, c, r, verdict(r >= TARGET_PRINT_DIFF) if applies else "(n/a below 1M)"))
    for c in (1, 2):
        hs, an = _med(res, "hs.c%d.summarize" % c), _med(res, "pympler.summarize")
        if hs and an:
            r = an / hs
            lines.append("     summarize(get_objects()) >= %dx Pympler, collect=%d: %.0fx  %s"
                         % (TARGET_SUMMARIZE, c, r, verdict(r >= TARGET_SUMMARIZE)))
    worst = []
    for key in ("hs.c1.print_diff", "hs.c2.print_diff", "core.summarize_heap", "core.summarize_heap.first_call"):
        b = _bpo(res, key, "max")
        if b is not None:
            worst.append((key, b))
    if worst:
        mx = max(b for _, b in worst)
        lines.append("     extra RSS while summarizing <= %.0f B/obj (worst run of %s): %s  -> %.2f B/obj  %s"
                     % (TARGET_BYTES, ", ".join(k for k, _ in worst),
                        ", ".join("%.2f" % b for _, b in worst), mx, verdict(mx <= TARGET_BYTES)))
        pb = _bpo(res, "pympler.print_diff", "max")
        if pb is not None:
            lines.append("       (Pympler print_diff: %.0f B/obj; summarize(get_objects()): %.0f B/obj)"
                         % (pb, _bpo(res, "pympler.summarize", "max") or 0))
    sh = _med(res, "core.summarize_heap")
    if sh:
        ns = sh / res["info"]["live_objects"] * 1e9
        lines.append("     C walk near %.0f ns/obj (<= %.0f%% above): _core.summarize_heap() %.1f ns/obj = %.2fx the limit  %s"
                     % (LIMIT_NS, (NEAR_LIMIT - 1) * 100, ns, ns / LIMIT_NS, verdict(ns <= LIMIT_NS * NEAR_LIMIT)))
    return lines


def print_marginal(results):
    """The cost of one more object, from the two largest sizes measured.

    Per live object, the figures above include a fixed cost: the walk of the
    interpreter's own objects and of the imported tools (~70k scattered objects
    of many types, each its own label), which weighs more at 1M than at 3M.
    The slope between two sizes leaves it out.
    """
    pts = []
    for res in results:
        sh = _med(res, "core.summarize_heap")
        if sh:
            pts.append((res["info"]["live_objects"], sh, res["size"]))
    pts.sort()
    if len(pts) < 2:
        return
    (n0, t0, l0), (n1, t1, l1) = pts[-2], pts[-1]
    if n1 - n0 < n0 // 2:
        return
    ns = (t1 - t0) / (n1 - n0) * 1e9
    fixed = t0 - n0 * ns * 1e-9
    print("\n_core.summarize_heap() per additional object (%s -> %s): %.1f ns = %.2fx the limit; "
          "fixed cost (interpreter, imported tools, labels) %.1f ms"
          % (l0, l1, ns, ns / LIMIT_NS, fixed * 1e3))


def merge_rounds(rounds):
    """Pool the runs of several child processes of one size into one result."""
    res = dict(rounds[0])
    res["rounds"] = len(rounds)
    res["loadavgs"] = [r.get("loadavg") for r in rounds]
    res["live_objects_per_round"] = [r["info"]["live_objects"] for r in rounds]
    res["core_builds"] = sorted({(r.get("core_so") or {}).get("sha256", "?") for r in rounds})
    ops = {}
    for key in rounds[0]["ops"]:
        seconds, peaks, round_medians = [], [], []
        for r in rounds:
            op = r["ops"].get(key)
            if not op:
                continue
            seconds += op["seconds"]
            peaks += op["peak_bytes"]
            round_medians.append(op["seconds_stats"]["median"])
        ops[key] = {"seconds": seconds, "peak_bytes": peaks, "round_medians": round_medians,
                    "seconds_stats": stats(seconds), "peak_stats": stats(peaks)}
    res["ops"] = ops
    res["printed"] = rounds[0]["printed"]
    return res


def size_label(text):
    n = heap.parse_size(text)
    return text.strip(), n


def child_main(argv):
    """``--child SIZE --out PATH --repeat R [--anchor-repeat A] [--no-anchors]``.

    Parsed by hand: argparse would add a few thousand objects to the heap.
    """
    opts = {"--repeat": "5", "--anchor-repeat": None, "--out": None}
    label, anchors = argv[0], True
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "--no-anchors":
            anchors = False
        elif a in opts and rest:
            opts[a] = rest.pop(0)
        else:
            raise SystemExit("bench_summary --child: bad argument %r" % a)
    n = heap.parse_size(label)
    ar = opts["--anchor-repeat"]
    ar = int(ar) if ar is not None else (3 if n <= 1000000 else 1)
    child(label, n, int(opts["--repeat"]), ar, opts["--out"], anchors)
    return 0


def _snapshot_env():
    """Copy the heapscope package this Python imports to a temporary directory.

    The children import that copy (PYTHONPATH), so a rebuild of the extension
    in the work tree while the run goes on cannot mix builds.  Returns the
    children's environment and the copy's directory (removed at exit).
    """
    import atexit
    import shutil
    import subprocess
    import tempfile

    import heapscope

    pkg = os.path.dirname(os.path.abspath(heapscope.__file__))
    snap = tempfile.mkdtemp(prefix="heapscope-bench-")
    atexit.register(shutil.rmtree, snap, True)
    shutil.copytree(pkg, os.path.join(snap, "heapscope"), ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ)
    env["PYTHONPATH"] = snap + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    where = subprocess.run([sys.executable, "-c", "import heapscope._core as c; print(c.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not where.startswith(snap):
        raise SystemExit("bench_summary: the heapscope copy is not the one imported (%s)" % where)
    return env, snap


def _round_path(json_dir, label, rnd):
    return os.path.join(json_dir, "%s.round%d.json" % (label, rnd))


def main(argv=None):
    import argparse
    import json
    import subprocess

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100k,1M,3M", help="comma-separated heap sizes, e.g. 100k,1M,3M")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each heapscope/objgraph call (median)")
    ap.add_argument("--anchor-repeat", type=int, default=None,
                    help="runs of each Pympler call (default: 3 up to 1M objects, 1 above)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="fresh processes per size, their runs pooled (default 1; 3 takes ~10 min)")
    ap.add_argument("--no-anchors", action="store_true", help="skip Pympler (objgraph still runs)")
    ap.add_argument("--no-snapshot", action="store_true",
                    help="children import heapscope from where it is installed, not from a frozen copy")
    ap.add_argument("--report", action="store_true", help="only print the tables of existing results")
    ap.add_argument("--json-dir", default=RESULTS, help="where the per-size JSON files go (default bench/results)")
    args = ap.parse_args(argv)

    sizes = [size_label(s) for s in args.sizes.split(",") if s.strip()]
    t_all = time.perf_counter()
    env = None
    if not args.report and not args.no_snapshot:
        env, snap = _snapshot_env()
        _log("children import a frozen copy of heapscope: %s" % snap)
    if not args.report:
        # Rounds go over all sizes in turn, so a burst of other work on the
        # machine does not hit every run of one size.
        for rnd in range(1, args.rounds + 1):
            for label, n in sizes:
                cmd = [sys.executable, os.path.abspath(__file__), "--child", label,
                       "--repeat", str(args.repeat), "--out", _round_path(args.json_dir, label, rnd)]
                if args.anchor_repeat is not None:
                    cmd += ["--anchor-repeat", str(args.anchor_repeat)]
                if args.no_anchors:
                    cmd.append("--no-anchors")
                t = time.perf_counter()
                subprocess.run(cmd, check=True, env=env)
                _log("%s round %d/%d: child took %.0f s" % (label, rnd, args.rounds, time.perf_counter() - t))
        for label, n in sizes:
            rounds = []
            for rnd in range(1, args.rounds + 1):
                path = _round_path(args.json_dir, label, rnd)
                with open(path) as f:
                    rounds.append(json.load(f))
                os.remove(path)
            with open(os.path.join(args.json_dir, "%s.json" % label), "w") as f:
                json.dump(merge_rounds(rounds), f, indent=1)
        _log("all sizes, %d round(s): %.0f s" % (args.rounds, time.perf_counter() - t_all))
    results = []
    for label, n in sizes:
        with open(os.path.join(args.json_dir, "%s.json" % label)) as f:
            res = json.load(f)
        results.append(res)
        print_table(res)
        sys.stdout.flush()
    print_marginal(results)
    r0 = results[0] if results else None
    if r0:
        print("\nPython %s, heapscope %s (git %s), Pympler %s, objgraph %s; %s CPUs (%s)"
              % (r0["versions"]["python"], r0["versions"]["heapscope"], r0["git"],
                 r0["versions"].get("pympler") or "-", r0["versions"].get("objgraph"),
                 r0["machine"]["cpus"], r0["machine"]["cpu"]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(main())
