"""heapscope.snapshot(): compact snapshots, diffs with identity, detailed labels."""
import gc
import io
import os
import sys
import tracemalloc
import types
import weakref

import pytest

import heapscope
from heapscope import _core

PY313 = sys.version_info >= (3, 13)
N_REUSE = 1000
# pymalloc hands a freed block out again at once; the ASan run of .ci/run uses
# PYTHONMALLOC=malloc, whose quarantine does not reuse addresses.
POOLED = not os.environ.get("PYTHONMALLOC", "").startswith("malloc")


class Tracked:
    """A plain user class: its label is its module and qualname."""

    def meth(self):
        return self


class Reused:
    """Instances freed and made again at the same addresses."""


class Labelled:
    def __init__(self, n):
        self.n = n

    def meth(self):
        return self.n


def a_function():
    return 1


def make_closure(x):
    def g():
        return x
    return g


def suspended():
    yield 1
    yield 2


class Summarized:
    """Used by one test only, so that other tests' leftovers do not count."""

    def meth(self):
        return self


class WithDict:
    def __init__(self, n):
        self.n = n


def make_counter(start):
    def count():
        return start
    return count


class RaisingMeta(type):
    def __repr__(cls):
        raise ValueError("hostile metaclass __repr__")


class Hostile(metaclass=RaisingMeta):
    def __repr__(self):
        raise RuntimeError("hostile __repr__")

    def __sizeof__(self):
        raise RuntimeError("hostile __sizeof__")


def label_of(cls):
    """The default label of cls's instances."""
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def rows_by_label(rows):
    """``{label: [count, size]}`` of summary rows."""
    return {r[0]: list(r[1:]) for r in rows}


def make_floats_a(n):
    return [float(i) + 0.25 for i in range(n)]


def make_floats_b(n):
    return [float(i) + 0.75 for i in range(n)]


LINE_B = make_floats_b.__code__.co_firstlineno + 1


def recycled_float_lines():
    """tracemalloc's line for floats made at LINE_B on blocks the float free list
    recycled from make_floats_a: only a reference tracer (tracemalloc's, on 3.13)
    moves their traceback from make_floats_a's line to LINE_B."""
    a = make_floats_a(400)
    del a
    b = make_floats_b(400)
    tbs = [tracemalloc.get_object_traceback(x) for x in b]
    return {tb[0].lineno if tb is not None else None for tb in tbs}


# ---- a snapshot keeps nothing alive, and is never counted ----------------------------


def test_snapshot_keeps_no_object_alive():
    obj = Tracked()
    ref = weakref.ref(obj)
    snap = heapscope.snapshot()
    assert rows_by_label(snap.summary())[label_of(Tracked)][0] >= 1
    del obj
    assert ref() is None
    assert len(snap) > 1000


def test_snapshot_keeps_no_class_alive():
    cls = type("Ephemeral", (), {"meth": lambda self: self})
    objs = [cls() for _ in range(3)]
    ref, label = weakref.ref(cls), label_of(cls)
    snap = heapscope.snapshot()
    assert rows_by_label(snap.summary())[label][0] == 3
    del cls, objs
    gc.collect()
    assert ref() is None
    later = heapscope.snapshot().diff(snap)
    assert rows_by_label(later.summary())[label][0] == -3
    assert rows_by_label(snap.summary())[label][0] == 3


def test_snapshots_and_diffs_are_not_counted():
    gc.collect()
    before = len(heapscope.snapshot())
    snaps = [heapscope.snapshot() for _ in range(50)]
    diffs = [s.diff(snaps[0]) for s in snaps]
    after = len(heapscope.snapshot())
    assert abs(after - before) < 20  # the two lists and little else; 50 Snapshots + 50 diffs would be 100
    found = [o for o in _core.get_objects() if isinstance(o, (heapscope.Snapshot, heapscope.SnapshotDiff))]
    assert found == []
    labels = set(rows_by_label(snaps[-1].summary()))
    assert not {"heapscope.Snapshot", "heapscope.SnapshotDiff"} & labels
    del diffs


# ---- totals, summaries, printing ------------------------------------------------------


def test_len_and_total_size_agree_with_summarize_heap():
    gc.collect()
    snap = heapscope.snapshot(collect=None)
    heap = _core.summarize_heap()
    assert abs(len(snap) - heap.total_count) <= 5
    assert abs(snap.total_size - heap.total_size) <= 1024
    for detail in (False, True):
        rows = snap.summary(detail=detail)
        assert sum(r[1] for r in rows) == len(snap)
        assert sum(r[2] for r in rows) == snap.total_size


def test_summary_counts_a_user_class_as_pympler_does(pympler):
    objs = [Tracked() for _ in range(123)]
    gc.collect()
    snap = heapscope.snapshot()
    theirs = rows_by_label(pympler.summary.summarize(pympler.muppy.get_objects()))
    ours = rows_by_label(snap.summary())
    label = label_of(Tracked)
    assert ours[label] == theirs[label] == [len(objs), len(objs) * sys.getsizeof(objs[0])]
    assert rows_by_label(snap.summary(detail=True))[label] == ours[label]


def test_nbytes_at_most_32_per_object_on_a_large_heap():
    extra = [(i, str(i)) for i in range(100_000)]  # 300k objects: tuples, strs, ints
    snap = heapscope.snapshot()
    assert len(snap) >= 300_000
    assert 16 <= snap.nbytes / len(snap) <= 32
    del extra


def test_summary_sorted_by_size_and_limited():
    snap = heapscope.snapshot()
    rows = snap.summary()
    assert len(rows) > 20
    sizes = [r[2] for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert snap.summary(limit=5) == rows[:5]
    assert snap.summary(limit=0) == []
    assert len(snap.summary(limit=10 ** 6)) == len(rows)


def test_print_is_a_pympler_table(pympler, capsys):
    snap = heapscope.snapshot()
    snap.print()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].endswith("types |   # objects |   total size")
    assert len(lines) == 2 + 15
    expected = list(pympler.summary.format_(snap.summary(), limit=15))
    assert lines == expected


def test_print_to_file_and_with_detail():
    keep = [Labelled(i).meth for i in range(3)]
    snap = heapscope.snapshot()
    buf = io.StringIO()
    snap.print(limit=None, file=buf)
    plain = buf.getvalue()
    buf = io.StringIO()
    snap.print(limit=None, file=buf, detail=True)
    detailed = buf.getvalue()
    assert "types |   # objects |   total size" in plain.splitlines()[0]
    assert "method (Labelled.meth) |" in detailed and "method (Labelled.meth)" not in plain
    assert "dict of module(heapscope) |" in detailed and "dict of module(" not in plain
    buf = io.StringIO()
    snap.print(limit=4, file=buf)
    assert len(buf.getvalue().splitlines()) == 2 + 4
    del keep


def test_module_diff_function_is_new_diff_old():
    old = heapscope.snapshot()
    keep = [Tracked() for _ in range(7)]
    new = heapscope.snapshot()
    assert heapscope.diff(old, new).summary() == new.diff(old).summary()
    assert rows_by_label(heapscope.diff(old, new).summary())[label_of(Tracked)][0] == 7
    with pytest.raises(TypeError):
        heapscope.diff(old, 42)
    del keep


# ---- diffs ---------------------------------------------------------------------------------


def test_diff_summary_and_new_objects():
    old = heapscope.snapshot()
    keep = [Tracked() for _ in range(300)]
    floats = [i + 0.5 for i in range(200)]
    methods = [o.meth for o in keep[:50]]
    new = heapscope.snapshot()
    d = new.diff(old)
    label = label_of(Tracked)
    obj_size, float_size, meth_size = sys.getsizeof(keep[0]), sys.getsizeof(floats[0]), sys.getsizeof(methods[0])

    rows = rows_by_label(d.summary())
    assert rows[label] == [300, 300 * obj_size]
    assert rows["float"] == [200, 200 * float_size]
    assert rows["method"] == [50, 50 * meth_size]
    detailed = rows_by_label(d.summary(detail=True))
    assert detailed[label] == [300, 300 * obj_size]
    assert detailed["method (Tracked.meth)"] == [50, 50 * meth_size]
    assert "method" not in detailed

    new_rows = d.new_rows()
    assert (label, label, 300, 300 * obj_size) in new_rows
    assert ("float", "float", 200, 200 * float_size) in new_rows
    assert ("method", "method (Tracked.meth)", 50, 50 * meth_size) in new_rows
    assert d.new_count == sum(r[2] for r in new_rows)
    assert d.new_size == sum(r[3] for r in new_rows)

    recs = d.new_records(label=label)
    assert sorted(r[0] for r in recs) == sorted(map(id, keep))
    assert {r[1:] for r in recs} == {(label, label, obj_size)}
    recs = d.new_records(label="method (Tracked.meth)")
    assert sorted(r[0] for r in recs) == sorted(map(id, methods))
    assert len(d.new_records(label="float", limit=7)) == 7

    found = d.new_objects(label=label)
    assert sorted(map(id, found)) == sorted(map(id, keep))
    by_id = {id(k): k for k in keep}
    assert all(by_id[id(f)] is f for f in found)
    assert sorted(map(id, d.new_objects(label="float"))) == sorted(map(id, floats))
    assert sorted(map(id, d.new_objects(label="method"))) == sorted(map(id, methods))
    assert len(d.new_objects(label=label, limit=10)) == 10
    del found


def test_new_objects_never_returns_a_dead_object():
    old = heapscope.snapshot()
    keep = [Tracked() for _ in range(300)]
    d = heapscope.snapshot().diff(old)
    del keep[::2]
    found = d.new_objects(label=label_of(Tracked))
    assert len(found) == 150
    assert sorted(map(id, found)) == sorted(map(id, keep))
    assert all(type(o) is Tracked for o in found)


# ---- identity across address reuse ------------------------------------------------------


@pytest.mark.skipif(not PY313, reason="creation serials need the 3.13 reference tracer")
def test_identity_exact_across_address_reuse_on_313():
    gc.collect()
    objs = [Reused() for _ in range(N_REUSE)]
    old = heapscope.snapshot()
    old_ids = set(map(id, objs))
    del objs[:]
    objs = [Reused() for _ in range(N_REUSE)]
    assert not POOLED or sum(id(o) in old_ids for o in objs) > N_REUSE // 2, "addresses were expected reused"
    d = heapscope.snapshot().diff(old)
    assert d.exact and old.exact
    assert sorted(r[0] for r in d.new_records(label=label_of(Reused))) == sorted(map(id, objs))
    assert len(d.new_objects(label=label_of(Reused))) == N_REUSE


def test_identity_exact_across_address_reuse_when_frozen():
    gc.collect()
    objs = [Reused() for _ in range(N_REUSE)]
    gc.freeze()
    try:
        old = heapscope.snapshot()
        old_ids = set(map(id, objs))
        del objs[:]
        objs = [Reused() for _ in range(N_REUSE)]
        assert not POOLED or sum(id(o) in old_ids for o in objs) > N_REUSE // 2, "addresses were expected reused"
        d = heapscope.snapshot().diff(old)
        assert sorted(r[0] for r in d.new_records(label=label_of(Reused))) == sorted(map(id, objs))
        assert len(d.new_objects(label=label_of(Reused))) == N_REUSE
    finally:
        gc.unfreeze()


@pytest.mark.skipif(PY313, reason="3.13+ is exact (test above)")
def test_identity_without_freeze_finds_at_least_the_moved_objects():
    """The documented limit: before 3.13 an unfrozen object at a reused address can
    pass for the old one; objects at fresh addresses are always new."""
    gc.collect()
    objs = [Reused() for _ in range(N_REUSE)]
    old = heapscope.snapshot()
    old_ids = set(map(id, objs))
    del objs[:]
    objs = [Reused() for _ in range(N_REUSE)]
    d = heapscope.snapshot().diff(old)
    assert not d.exact
    found = {r[0] for r in d.new_records(label=label_of(Reused))}
    new_ids = set(map(id, objs))
    assert new_ids - old_ids <= found <= new_ids


# ---- 3.13: the reference tracer chains to tracemalloc's -----------------------------------


@pytest.mark.skipif(not PY313, reason="reference tracers are 3.13+")
def test_tracemalloc_started_before_a_series_keeps_working():
    tracemalloc.start()
    try:
        assert recycled_float_lines() == {LINE_B}  # tracemalloc's own tracer at work
        snaps = [heapscope.snapshot()]
        objs = [Tracked() for _ in range(10)]
        line = sys._getframe().f_lineno - 1
        assert all(tracemalloc.get_object_traceback(o)[0].lineno == line for o in objs)
        assert recycled_float_lines() == {LINE_B}
        snaps.append(heapscope.snapshot())
        assert snaps[1].diff(snaps[0]).exact
        del snaps
        assert recycled_float_lines() == {LINE_B}  # tracemalloc's tracer is back
    finally:
        tracemalloc.stop()


@pytest.mark.skipif(not PY313, reason="reference tracers are 3.13+")
def test_tracemalloc_started_during_a_series_keeps_working():
    first = heapscope.snapshot()
    tracemalloc.start()
    try:
        assert recycled_float_lines() == {LINE_B}
        second = heapscope.snapshot()
        objs = [Tracked() for _ in range(10)]
        line = sys._getframe().f_lineno - 1
        assert all(tracemalloc.get_object_traceback(o)[0].lineno == line for o in objs)
        assert recycled_float_lines() == {LINE_B}
        third = heapscope.snapshot()
        assert third.diff(second).exact
        assert sorted(r[0] for r in third.diff(second).new_records(label=label_of(Tracked))) == sorted(
            map(id, objs))
        del first, second, third
        assert recycled_float_lines() == {LINE_B}
    finally:
        tracemalloc.stop()


# ---- labels -------------------------------------------------------------------------------


def test_detailed_labels_of_single_objects():
    obj = Labelled(1)
    vars(obj)
    g = make_closure(5)
    gen = suspended()
    next(gen)
    mod = types.ModuleType("hs_test_mod")
    code = suspended.__code__
    assert heapscope.label(obj.meth, detail=True) == "method (Labelled.meth)"
    assert heapscope.label(a_function, detail=True) == "function (%s.a_function)" % __name__
    assert heapscope.label(g, detail=True) == "function (%s.make_closure.<locals>.g)" % __name__
    assert heapscope.label(obj.__dict__, detail=True) == "dict of %s" % label_of(Labelled)
    assert heapscope.label(vars(mod), detail=True) == "dict of module(hs_test_mod)"
    assert heapscope.label(types.__dict__, detail=True) == "dict of module(types)"
    assert heapscope.label(g.__closure__[0], detail=True) == "cell (x in make_closure.<locals>.g)"
    assert heapscope.label(gen.gi_frame, detail=True) == "frame (suspended, %s:%d)" % (
        code.co_filename, code.co_firstlineno)
    assert heapscope.label({}, detail=True) == "dict"  # a dict nobody owns


def test_default_labels_stay_pympler_identical(pympler):
    obj = Labelled(1)
    g = make_closure(5)
    gen = suspended()
    next(gen)
    cases = [
        (obj.meth, "method"),
        (a_function, "function (a_function)"),
        (g, "function (g)"),
        (vars(obj), "dict"),
        (vars(types), "dict"),
        (g.__closure__[0], "cell"),
        (gen.gi_frame, "frame (codename: suspended)"),
    ]
    prepr = getattr(pympler.summary, "_repr", None)
    for o, expected in cases:
        assert heapscope.label(o) == expected
        if prepr is not None:
            assert prepr(o) == expected


def test_summary_with_detailed_labels():
    objs = [Summarized() for _ in range(40)]
    methods = [o.meth for o in objs[:25]]
    closures = [make_counter(i) for i in range(30)]
    gen = suspended()
    next(gen)
    frame = gen.gi_frame
    mod = types.ModuleType("hs_test_mod2")
    snap = heapscope.snapshot()
    rows = rows_by_label(snap.summary(detail=True))
    code = suspended.__code__
    assert rows["method (Summarized.meth)"] == [25, 25 * sys.getsizeof(methods[0])]
    assert rows["cell (start in make_counter.<locals>.count)"] == [30, 30 * sys.getsizeof(closures[0].__closure__[0])]
    assert rows["function (%s.make_counter.<locals>.count)" % __name__] == [30, 30 * sys.getsizeof(closures[0])]
    assert rows["dict of module(hs_test_mod2)"] == [1, sys.getsizeof(vars(mod))]
    assert rows["frame (suspended, %s:%d)" % (code.co_filename, code.co_firstlineno)] == [1, sys.getsizeof(frame)]
    plain = rows_by_label(snap.summary())
    assert not any(label.startswith(("method (", "cell (", "dict of ")) for label in plain)
    assert plain["method"][0] >= 25


def test_summary_counts_materialized_instance_dicts():
    objs = [WithDict(i) for i in range(40)]
    dict_sizes = sum(sys.getsizeof(vars(o)) for o in objs)
    snap = heapscope.snapshot()
    rows = rows_by_label(snap.summary(detail=True))
    assert rows.get("dict of %s" % label_of(WithDict)) == [40, dict_sizes]


# ---- hostile objects, bad arguments ------------------------------------------------------------


def test_hostile_objects_never_raise():
    old = heapscope.snapshot()
    keep = [Hostile() for _ in range(7)]
    new = heapscope.snapshot()
    label = label_of(Hostile)
    assert rows_by_label(new.summary(detail=True))[label][0] == 7
    d = new.diff(old)
    assert rows_by_label(d.summary(detail=True))[label][0] == 7
    assert {r[1] for r in d.new_rows() if r[0] == label} == {label}
    found = d.new_objects(label=label)
    assert sorted(map(id, found)) == sorted(map(id, keep))
    buf = io.StringIO()
    d.print(file=buf, detail=True)
    new.print(file=buf, detail=True)
    assert label in buf.getvalue()
    assert heapscope.label(keep[0], detail=True) == label


def test_bad_arguments():
    snap = heapscope.snapshot()
    d = snap.diff(snap)
    with pytest.raises(TypeError):
        snap.diff(42)
    with pytest.raises(ValueError):
        snap.summary(limit=-1)
    with pytest.raises(ValueError):
        d.summary(limit=-1)
    with pytest.raises(TypeError):
        d.new_objects(label=3)
    with pytest.raises(TypeError):
        d.new_records(label=3)
    assert d.new_count == 0 and d.new_objects() == []
