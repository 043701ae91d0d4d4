"""Run one corpus case in this (fresh) process and print a JSON summary.

    python tests/corpus/_run.py case_name

Imports the case, calls ``setup()``, runs ``heapscope.find_leaks(case.action)``
with its defaults, then (after the report is dropped) the case's own ground
truth ``truth(TRUTH_CALLS)``.  The summary is the last stdout line, after the
marker ``CORPUS-RESULT ``.  Exit code 77: a library the case needs (its
``REQUIRES``) is not installed, so the case is skipped.
"""
import ast
import gc
import importlib
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "CORPUS-RESULT "
TRUTH_CALLS = 12
SKIP = 77


def meta(path):
    """The case's literal module constants (EXPECT, CULPRIT, CONTAINER,
    REQUIRES), read without importing it."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper():
                try:
                    out[name] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return out


def _leak_row(leak):
    path = getattr(leak, "path", None)
    acc = getattr(leak, "accumulation", None)
    labels = getattr(leak, "labels", None)
    return {
        "type": leak.type,
        "detail": leak.detail,
        "count": leak.count,
        "size": leak.size,
        "path": None if path is None else str(path),
        "accumulation": None if acc is None else [str(acc[0]), acc[1]],
        "retained": getattr(leak, "retained", None),
        "native": getattr(leak, "native", None),
        "labels": None if labels is None else [list(r) for r in labels],
    }


def main(name):
    info = meta(os.path.join(HERE, name + ".py"))
    for mod in info.get("REQUIRES", ()):
        if importlib.util.find_spec(mod) is None:
            print("%s needs %s, which is not installed" % (name, mod))
            return SKIP
    import heapscope

    sys.path.insert(0, HERE)
    case = importlib.import_module(name)
    t0 = time.perf_counter()
    case.setup()
    setup_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = heapscope.find_leaks(case.action)
    elapsed = time.perf_counter() - t0
    result = {
        "native": report.native,
        "notes": list(report.notes),
        "repeat": report.repeat,
        "case": name,
        "expect": case.EXPECT,
        "elapsed": elapsed,
        "setup_time": setup_time,
        "repeat": getattr(report, "repeat", None),
        "leaks": [_leak_row(l) for l in report.leaks],
    }
    try:
        result["text"] = str(report)
    except Exception as e:  # noqa: BLE001 -- the report's text is informative only
        result["text"] = "str(report) raised %s: %s" % (type(e).__name__, e)
    del report
    gc.collect()
    t0 = time.perf_counter()
    try:
        result["truth"] = bool(case.truth(TRUTH_CALLS))
    except Exception as e:  # noqa: BLE001 -- reported, the test fails on it
        result["truth"] = False
        result["truth_error"] = "%s: %s" % (type(e).__name__, e)
    result["truth_time"] = time.perf_counter() - t0
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
