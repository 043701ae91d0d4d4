"""The leak-verdict corpus: small realistic programs on real libraries
(tests/corpus/case_*.py), each run in a fresh interpreter by
tests/corpus/_run.py, which calls ``heapscope.find_leaks(case.action)`` with
the defaults.

Each case declares ``EXPECT`` ("leak" or "quiet"), for leaks ``CULPRIT`` (a
substring of the one leak's ``detail``) and ``CONTAINER`` (a substring of
``str(leak.path)`` or of the accumulation's path); either may be a tuple of
acceptable alternatives.  Its ``truth(n)`` checks the ground truth without
heapscope (``len()`` of the container, ``cache_info()``, weakrefs,
tracemalloc).

test_corpus_truth -- the case is what it claims to be (independent of the verdict);
test_corpus       -- find_leaks' verdict on it: quiet -> no leak; leak -> exactly
                     one, named by its culprit, with a path through the
                     accumulating container; in under 2 s.
"""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import heapscope

CORPUS = Path(__file__).resolve().parent / "corpus"
RUNNER = CORPUS / "_run.py"
MARKER = "CORPUS-RESULT "
SKIP = 77
TIME_LIMIT = 2.0
# Under a sanitizer build (CI's ASan+UBSan run, PYTHONMALLOC=malloc) every
# allocation is slower: only the verdict is judged there, not the 2 s.
if "asan" in os.environ.get("LD_PRELOAD", "") or "ASAN_OPTIONS" in os.environ:
    TIME_LIMIT *= 10


def _meta(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def _cases():
    params = []
    for path in sorted(CORPUS.glob("case_*.py")):
        meta = _meta(path)
        name = path.stem[len("case_"):]
        params.append(pytest.param(path.stem, meta, id="%s-%s" % (meta["EXPECT"], name)))
    return params


CASES = _cases()
_results = {}


def _run(name):
    """The case's JSON summary, from one fresh interpreter per case (cached)."""
    if name not in _results:
        env = dict(os.environ)
        # the heapscope this pytest imported, whether installed or from src/
        pkg_root = str(Path(heapscope.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH")) if p)
        proc = subprocess.run([sys.executable, str(RUNNER), name], capture_output=True, text=True,
                              env=env, cwd=str(CORPUS), timeout=300)
        _results[name] = proc
    proc = _results[name]
    if proc.returncode == SKIP:
        pytest.skip(proc.stdout.strip())
    lines = [l for l in proc.stdout.splitlines() if l.startswith(MARKER)]
    assert proc.returncode == 0 and lines, "runner failed (rc %d):\n%s\n%s" % (
        proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return json.loads(lines[-1][len(MARKER):])


def _any_in(wanted, text):
    wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    return text is not None and any(w in text for w in wanted)


def _describe(result):
    rows = ["find_leaks: %d leak(s) in %.2f s" % (len(result["leaks"]), result["elapsed"])]
    for l in result["leaks"]:
        rows.append("  %s (%s): %s objects, %s B/rep, retained %s, native %s" % (
            l["detail"], l["type"], l["count"], l["size"], l["retained"], l["native"]))
        rows.append("    path: %s" % l["path"])
        rows.append("    accumulation: %s" % (l["accumulation"],))
    return "\n".join(rows)


@pytest.mark.parametrize("name, meta", CASES)
def test_corpus_truth(name, meta):
    """The ground truth holds as the case claims (checked after find_leaks ran)."""
    result = _run(name)
    assert result["truth"] is True, "ground truth of %s does not hold%s" % (
        name, ": " + result["truth_error"] if "truth_error" in result else "")


@pytest.mark.parametrize("name, meta", CASES)
def test_corpus(name, meta):
    result = _run(name)
    problems = []
    if result["truth"] is not True:
        problems.append("ground truth does not hold: %s" % result.get("truth_error", "False"))
    leaks = result["leaks"]
    if meta["EXPECT"] == "quiet":
        if leaks:
            problems.append("expected no leak, got %d" % len(leaks))
        if result.get("native") and not os.environ.get("PYTHONMALLOC"):
            problems.append("unaccounted native memory reported: %s B per repetition" % result["native"])
        for note in meta.get("NOTE", ()):
            if not any(note in n for n in result.get("notes", ())):
                problems.append("no note %r among %r" % (note, result.get("notes")))
    else:
        if len(leaks) != 1:
            problems.append("expected exactly one leak, got %d" % len(leaks))
        if leaks:
            leak = leaks[0]
            if not _any_in(meta["CULPRIT"], leak["detail"]):
                problems.append("culprit %r not in detail %r" % (meta["CULPRIT"], leak["detail"]))
            where = leak["path"] or ""
            if leak["accumulation"]:
                where += "\n" + leak["accumulation"][0]
            if "NATIVE" in meta and not os.environ.get("PYTHONMALLOC"):
                native = leak.get("native") or 0
                if not 0.9 * meta["NATIVE"] <= native <= 1.1 * meta["NATIVE"]:
                    problems.append("native bytes %r per repetition, expected %r" % (native, meta["NATIVE"]))
            if not _any_in(meta["CONTAINER"], where):
                problems.append("container %r in neither path %r nor accumulation %r" % (
                    meta["CONTAINER"], leak["path"], leak["accumulation"]))
    if result["elapsed"] >= TIME_LIMIT:
        problems.append("find_leaks took %.2f s (limit %.1f s)" % (result["elapsed"], TIME_LIMIT))
    assert not problems, "%s (%s):\n  %s\n%s" % (name, meta["EXPECT"], "\n  ".join(problems), _describe(result))
