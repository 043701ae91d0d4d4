"""heapscope.retained_size(obj) (csrc/retain.c): the bytes freed with one object,
found from what it reaches, without a graph of the heap.

Oracles: sums of sys.getsizeof over hand-built structures, and the dominator tree of
a graph snapshot (``Snapshot.retained_size``, csrc/dominators.c), an independent
algorithm, on random structures with shared objects, cycles and outside holders.
"""
import gc
import random
import sys
import weakref

import pytest

import heapscope
from conftest import decref, incref, random_structure

REG = []


@pytest.fixture(autouse=True)
def _clean():
    yield
    REG.clear()
    gc.collect()


class Node:
    __slots__ = ("a", "b", "c")


class Plain:
    pass


def sizes(*objs):
    return sum(sys.getsizeof(o) for o in objs)


def test_list_of_fresh_objects():
    x = [bytearray(100 + i) for i in range(20)]
    assert heapscope.retained_size(x) == sizes(x, *x)


def test_an_item_held_elsewhere_is_not_retained():
    x = [bytearray(64) for _ in range(10)]
    REG.append(x[3])
    assert heapscope.retained_size(x) == sizes(x, *x) - sys.getsizeof(x[3])
    also = x[5]  # a frame's variable holds it too
    assert heapscope.retained_size(x) == sizes(x, *x) - sizes(x[3], also)


def test_what_a_held_object_reaches_is_not_retained():
    inner = [bytearray(10), bytearray(20)]
    mid = [inner, bytearray(30)]
    x = [mid, bytearray(40)]
    REG.append(mid)
    del inner, mid
    assert heapscope.retained_size(x) == sizes(x, x[1])


def test_shared_inside_is_retained_and_cycles_back_to_x_do_not_hold():
    shared = bytearray(500)
    x = Node()
    x.a, x.b = [shared, None], [shared]
    x.a[1] = x  # a cycle back to x: not a holder of anything
    del shared
    assert heapscope.retained_size(x) == sizes(x, x.a, x.b, x.b[0])


def test_a_cycle_held_from_a_member_retains_nothing_past_it():
    a, b = [], []
    a.append(b)
    b.append(a)
    b.append(bytearray(100))
    x = [a]
    REG.append(b)
    del a, b
    assert heapscope.retained_size(x) == sys.getsizeof(x)


def test_instance_dict_made_while_values_are_inline():
    """3.13 keeps the values inline when __dict__ is made: they are the instance's
    references, listed once (the dict adds none); 3.11/3.12 move them to the dict."""
    x = Plain()
    x.a, x.b = [bytearray(100)], bytearray(200)
    vars(x)  # the __dict__ object now exists
    REG.append(x.a)
    assert heapscope.retained_size(x) == sizes(x, vars(x), x.b)
    REG.clear()
    assert heapscope.retained_size(x) == sizes(x, vars(x), x.b, x.a, x.a[0])


def test_dict_keys_and_values():
    x = {"key-only-here-%d" % i: bytearray(i + 1) for i in range(50)}
    assert heapscope.retained_size(x) == sizes(x, *x.keys(), *x.values())


def test_held_by_a_c_extension_is_not_retained():
    x = [bytearray(64), [bytearray(128)]]
    incref(x[1])  # a reference nobody on the heap accounts for
    try:
        assert heapscope.retained_size(x) == sizes(x, x[0])
    finally:
        decref(x[1])
    assert heapscope.retained_size(x) == sizes(x, x[0], x[1], x[1][0])


class RaisingSizeof:
    def __sizeof__(self):
        raise RuntimeError("no size")


class BigSizeof:
    def __sizeof__(self):
        return 12345


def test_python_sizeof_and_a_raising_one():
    x = [BigSizeof(), RaisingSizeof()]
    snap = heapscope.snapshot(graph=True, collect=None)
    raising = heapscope.retained_size(x[1])  # the basic size: no exception escapes
    assert raising > 0 and raising == snap.retained_size(x[1])
    assert heapscope.retained_size(x[0]) == sys.getsizeof(x[0]) > 12345
    assert heapscope.retained_size(x) == snap.retained_size(x) == sizes(x, x[0]) + raising


def test_not_on_the_heap():
    snap = heapscope.snapshot()
    assert heapscope.retained_size(snap) is None  # heapscope's own
    assert heapscope.retained_size(sys) == sys.getsizeof(sys)  # its __dict__ is held by frames/builtins too


def test_million_deep_linked_list():
    head = node = Node()
    for _ in range(1_000_000 - 1):
        node.a = Node()
        node = node.a
    del node
    assert heapscope.retained_size(head) == 1_000_000 * sys.getsizeof(head)


class L(list):
    __slots__ = ("__weakref__",)


class D(dict):
    __slots__ = ("__weakref__",)


class B(bytearray):
    __slots__ = ("__weakref__",)


class WNode:
    __slots__ = ("a", "b", "c", "__weakref__")


@pytest.mark.parametrize("seed", range(8))
def test_equals_the_dominator_tree_on_random_structures(seed):
    rng = random.Random(seed)
    objs = random_structure(rng, (WNode, L, D, Plain, lambda: B(rng.randrange(100))), 120)
    REG.extend(rng.sample(objs, 15))
    refs = [weakref.ref(o) for o in objs]
    del objs
    gc.collect()  # what REG does not reach goes away
    snap = heapscope.snapshot(graph=True, collect=None)
    live = [r for r in refs if r() is not None]
    expected = [snap.retained_size(r()) for r in live]
    got = [heapscope.retained_size(r()) for r in live]
    assert got == expected
    more = sum(1 for r, e in zip(live, expected) if e > sys.getsizeof(r()))
    assert len(live) >= 15 and more >= 3  # some retain more than themselves


@pytest.mark.parametrize("general", [False, True])
def test_dict_subclass_items_held_elsewhere(general):
    """A dict subclass's traverse shows its values (and the keys of a general table);
    the walk adds only the keys it skips, so no reference is counted twice."""
    from collections import OrderedDict, defaultdict
    for cls in (lambda: defaultdict(list), OrderedDict):
        x = [cls()]  # no frame variable holds the dict, nor a fresh int key
        x[0][int("987654321012") if general else "str-key"] = [bytearray(300)]
        (key,) = x[0]
        extra = sys.getsizeof(key) if general else 0  # the str key is a constant of this code
        REG.append(x[0][key])
        del key
        assert heapscope.retained_size(x) == sizes(x, x[0]) + extra
        REG.clear()
        assert heapscope.retained_size(x) == sizes(x, x[0], *x[0].values(), *next(iter(x[0].values()))) + extra


def test_refused_from_a_gc_callback():
    """Both graph-free searches refuse to run inside a collection, like every walk."""
    seen = []

    def cb(phase, info):
        if phase == "start":
            for call in (lambda: heapscope.retained_size(REG), lambda: heapscope.why_alive(REG, max_paths=1)):
                try:
                    call()
                except RuntimeError as e:
                    seen.append(str(e))
    gc.callbacks.append(cb)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(cb)
    assert len(seen) == 2 and all("garbage collector is running" in e for e in seen), seen
