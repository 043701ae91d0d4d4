#!/usr/bin/env python3
"""Run heapscope.find_leaks (defaults) on the held-out programs of this directory.

    python bench/heldout/run.py                    # every case, ~1-2 min
    python bench/heldout/run.py -v                 # also each report and the anchors' rows
    python bench/heldout/run.py lru_saturated str_builder_leak
    python bench/heldout/run.py --json out.json
    python bench/heldout/run.py --report out.json  # print a saved run again

The held-out set is written independently of the test corpus the verdict is
tuned on (tests/corpus/): realistic programs, one module each, built on real
libraries (Starlette, SQLAlchemy, Jinja2, pandas, requests, Django, pydantic,
attrs, logging, asyncio, functools...).  Each module defines

    EXPECT     "leak" or "quiet"
    CULPRIT    (leaks) substring expected in ``leak.detail``: the user's class,
               or the generic type when nothing specific leaks (a tuple: any of)
    CONTAINER  (leaks) substring expected in ``str(leak.path)`` or in
               ``leak.accumulation[0]``: the accumulating container
    setup()    one-time preparation (fills caches to capacity, creates tables)
    action()   what is repeated
    truth(n)   calls action() n more times and checks the ground truth without
               heapscope (len() of the container, cache_info(), counts of GC-tracked
               and live objects; _truth.py): returns (ok, text)

Every case runs in a fresh subprocess (PYTHONPATH inherited, so
``PYTHONPATH=/tmp/hs_head/src`` runs another build; without heapscope on it,
this checkout's ``src/``), in this order:
import the module, setup(), ``heapscope.find_leaks(action)`` with the defaults
(timed, wall clock), then the anchors -- Pympler: 2 warm-up calls,
``tracker.SummaryTracker()``, two ``diff()`` thrown away (they show the
tracker's own summaries), 5 calls, ``tracker.diff()``; objgraph: 2 warm-up
calls, ``objgraph.growth()``, 5 calls, ``objgraph.growth()`` -- and last
``truth(30)``.  An anchor "grows" when its plain diff has any row with a
positive count or size (Pympler) or growth() is non-empty (objgraph): what a
user reading the diff would call growth.

Verdict columns: ``found`` = some reported leak names the culprit (or runs
through the container); ``ok`` (strict, the issue's "done when") = exactly one
leak, its detail names the culprit and its path or accumulation names the
container; for a quiet case ``ok`` = no leak reported.

Before the verdict rewrite: ``PYTHONPATH=/tmp/hsh_cab1a44/src`` (cab1a44,
archive built in place), 2026-12-07 23:54 UTC, load average 1.65:

    case                       expect  leaks  culprit rank  heapscope ok  Pympler/objgraph grow
    asyncio_producer_consumer  quiet    0        -           yes           no / no
    attrs_observers            leak     1        1           yes           yes / yes
    class_list_ints            leak     0        -           missed        no / no
    deque_bounded              quiet    2        -           no (Record)   no / no
    django_signal_receivers    leak     6        3           no            yes / yes
    jinja_bounded_cache        quiet   13        -           no            yes / no
    jinja_request_cache        leak     9        9           no            yes / yes
    logging_dynamic_loggers    leak     4        4           no            yes / yes
    lru_saturated              quiet    2        -           no (str)      no / no
    pandas_etl_leak            leak    22        1           no            yes / yes
    pandas_etl_quiet           quiet    0        -           yes           no / no
    pydantic_validate          quiet    0        -           yes           no / no
    requests_session_hooks     leak     2        1           no            yes / yes
    slow_dict_leak             leak     0        -           missed        yes / yes
    sqlalchemy_rows_leak       leak    10        4           no            yes / yes
    sqlalchemy_session_quiet   quiet    1        -           no (weakref)  yes / yes
    starlette_history          leak    15        8           no            yes / yes
    str_builder_leak           leak     0        -           missed        yes / no
    weakvalue_cache            quiet    0        -           yes           no / no

    heapscope: leaks found 8/11, one cause named by culprit and container 1/11,
    quiet 4/8, max 0.60 s.  Pympler: growth on 10/11 leaks, flat on 6/8
    non-leaks; objgraph: 9/11 and 7/8.  Ground truth verified 19/19.
    (The anchors' columns vary a little between runs: Pympler's plain diff
    shows a stray row now and then.)
"""
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRUTH_CALLS = 30
ANCHOR_WARMUP = 2
ANCHOR_CALLS = 5


def cases():
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(HERE, "*.py"))
                  if not os.path.basename(p).startswith(("_", "run")))


# ---------------------------------------------------------------------------
# child: one case
# ---------------------------------------------------------------------------

def _text(x, limit=None):
    if x is None:
        return None
    try:
        s = str(x)
    except Exception as e:  # noqa: BLE001
        s = "<str() raised %s>" % type(e).__name__
    return s if limit is None or len(s) <= limit else s[: limit - 3] + "..."


def _leak_row(l):
    acc = getattr(l, "accumulation", None)
    acc_where = None
    if acc is not None:
        try:
            acc_where = _text(acc[0])
        except Exception:  # noqa: BLE001 -- a new model may not be a tuple
            acc_where = _text(acc)
    return {"detail": _text(getattr(l, "detail", None)), "type": _text(getattr(l, "type", None)),
            "count": getattr(l, "count", None), "size": getattr(l, "size", None),
            "path": _text(getattr(l, "path", None)), "accumulation": acc_where,
            "accumulation_raw": _text(acc), "retained": getattr(l, "retained", None)}


def child(name):
    import importlib

    sys.path.insert(0, HERE)
    out = {"case": name}
    mod = importlib.import_module(name)
    out["expect"] = mod.EXPECT
    culprit = getattr(mod, "CULPRIT", None)
    out["culprit"] = list(culprit) if isinstance(culprit, tuple) else ([culprit] if culprit else [])
    out["container"] = getattr(mod, "CONTAINER", None)
    mod.setup()

    try:
        import heapscope
    except ImportError:  # not on PYTHONPATH: this checkout's build
        sys.path.insert(1, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))
        import heapscope

    out["heapscope"] = os.path.dirname(heapscope.__file__)
    t0 = time.perf_counter()
    report = heapscope.find_leaks(mod.action)
    out["seconds"] = time.perf_counter() - t0
    out["leaks"] = [_leak_row(l) for l in report.leaks]
    out["repeat"] = getattr(report, "repeat", None)
    out["repetitions"] = getattr(report, "repetitions", None)
    out["report"] = _text(report)
    del report

    # Anchor 1: Pympler's SummaryTracker, plain diff.
    from pympler import tracker

    for _ in range(ANCHOR_WARMUP):
        mod.action()
    tr = tracker.SummaryTracker()
    tr.diff()  # the first two diffs show the tracker's own summaries (lists, strs, ints):
    tr.diff()  # thrown away, as Pympler's docs say to
    for _ in range(ANCHOR_CALLS):
        mod.action()
    rows = tr.diff()
    grown = [r for r in rows if r[1] > 0 or r[2] > 0]
    out["pympler_grows"] = bool(grown)
    out["pympler_count_grows"] = any(r[1] > 0 for r in rows)
    out["pympler_rows"] = [[str(r[0]), int(r[1]), int(r[2])] for r in sorted(grown, key=lambda r: -r[2])[:6]]
    del tr, rows, grown

    # Anchor 2: objgraph.growth(), first call = baseline.
    import objgraph

    for _ in range(ANCHOR_WARMUP):
        mod.action()
    objgraph.growth(limit=None)
    for _ in range(ANCHOR_CALLS):
        mod.action()
    g = objgraph.growth(limit=None)
    out["objgraph_grows"] = bool(g)
    out["objgraph_rows"] = [list(r) for r in g[:6]]
    del g

    ok, text = mod.truth(TRUTH_CALLS)
    out["truth_ok"] = bool(ok)
    out["truth"] = text
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")
    return 0


# ---------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------

def judge(r):
    leaks = r["leaks"]
    if r["expect"] == "quiet":
        return {"found": None, "ok": not leaks, "rank": None}

    def names(l):
        return any(c in (l["detail"] or "") for c in r["culprit"])

    def through(l):
        c = r["container"]
        return bool(c) and (c in (l["path"] or "") or c in (l["accumulation"] or ""))

    rank = next((i + 1 for i, l in enumerate(leaks) if names(l)), None)
    found = any(names(l) or through(l) for l in leaks)
    ok = len(leaks) == 1 and names(leaks[0]) and through(leaks[0])
    return {"found": found, "ok": ok, "rank": rank}


def _cut(s, n):
    s = s or "-"
    return s if len(s) <= n else s[: n - 3] + "..."


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each report and the anchors' rows")
    ap.add_argument("--json", help="write the raw results to this file")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per case (default 600)")
    ap.add_argument("--report", metavar="JSON", help="only print the table of a saved --json file")
    args = ap.parse_args(argv)
    names = [] if args.report else (args.cases or cases())
    results = []
    load0 = os.getloadavg()
    if args.report:
        with open(args.report) as f:
            results = json.load(f)
    for name in names:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=args.timeout)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not lines:
            sys.stderr.write("%s: child failed (rc %d)\n%s\n" % (name, proc.returncode, proc.stderr[-3000:]))
            results.append({"case": name, "error": proc.stderr.strip().splitlines()[-1:] or ["?"]})
            continue
        r = json.loads(lines[-1][len("RESULT "):])
        r["process_seconds"] = time.perf_counter() - t
        r.update(judge(r))
        results.append(r)
        sys.stderr.write("[%s] %s: %d leak(s), %.2f s\n" % (time.strftime("%H:%M:%S"), name, len(r["leaks"]),
                                                            r["seconds"]))
    if args.json and not args.report:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    good = [r for r in results if "error" not in r]
    hs = sorted({r["heapscope"] for r in good})
    print("heapscope from %s; find_leaks(action) with its defaults; Python %s"
          % (", ".join(hs), sys.version.split()[0]))
    hdr = "%-27s %-5s %-5s %-5s %-3s %-58s %-5s %-4s %-4s %-5s %-5s"
    print(hdr % ("case", "exp", "truth", "leaks", "#", "first leak: detail @ path (or accumulation)", "found",
                 "ok", "reps", "secs", "Pymp/objg"))
    for r in results:
        if "error" in r:
            print("%-27s ERROR %s" % (r["case"], r["error"][0]))
            continue
        first = "-"
        if r["leaks"]:
            l = r["leaks"][0]
            first = "%s @ %s" % (l["detail"], l["path"] or l["accumulation"] or "no path")
        rank = "" if r["rank"] is None else str(r["rank"])
        reps = r["repetitions"] if r.get("repetitions") is not None else r.get("repeat")
        print(hdr % (r["case"], r["expect"], "ok" if r["truth_ok"] else "FAIL", len(r["leaks"]), rank,
                     _cut(first, 58), "-" if r["found"] is None else ("yes" if r["found"] else "NO"),
                     "yes" if r["ok"] else "NO", "-" if reps is None else reps, "%.2f" % r["seconds"],
                     "%s/%s" % ("+" if r["pympler_grows"] else ".", "+" if r["objgraph_grows"] else ".")))
    print("  # = rank of the first leak naming the culprit; reps = repetitions find_leaks ran (report.repeat);"
          "\n  Pymp/objg: + = the plain diff shows growth "
          "(%d calls after %d warm-up), . = flat" % (ANCHOR_CALLS, ANCHOR_WARMUP))
    leaks = [r for r in good if r["expect"] == "leak"]
    quiet = [r for r in good if r["expect"] == "quiet"]
    print()
    print("heapscope: leaks found %d/%d, exactly one cause named by the culprit with the container %d/%d, "
          "quiet %d/%d; max time %.2f s"
          % (sum(r["found"] for r in leaks), len(leaks), sum(r["ok"] for r in leaks), len(leaks),
             sum(r["ok"] for r in quiet), len(quiet), max((r["seconds"] for r in good), default=0)))
    for tool, key in (("Pympler SummaryTracker.diff", "pympler_grows"), ("objgraph.growth", "objgraph_grows")):
        print("%s: growth on leaks %d/%d, flat on non-leaks %d/%d"
              % (tool, sum(r[key] for r in leaks), len(leaks), sum(not r[key] for r in quiet), len(quiet)))
    print("  (Pympler, rows with a positive count only: growth on leaks %d/%d, flat on non-leaks %d/%d)"
          % (sum(r["pympler_count_grows"] for r in leaks), len(leaks),
             sum(not r["pympler_count_grows"] for r in quiet), len(quiet)))
    print("ground truth verified: %d/%d" % (sum(r["truth_ok"] for r in good), len(results)))
    if not args.report:
        print("load average %.2f/%.2f/%.2f before, %.2f/%.2f/%.2f after" % (load0 + os.getloadavg()))
    if args.verbose:
        for r in good:
            print("\n== %s (%s) ==" % (r["case"], r["expect"]))
            print("truth: %s" % r["truth"])
            for i, l in enumerate(r["leaks"][:12]):
                print("  leak %d: %s  count %s size %s retained %s\n      path: %s\n      accumulation: %s"
                      % (i + 1, l["detail"], l["count"], l["size"], l["retained"], l["path"],
                         l["accumulation_raw"]))
            print("  Pympler rows: %s" % r["pympler_rows"])
            print("  objgraph rows: %s" % r["objgraph_rows"])
    else:
        print("\nground truth per case:")
        for r in good:
            print("  %-27s %s" % (r["case"], r["truth"]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2]))
    sys.exit(main())
