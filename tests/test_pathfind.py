"""why_alive(obj, max_paths=1) without a graph (csrc/pathfind.c): a forward search
from the module and frame roots.  The graph search (``_core.why_alive(..., graph=True)``)
is the oracle: both must return a shortest path of the same length from the same kind
of root, and every step of the forward search's path must be a real reference.
Where only the graph knows the root (held from outside, the caller's own variable),
the answer must be the graph's.
"""
import gc
import random
import re
import sys
import weakref

import pytest

import heapscope
from conftest import decref, incref, other_thread, random_structure
from heapscope import _core

ROOT = "sys.modules[%r]" % __name__
REG = []
WEAK = {}


@pytest.fixture(autouse=True)
def _clean():
    yield
    REG.clear()
    WEAK.clear()
    gc.collect()


class Node:
    __slots__ = ("a", "b", "c", "__weakref__")


class Plain:
    pass


def refers(parent, child):
    """parent holds a reference to child (gc.get_referents, dict keys, managed dicts)."""
    if any(r is child for r in gc.get_referents(parent)):
        return True
    if isinstance(parent, dict) and any(k is child for k in parent):
        return True
    d = getattr(type(parent), "__dictoffset__", 0)
    return bool(d) and isinstance(parent, Plain) and any(v is child for v in vars(parent).values())


def fast(obj):
    return _core.why_alive((obj,), 1)[0]


def graph(obj):
    return _core.why_alive((obj,), 1, False, True)[0]


def check_real(raw, obj):
    """Every step of a raw path (kind, root, objects, edges) is a reference, ending at obj."""
    kind, root, objs, edges = raw
    assert objs[-1] is obj
    assert len(edges) == len(objs) - 1
    for p, c in zip(objs, objs[1:]):
        assert refers(p, c), (type(p), type(c))


@pytest.mark.parametrize("seed", range(5))
def test_same_length_and_root_kind_as_the_graph(seed):
    rng = random.Random(seed)
    held = random_structure(rng, (Node, list, dict, Plain, lambda: ["leaf"]), 40, fanout=2)
    REG.extend(rng.sample(held, 4))  # held: a frame root for all of them, the search must look further
    checked = 0
    for i in range(len(held)):
        f, g = fast(held[i]), graph(held[i])
        assert [p[0] for p in f] == [p[0] for p in g]
        assert [len(p[2]) for p in f] == [len(p[2]) for p in g]
        for p in f:
            check_real(p, held[i])
            checked += 1
    assert checked >= 4  # REG holds a tenth of them, and what they reach is rooted too


def test_path_text_matches_the_graph_when_there_is_one_shortest_path():
    REG.append({"a": [Node()]})
    REG[0]["a"][0].b = target = Plain()
    target.x = "not on the path"
    (p,) = heapscope.why_alive(REG[0]["a"][0].b, max_paths=1)
    assert str(p) == ROOT + ".REG -> list[0] -> dict['a'] -> list[0] -> Node.b -> Plain"
    (g,) = [heapscope.Path(*r) for r in graph(REG[0]["a"][0].b)]
    assert str(g) == str(p)
    del target


def test_own_local_falls_back_to_the_frame_root():
    mine = Plain()
    (p,) = heapscope.why_alive(mine, max_paths=1)
    assert p.kind == "frame" and re.fullmatch(
        r"thread \d+, test_own_local_falls_back_to_the_frame_root\(\), local mine: Plain", str(p))


def test_own_local_and_module_prefers_the_module():
    mine = Plain()
    REG.append(mine)
    (p,) = heapscope.why_alive(mine, max_paths=1)
    assert str(p) == ROOT + ".REG -> list[0] -> Plain"


def test_another_local_of_the_caller_is_a_root():
    box = [[Plain()]]
    (p,) = heapscope.why_alive(box[0][0], max_paths=1)
    assert re.fullmatch(r"thread \d+, test_another_local_of_the_caller_is_a_root\(\), local box: "
                        r"list\[0\] -> list\[0\] -> Plain", str(p)), str(p)


def holder(ready, release):
    kept = [Plain()]
    WEAK["kept"] = weakref.ref(kept[0])
    ready.set()
    release.wait()
    return kept


def test_local_of_another_thread():
    with other_thread(holder):
        paths = heapscope.why_alive(WEAK["kept"](), max_paths=1)
        g = graph(WEAK["kept"]())
    assert [str(p) for p in paths] == [str(heapscope.Path(*r)) for r in g]
    assert re.fullmatch(r"thread \d+, holder\(\), local kept: list\[0\] -> Plain", str(paths[0]))


def test_held_only_from_outside_is_answered_by_the_graph():
    obj = Node()
    WEAK["obj"] = weakref.ref(obj)
    obj.a = [Plain()]
    incref(obj)
    try:
        del obj
        paths = heapscope.why_alive(WEAK["obj"]().a[0], max_paths=1)
        assert [(p.kind, str(p)) for p in paths] == [
            ("outside", "held outside the Python heap (1 reference): Node.a -> list[0] -> Plain")]
    finally:
        decref(WEAK["obj"]())


def test_modules_and_objects_off_the_heap():
    (p,) = heapscope.why_alive(sys.modules[__name__], max_paths=1)
    assert str(p) == ROOT and p.kind == "module" and len(p) == 0
    snap = heapscope.snapshot()
    assert heapscope.why_alive(snap, max_paths=1) == []  # heapscope's own object
    for obj in (None, 7, int):  # held everywhere: equally short paths, ties broken differently
        f, g = fast(obj), graph(obj)
        assert [(p[0], len(p[2])) for p in f] == [(p[0], len(p[2])) for p in g]
        for p in f:
            check_real(p, obj)


def test_the_argument_tuple_is_no_way_through():
    """why_alive's own (obj,) argument holds obj; it must never be a step."""
    seq = (Plain(),)  # the only holder of its item, a local of this frame
    assert _core.why_alive(seq, 1)[0] == [] == _core.why_alive(seq, 1, False, True)[0]
    box = [seq[0]]
    (p,) = _core.why_alive(seq, 1)[0]
    assert p[2][0] is box and all(o is not seq for o in p[2])


def test_deep_chain_found_level_by_level():
    head = node = Node()
    for _ in range(5000):
        node.a = Node()
        node = node.a
    node.b = last = Plain()
    REG.append(head)
    del head, node
    glen = len(graph(last)[0][2])  # before raw holds the chain: raw's list would be a shorter path
    raw = fast(last)
    assert len(raw) == 1
    check_real(raw[0], last)
    assert len(raw[0][2]) == glen == 5001 + 4  # module, __dict__, REG, head .. last
    del last
