"""The C core of find_leaks' verdicts (csrc/verdict.c): container lengths in
snapshots, old_changes, record_series, leak_groups, native_memory, objects_at."""
import collections
import gc
import os
import sys

import pytest

from heapscope import _core
from heapscope.leaks import _freeze, _unfreeze


class Holder:
    pass


class MyDict(dict):
    pass


class MyDeque(collections.deque):
    pass


class MySet(set):
    pass


def series(snaps, *objs):
    return _core.record_series(snaps, [id(o) for o in objs])


# ---- 1. lengths ------------------------------------------------------------------


def test_lengths_equal_len():
    objs = [
        {i: i for i in range(7)},
        MyDict(a=1, b=2, c=3),
        list(range(11)),
        set(range(5)),
        frozenset(range(9)),
        collections.deque(range(13)),
        bytearray(b"x" * 21),
        collections.OrderedDict((i, i) for i in range(4)),
        collections.defaultdict(list, {1: [], 2: []}),
        MyDeque(range(6)),
        MySet(range(3)),
    ]
    h = Holder()
    snap = _core.snapshot(lengths=True)
    assert snap.has_lengths
    got = series([snap], *objs)
    for o, s in zip(objs, got):
        assert s[0] is not None, type(o)
        assert s[0][1] == len(o), type(o)
        assert s[0][0] == sys.getsizeof(o), type(o)
    # not a container: 0; without lengths: -1
    assert series([snap], h)[0][0][1] == 0
    plain = _core.snapshot()
    assert not plain.has_lengths
    assert series([plain], objs[2])[0][0][1] == -1
    assert snap.nbytes > plain.nbytes - 4096
    g = _core.graph_snapshot(True, False, lengths=True)
    assert g.has_lengths and series([g], objs[5])[0][0][1] == 13
    assert not _core.graph_snapshot(True, False).has_lengths


def test_snapshot_flags_bad_arguments():
    with pytest.raises(TypeError):
        _core.snapshot(True, False, True)
    with pytest.raises(TypeError):
        _core.snapshot(bogus=True)
    with pytest.raises(TypeError):
        _core.graph_snapshot(True, identity=False)


def test_large_size():
    big = bytes(100000)
    small = [bytes(100) for _ in range(100)]
    a = _core.snapshot()
    del big
    b = _core.snapshot()
    assert a.large_size - b.large_size >= 100000 - 4096
    assert 0 < b.large_size <= b.total_size
    assert small


# ---- 2. old_changes ----------------------------------------------------------------


def test_old_changes_finds_grown_objects():
    grows = [1, 2, 3]
    same = [4, 5, 6]
    ba = bytearray(b"abc")
    ba_same = bytearray(b"xyz")
    d = {"a": 1}
    gc.collect()
    _freeze()
    try:
        old = _core.snapshot(lengths=True)
        grows.extend([7, 8, 9])
        ba.extend(b"z" * 1000)
        d["b"] = 2
        new = _core.snapshot(lengths=True)
    finally:
        _unfreeze()
    ch = {c[0]: c for c in _core.old_changes(old, new)}
    c = ch[id(grows)]
    assert c[1] == "list" and c[5] == 3 and c[6] == 6
    assert c[4] == sys.getsizeof(grows)
    c = ch[id(ba)]
    assert c[1] == "bytearray" and (c[5], c[6]) == (3, 1003) and c[4] > c[3]
    c = ch[id(d)]
    assert c[1].startswith("dict") and (c[5], c[6]) == (1, 2)
    assert id(same) not in ch
    assert id(ba_same) not in ch
    # the new snapshot without lengths: only size changes, its lengths -1
    for c in _core.old_changes(old, _core.snapshot()):
        assert c[3] != c[4] and c[5] >= 0 and c[6] == -1


def test_old_changes_needs_frozen_for_tracked():
    grows = [1, 2, 3]
    ba = bytearray(b"abc")
    old = _core.snapshot(lengths=True)
    grows.extend([7, 8, 9])
    ba.extend(b"q" * 1000)
    new = _core.snapshot(lengths=True)
    addrs = {c[0] for c in _core.old_changes(old, new)}
    assert id(ba) in addrs  # untracked: the same type is enough
    if not new.exact:
        assert id(grows) not in addrs  # tracked, not frozen: not known to be the same


def test_old_changes_bad_arguments():
    s = _core.snapshot()
    assert _core.old_changes(s, s) == []
    with pytest.raises(TypeError):
        _core.old_changes(s, 3)
    with pytest.raises(TypeError):
        _core.old_changes(s)


# ---- 3. record_series ---------------------------------------------------------------


def test_record_series():
    lst = []
    ba = bytearray()
    snaps = []
    for k in range(4):
        snaps.append(_core.snapshot(lengths=bool(k != 2)))
        lst.extend(range(50))
        ba.extend(b"y" * 700)
    got = series(snaps, lst, ba)
    assert [s[1] for s in got[0]] == [0, 50, -1, 150]
    assert [s[1] for s in got[1]] == [0, 700, -1, 2100]
    assert got[1][3][0] > got[1][1][0] > got[1][0][0]
    sizes = [s[0] for s in got[0]]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    # an address no snapshot has, and one appearing twice
    assert _core.record_series(snaps, [8, id(lst), id(lst)])[0] == [None] * 4
    r = _core.record_series(snaps, [id(lst), id(lst)])
    assert r[0] == r[1] == got[0]
    assert _core.record_series([], [id(lst)]) == [[]]


def test_record_series_type_change():
    x = [1, 2]
    a = _core.snapshot()
    addr = id(x)
    del x
    objs = [(i,) for i in range(2000)] + [{"k": i} for i in range(2000)]
    b = _core.snapshot()
    r = _core.record_series([a, b], [addr])[0]
    assert r[0] is not None
    assert r[1] is None or r[1][0] == r[0][0]  # another type at the address: None
    assert objs


def test_record_series_bad_arguments():
    with pytest.raises(TypeError):
        _core.record_series([1], [])
    with pytest.raises(TypeError):
        _core.record_series([_core.snapshot()], ["x"])
    with pytest.raises(ValueError):
        _core.record_series([_core.snapshot()], [-1])


# ---- 4. leak_groups ----------------------------------------------------------------


class LeakA:
    pass


class LeakB:
    pass


def labels_of(*objs):
    return frozenset(_core.label(o, detail=True) for o in objs)


def test_leak_groups_one_container():
    sink = []
    gc.collect()
    _freeze()
    try:
        base = _core.snapshot()
        for _ in range(20):
            sink.append(LeakA())
        g = _core.graph_snapshot()
    finally:
        _unfreeze()
    groups, members = _core.leak_groups(g.diff(base), labels_of(sink[0]), [])
    assert len(groups) == 1
    acc, label, detail, acc_len, n, size, retained = groups[0]
    assert acc == id(sink) and label == "list" and acc_len == -1
    assert n == 20 and size == 20 * sys.getsizeof(sink[0])
    assert {m[0] for m in members} == {id(o) for o in sink}
    for m in members:
        assert m[1] == 0 and m[2] == id(sink) and m[3] == 1
        assert m[6] == sys.getsizeof(sink[0])
    # instances have no __dict__ materialized here: retained is their own sizes
    if all(o.__dict__ == {} for o in sink):
        assert retained >= size
    del g


def test_leak_groups_retained_and_depth():
    sink = []
    gc.collect()
    _freeze()
    try:
        base = _core.snapshot()
        for i in range(10):
            sink.append((LeakB(), LeakB()))
        g = _core.graph_snapshot(lengths=True)
    finally:
        _unfreeze()
    lb = labels_of(sink[0][0])
    tup = frozenset([_core.label(sink[0], detail=True)])
    groups, members = _core.leak_groups(g.diff(base), lb | tup, [])
    assert len(groups) == 1
    acc, _, _, acc_len, n, size, retained = groups[0]
    assert acc == id(sink) and acc_len == 10 and n == 30
    total = sum(sys.getsizeof(t) + sys.getsizeof(t[0]) + sys.getsizeof(t[1]) for t in sink)
    assert size == total
    assert retained == total  # the union of the tuples' subtrees: exactly the new objects
    byaddr = {m[0]: m for m in members}
    for t in sink:
        assert byaddr[id(t)][2:4] == (id(sink), 1)
        assert byaddr[id(t[0])][2:4] == (id(t), 2)
    assert [m[3] for m in members] == sorted(m[3] for m in members)
    # only the LeakBs: the group retains just them
    groups, members = _core.leak_groups(g.diff(base), lb, [])
    assert groups[0][4] == 20 and groups[0][6] == groups[0][5] == 20 * sys.getsizeof(sink[0][0])


def test_leak_groups_two_containers_and_containers_arg():
    one, two, idle = [], {}, []
    gc.collect()
    _freeze()
    try:
        base = _core.snapshot()
        for i in range(5):
            one.append(LeakA())
        for i in range(8):
            two[i] = LeakA()
        g = _core.graph_snapshot(lengths=True)
    finally:
        _unfreeze()
    diff = g.diff(base)
    groups, members = _core.leak_groups(diff, labels_of(one[0]), [id(idle), id(two), id(idle)])
    accs = [gr[0] for gr in groups]
    assert accs[:2] == [id(idle), id(two)] and set(accs) == {id(idle), id(two), id(one)}
    assert groups[0][4:] == (0, 0, 0) and groups[0][3] == 0
    assert groups[1][4] == 8 and groups[1][3] == 8
    assert groups[2][4] == 5
    for m in members:
        parent = id(two) if m[1] == 1 else id(one)
        assert m[2] == parent and m[3] == 1
    assert [m[1] for m in members] == sorted(m[1] for m in members)
    # no leaking label: only the container groups
    groups, members = _core.leak_groups(diff, frozenset(["nothing"]), [id(two)])
    assert members == [] and len(groups) == 1 and groups[0][4] == 0


def test_leak_groups_no_acc_does_not_crash():
    gc.collect()
    _freeze()
    try:
        base = _core.snapshot()
        loose = [LeakA() for _ in range(3)]  # held by this frame only: a root
        g = _core.graph_snapshot()
    finally:
        _unfreeze()
    groups, members = _core.leak_groups(g.diff(base), labels_of(loose[0]), [])
    assert sum(gr[4] for gr in groups) == 3
    for gr in groups:
        assert gr[0] == 0 or isinstance(gr[1], str)


def test_leak_groups_bad_arguments():
    base = _core.snapshot()
    s = _core.snapshot()
    g = _core.graph_snapshot()
    with pytest.raises(ValueError):
        _core.leak_groups(s.diff(base), frozenset(), [])
    with pytest.raises(TypeError):
        _core.leak_groups(g.diff(base), ["list"], [])
    with pytest.raises(TypeError):
        _core.leak_groups(g, frozenset(), [])
    with pytest.raises(ValueError):
        _core.leak_groups(g.diff(base), frozenset(), [8])
    with pytest.raises(TypeError):
        _core.leak_groups(g.diff(base), frozenset(), [None])


def test_leak_groups_loaded(tmp_path):
    base = _core.snapshot()
    g = _core.graph_snapshot()
    p = str(tmp_path / "g.heap")
    g.save(p)
    with pytest.raises(ValueError):
        _core.leak_groups(_core.load_heapfile(p).diff(base), frozenset(), [])


# ---- 5. native_memory --------------------------------------------------------------


def test_native_memory():
    before, blocks = _core.native_memory()
    if before < 0:
        pytest.skip("no mallinfo2/mallinfo here")
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("AddressSanitizer's malloc: glibc's counters do not move")
    assert blocks == pytest.approx(sys.getallocatedblocks(), abs=100)
    big = b"x" * (10 << 20)
    after, _ = _core.native_memory()
    assert (10 << 20) <= after - before < (11 << 20)
    del big
    assert _core.native_memory()[0] < after - (9 << 20)


# ---- 6. objects_at -----------------------------------------------------------------


def test_objects_at():
    a, b, c = LeakA(), [1, 2], {"k": "v"}
    addrs = [id(a), 8, id(b), id(c), id(a), 0]
    got = _core.objects_at(addrs)
    assert got[0] is a and got[1] is None and got[2] is b and got[3] is c and got[4] is a and got[5] is None
    assert _core.objects_at([]) == []
    with pytest.raises(TypeError):
        _core.objects_at([1.5])
    with pytest.raises(TypeError):
        _core.objects_at(3)
