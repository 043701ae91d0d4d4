"""heapscope.find_backref_chain / find_ref_chain: objgraph's chains from one
heap walk, with objgraph 3.x as the oracle (same objects when the shortest
chain is unique, same length otherwise), through dicts, lists, instance
attributes, closures and bound methods.

Structures hang off module-level stores so that their chains do not go
through the test's frame; predicates pick a store by identity.
"""
import gc
import inspect
import sys
import types
import weakref

import pytest

import heapscope

objgraph = pytest.importorskip("objgraph")

ANCHOR = {}
OTHER = []


@pytest.fixture(autouse=True)
def _clean():
    yield
    ANCHOR.clear()
    OTHER.clear()


class Leaf:
    pass


class Holder:
    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


class Slotted:
    __slots__ = ("a", "b")


def is_anchor(o):
    return o is ANCHOR


def both_back(obj, predicate=is_anchor, **kw):
    mine = heapscope.find_backref_chain(obj, predicate, **kw)
    theirs = objgraph.find_backref_chain(obj, predicate, **kw)
    return mine, theirs


def both_fwd(obj, predicate, **kw):
    mine = heapscope.find_ref_chain(obj, predicate, **kw)
    theirs = objgraph.find_ref_chain(obj, predicate, **kw)
    return mine, theirs


def same(mine, theirs):
    assert [id(o) for o in mine] == [id(o) for o in theirs]


def test_through_dicts_and_lists():
    t = Leaf()
    ANCHOR["a"] = [{"b": [t]}]
    mine, theirs = both_back(t)
    same(mine, theirs)
    assert len(mine) == 5 and mine[0] is ANCHOR and mine[-1] is t
    assert mine[1] is ANCHOR["a"] and mine[3] is ANCHOR["a"][0]["b"]


def test_through_instance_attributes():
    t = Leaf()
    ANCHOR["h"] = Holder(x=Holder(y=t))
    s = Slotted()
    s.a = t
    mine, theirs = both_back(t)
    assert len(mine) == len(theirs)
    assert mine[0] is ANCHOR and mine[-1] is t
    # 3.11+: anchor -> Holder -> Holder -> t; before: with each instance __dict__
    assert len(mine) == (4 if sys.version_info >= (3, 11) else 6)
    same(mine, theirs)


def test_through_closures_and_methods():
    t = Leaf()

    def make(captured):
        def inner():
            return captured
        return inner

    ANCHOR["f"] = make(t)
    ANCHOR["m"] = types.MethodType(lambda self: None, make(t))
    mine, theirs = both_back(t)
    same(mine, theirs)  # anchor -> function -> closure tuple -> cell -> t
    assert len(mine) == 5
    assert type(mine[2]) is tuple and type(mine[3]).__name__ == "cell"


def test_find_ref_chain_matches():
    t = Leaf()
    ANCHOR["deep"] = {"x": [(1, Holder(v=[t]))]}
    OTHER.append(t)
    mine, theirs = both_fwd(ANCHOR, lambda o: o is t)
    same(mine, theirs)
    assert mine[0] is ANCHOR and mine[-1] is t
    assert len(mine) == (7 if sys.version_info >= (3, 11) else 8)


def test_module_predicate_matches():
    t = Leaf()
    OTHER.append({"k": t})
    mine, theirs = both_back(t, inspect.ismodule)
    assert len(mine) == len(theirs) == 5  # module, its dict, OTHER, the dict, t
    same(mine, theirs)
    assert mine[0] is sys.modules[__name__]


def test_max_depth_respected():
    t = Leaf()
    x = t
    for _ in range(8):
        x = [x]
    ANCHOR["c"] = x
    del x
    for depth in (3, 8):
        mine, theirs = both_back(t, max_depth=depth)
        assert mine == [t] and theirs == [t]
    mine, theirs = both_back(t, max_depth=9)
    same(mine, theirs)
    assert len(mine) == 10
    mine = heapscope.find_ref_chain(ANCHOR, lambda o: o is t, max_depth=8)
    assert mine == [ANCHOR]


def test_not_found_and_self():
    t = Leaf()
    assert heapscope.find_backref_chain(t, lambda o: False) == [t]
    assert heapscope.find_ref_chain(t, lambda o: False) == [t]
    # the object itself is tested first
    assert heapscope.find_backref_chain(t, lambda o: o is t) == [t]


def test_extra_ignore_matches():
    t = Leaf()
    short = [t]
    ANCHOR["short"] = short
    ANCHOR["long"] = [[[t]]]
    mine, theirs = both_back(t)
    assert len(mine) == 3
    mine, theirs = both_back(t, extra_ignore=(id(short),))
    same(mine, theirs)
    assert len(mine) == 5 and not any(o is short for o in mine)


def test_predicate_raising_propagates_and_holds_nothing():
    t = Leaf()
    victim = Holder()
    ANCHOR["v"] = victim
    victim.t = t
    ref = weakref.ref(victim)
    calls = []

    def boom(o):
        calls.append(type(o).__name__)
        if len(calls) == 3:
            raise KeyError("predicate failed")
        return False

    before = sys.getrefcount(t)
    with pytest.raises(KeyError, match="predicate failed"):
        heapscope.find_backref_chain(t, boom)
    assert len(calls) == 3
    assert sys.getrefcount(t) == before
    ANCHOR.clear()
    del victim
    gc.collect()
    assert ref() is None


def test_predicate_sees_no_heapscope_objects():
    t = Leaf()
    ANCHOR["t"] = [t]
    seen = []

    def record(o):
        seen.append(o)
        return False

    heapscope.find_backref_chain(t, record, max_depth=4)
    assert seen[0] is t
    for o in seen:
        if isinstance(o, types.FrameType):
            assert "heapscope" not in o.f_code.co_filename
        assert o is not seen
    del seen[:]


def test_untracked_container_is_on_the_chain():
    # documented difference: objgraph walks gc.get_referrers, which never
    # returns containers the GC does not track
    t = "".join(["untracked", "-", str(id(ANCHOR))])
    d = {"s": t}
    ANCHOR["d"] = d
    assert not gc.is_tracked(d)
    mine, theirs = both_back(t)
    assert [id(o) for o in mine] == [id(ANCHOR), id(d), id(t)]
    assert theirs == [t]


class Hostile:
    def __eq__(self, other):
        raise RuntimeError("no comparisons")

    def __hash__(self):
        raise RuntimeError("no hashing")

    def __repr__(self):
        raise RuntimeError("no repr")


def test_hostile_objects_on_the_chain():
    t = Leaf()
    h = Hostile()
    h.t = t
    ANCHOR["h"] = h
    mine, theirs = both_back(t)
    same(mine, theirs)
    assert mine[1] is h


def test_bad_arguments():
    with pytest.raises(TypeError):
        heapscope.find_backref_chain(Leaf(), None)
    with pytest.raises(TypeError):
        heapscope.find_backref_chain(Leaf(), is_anchor, extra_ignore=["x"])
