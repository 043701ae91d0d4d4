"""SummaryTracker and ObjectTracker: exact, quiet, and Pympler-compatible."""
import gc
import io
import subprocess
import sys
import textwrap

import pytest

from heapscope import _core, muppy, summary, tracker


EMPTY = "  types |   # objects |   total size\n======= | =========== | ============\n"


class Leaky:
    pass


def _rows(diff):
    return {r[0]: r for r in diff}


def test_quiet_program_prints_empty_tables_from_the_first_diff():
    prog = textwrap.dedent("""
        from heapscope import tracker
        t = tracker.SummaryTracker()
        t.print_diff()
        t.print_diff()
        t.print_diff()
        t.store_summary("a")
        t.print_diff()
    """)
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True).stdout
    assert out == EMPTY * 4


def test_pympler_first_diff_is_polluted_by_its_own_bookkeeping(pympler):
    prog = textwrap.dedent("""
        from pympler import tracker
        t = tracker.SummaryTracker()
        t.print_diff()
    """)
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True).stdout
    assert out != EMPTY  # the oracle is wrong here: heapscope's first diff is empty


def test_diff_reports_exactly_the_new_objects():
    t = tracker.SummaryTracker()
    keep = [Leaky() for _ in range(1000)]
    rows = _rows(t.diff())
    label = "%s.Leaky" % __name__
    assert rows[label][1:] == [1000, 1000 * sys.getsizeof(keep[0])]
    assert rows["list"][1] == 1
    del keep
    rows = _rows(t.diff())
    assert rows[label][1:] == [-1000, -1000 * sys.getsizeof(Leaky())]


def test_untracked_leaks_are_seen():
    t = tracker.SummaryTracker()
    keep = {("leaked-key-%d" % i): float(i) + 0.5 for i in range(500)}
    rows = _rows(t.diff())
    assert rows["float"][1] >= 500
    assert rows["str"][1] >= 500
    assert rows["dict"][1] == 1
    del keep


def test_diff_with_explicit_summaries_and_errors():
    t = tracker.SummaryTracker()
    s1 = t.create_summary()
    assert isinstance(s1, list) and all(isinstance(r, list) and len(r) == 3 for r in s1)
    keep = [Leaky() for _ in range(10)]
    s2 = t.create_summary()
    label = "%s.Leaky" % __name__
    assert _rows(t.diff(s1, s2))[label][1] == 10
    assert _rows(t.diff(s1))[label][1] == 10
    with pytest.raises(ValueError):
        t.diff(summary2=s2)
    del keep


def test_store_summary_is_invisible_and_usable():
    t = tracker.SummaryTracker()
    t.store_summary("before")
    keep = [Leaky() for _ in range(5)]
    t.store_summary("after")
    rows = _rows(t.diff(t.summaries["before"], t.summaries["after"]))
    assert rows["%s.Leaky" % __name__][1] == 5
    assert len(t.summaries["after"]) > 100
    assert t.summaries["after"][0][0] and isinstance(t.summaries["after"][0][1], int)
    del keep


def test_format_diff_and_print_diff_file():
    buf = io.StringIO()
    t = tracker.SummaryTracker()
    keep = [Leaky() for _ in range(3)]
    lines = list(t.format_diff())
    assert lines[0].strip().startswith("types")
    assert any("Leaky" in line and " 3 " in line for line in lines)
    del lines
    t.print_diff(file=buf)
    assert buf.getvalue() == EMPTY
    del keep


def test_collect_modes():
    for mode in (0, 1, 2, None):
        t = tracker.SummaryTracker(collect=mode)
        t.diff()
    with pytest.raises(ValueError):
        tracker.SummaryTracker(collect=7)


def test_collect_full_frees_old_cycles_default_does_not_need_to():
    class Cyc:
        pass
    objs = []
    for _ in range(50):
        a = Cyc()
        a.self = a
        objs.append(a)
    gc.collect()  # now in the oldest generation
    t = tracker.SummaryTracker(collect=2)
    del objs, a
    rows = _rows(t.diff())
    assert rows["%s.%s" % (Cyc.__module__, Cyc.__qualname__)][1] == -50


def test_object_tracker_lists_new_and_gone_objects():
    ot = tracker.ObjectTracker()
    keep = [Leaky() for _ in range(7)]
    d = ot.get_diff()
    added = [o for o in d["+"] if isinstance(o, Leaky)]
    assert len(added) == 7 and all(any(o is k for k in keep) for o in added)
    ids = {id(o) for o in d["+"]}
    assert id(ot) not in ids and id(ot.o0) not in ids
    lines = ot.format_diff()
    assert lines[0] == "Added objects:" and "Removed objects:" in lines
    del keep, added, d


def test_object_tracker_diff_is_linear_identity(pympler):
    left = [object() for _ in range(2000)]
    right = left[:1500] + [object() for _ in range(300)]
    ours = muppy.get_diff(left, right)
    theirs = pympler.muppy.get_diff(left, right)
    assert [id(o) for o in ours["+"]] == [id(o) for o in theirs["+"]]
    assert [id(o) for o in ours["-"]] == [id(o) for o in theirs["-"]]


def test_muppy_helpers_match_pympler(pympler):
    objs = [1, "abc", [1, 2, 3], {"a": 1}, 2.5, (1,), "x" * 300]
    assert muppy.get_size(objs) == pympler.muppy.get_size(objs)
    assert muppy.sort(objs) == pympler.muppy.sort(objs)
    for kw in ({"Type": str}, {"min": 50}, {"max": 60}, {"min": 10, "max": 100}):
        assert muppy.filter(objs, **kw) == pympler.muppy.filter(objs, **kw)
    with pytest.raises(ValueError):
        muppy.filter(objs, min=10, max=5)
    assert {id(o) for o in muppy.get_referents(objs, level=2)} == {
        id(o) for o in pympler.muppy.get_referents(objs, level=2)}


def test_print_summary(capsys):
    muppy.print_summary()
    out = capsys.readouterr().out
    assert out.splitlines()[0].strip().startswith("types") and "str" in out
