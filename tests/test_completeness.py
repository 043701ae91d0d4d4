"""The walk finds every live object exactly once, including what gc misses."""
import gc
import sys
import threading

import pytest

from heapscope import _core, muppy, tracker
from conftest import heap_ids, find_by_id


def test_every_object_once_and_every_tracked_object():
    gc.collect()
    tracked = gc.get_objects()
    objs = _core.get_objects()
    ids = set(map(id, objs))
    assert len(ids) == len(objs)
    frame_type = type(sys._getframe())
    own_peaks = sys.modules["heapscope.objgraph"]._peaks  # heapscope's own: never listed
    missing = [o for o in tracked
               if id(o) not in ids and not isinstance(o, frame_type) and o is not own_peaks]
    # Only objects created after the walk may be missing: the list gc made.
    assert missing == [] or all(m is tracked for m in missing)
    assert len(objs) > len(tracked)


def test_floats_inside_nested_untracked_tuples(pympler):
    holder = [(1.5 * k, (2.5e-300 * (k + 1), (3.5e300 / (k + 1), (4.25 + k,)))) for k in range(5)]
    for _ in range(3):
        gc.collect()
    deep = [id(t[1][1][1][0]) for t in holder]  # ids only: a list of the floats would reach them
    assert not gc.is_tracked(holder[0][1][1][1]), "the innermost tuples should be untracked by now"
    ids = heap_ids()
    assert all(f in ids for f in deep)
    # Pympler follows one hop from tracked objects only: it misses the deep ones.
    pids = set(map(id, pympler.muppy.get_objects()))
    assert not any(f in pids for f in deep)


def test_str_only_referenced_as_dict_key(pympler):
    d = {("only-as-key-%d" % i) * 3: None for i in range(10)}
    key_ids = [id(k) for k in d]
    gc.collect()
    ids = heap_ids()
    assert all(k in ids for k in key_ids)
    pids = set(map(id, pympler.muppy.get_objects()))
    assert not any(k in pids for k in key_ids), "Pympler was expected to miss str dict keys"


_frame_local_ids = []


def _raise_with_local():
    secret = bytearray(b"kept only by a stored exception's frame" * 3)
    _frame_local_ids.append(id(secret))
    raise ValueError("stored")


def test_bytearray_only_in_locals_of_frame_kept_by_stored_exception():
    try:
        _raise_with_local()
    except ValueError as e:
        stored = e
    gc.collect()
    oid = _frame_local_ids[-1]
    assert oid in heap_ids()
    found = find_by_id(oid)
    assert isinstance(found, bytearray) and found.startswith(b"kept only")
    del found, stored


def test_objects_after_gc_freeze():
    frozen = [object() for _ in range(10)]
    gc.freeze()
    try:
        assert gc.get_objects() == [] or id(frozen[0]) not in set(map(id, gc.get_objects()))
        ids = heap_ids()
        assert all(id(o) in ids for o in frozen)
        assert id(frozen) in ids
    finally:
        gc.unfreeze()


def test_locals_of_frames_running_in_another_thread():
    ready, done, box = threading.Event(), threading.Event(), []

    def worker():
        local = bytearray(b"thread-local %d" % threading.get_ident())
        box.append(id(local))
        ready.set()
        done.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert ready.wait(10)
        assert box[0] in heap_ids()
    finally:
        done.set()
        t.join()


def test_untracked_local_of_running_frame():
    mine = bytearray(b"a local of the running test function")
    assert id(mine) in heap_ids()


def test_static_types_and_code_constants_found():
    ids = heap_ids()
    assert id(int) in ids and id(type) in ids and id(bytearray) in ids
    def f():
        return "a constant only this code object holds: 4217"
    const = [c for c in f.__code__.co_consts if isinstance(c, str) and c.endswith("4217")][0]
    assert id(const) in ids
    assert id(f.__code__) in ids


def test_heapscope_own_objects_never_counted():
    t = tracker.SummaryTracker()
    t.store_summary("x")
    ids = heap_ids()
    assert id(t) not in ids
    assert id(t.s0) not in ids
    assert id(t.summaries) not in ids
    assert id(t.summaries["x"]) not in ids


def test_linked_list_a_million_deep():
    class Node:
        __slots__ = ("next",)

    n = 1_000_000
    head = None
    for _ in range(n):
        node = Node()
        node.next = head
        head = node
    del node
    rows = {r[0]: r for r in _core.summarize_heap().rows()}
    label = "%s.%s" % (Node.__module__, Node.__qualname__)
    assert rows[label][1] == n
    assert rows[label][2] == n * sys.getsizeof(head)
    del head


def test_chain_of_tuples_untracked_at_the_bottom():
    n = 200_000
    chain = None
    for _ in range(n):
        chain = (chain,)
    for _ in range(5):
        gc.collect()
    chain_ids, untracked = [], 0
    link = chain
    while link is not None:
        chain_ids.append(id(link))
        untracked += not gc.is_tracked(link)
        link = link[0]
    assert untracked >= 3, "gc untracks one level of nested tuples per collection"
    assert set(chain_ids) <= heap_ids()
    del chain, link


def test_freeze_changes_no_count():
    """gc.freeze() moves every object to the permanent generation: the counts stay exact."""
    keep = [[i] for i in range(1000)]
    gc.collect()
    before = _core.summarize_heap()
    gc.freeze()
    try:
        after = _core.summarize_heap()
        assert len(gc.get_objects()) < 100  # gc.get_objects() no longer sees them
    finally:
        gc.unfreeze()
    changed = [r for r in after.diff(before) if r[1] != 0]
    assert changed == [], changed
    assert after.total_count == before.total_count
    del keep


class _Plain:
    pass


class _PlainChild(_Plain):
    pass


class _SlotsAndDict:
    __slots__ = ("s", "__dict__")


class _IntWithAttrs(int):
    pass


class _Other:
    pass


def test_untracked_attribute_values_of_instances_found():
    """Attributes held in inline values, in a materialized __dict__, in slots,
    after deletions and __class__ changes: each float below is referenced only
    by one attribute (floats are never GC-tracked, so only a traversal of that
    instance finds it)."""
    k = [0]

    def fresh():
        k[0] += 1
        return float(k[0]) * 1.000000119

    objs = []
    for cls in (_Plain, _PlainChild, _SlotsAndDict, _IntWithAttrs, _Other):
        o = cls(7) if cls is _IntWithAttrs else cls()
        o.a, o.b = fresh(), fresh()
        objs.append(o)
    many = _Plain()                       # more attributes than the inline values hold
    for i in range(40):
        setattr(many, "x%d" % i, fresh())
    objs.append(many)
    holey = _Plain()                      # a deleted attribute leaves an empty slot
    holey.a, holey.b, holey.c = fresh(), fresh(), fresh()
    del holey.b
    objs.append(holey)
    with_dict = _PlainChild()             # the __dict__ object made, then more attributes
    with_dict.a = fresh()
    assert with_dict.__dict__["a"] == with_dict.a
    with_dict.b = fresh()
    objs.append(with_dict)
    moved = _Plain()                      # instance whose class changed after its attributes
    moved.a, moved.b = fresh(), fresh()
    moved.__class__ = _Other
    objs.append(moved)
    objs[2].s = fresh()
    # ids through getattr: vars(o) would make the __dict__ of every instance
    names = [("a", "b")] * 5 + [["x%d" % i for i in range(40)], ("a", "c"), ("a", "b"), ("a", "b")]
    expected = [id(getattr(o, n)) for o, ns in zip(objs, names) for n in ns] + [id(objs[2].s)]
    assert len(expected) == 2 * 5 + 40 + 2 + 2 + 2 + 1
    gc.collect()
    ids = heap_ids()
    missing = [i for i in expected if i not in ids]
    assert missing == []
