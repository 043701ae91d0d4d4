"""Shared helpers for heapscope's tests."""
import contextlib
import ctypes
import gc
import threading

import pytest

from heapscope import _core


def heap_ids():
    """ids of every object the C walk finds (the list itself is made after the walk)."""
    objs = _core.get_objects()
    ids = set(map(id, objs))
    assert len(ids) == len(objs), "an object was listed twice"
    del objs
    return ids


def find_by_id(oid):
    """The live object with this id, found by a fresh walk (never by dereferencing an address)."""
    for o in _core.get_objects():
        if id(o) == oid:
            return o
    return None


# A reference no object on the heap accounts for, as a C extension holds one.
incref = ctypes.pythonapi.Py_IncRef
decref = ctypes.pythonapi.Py_DecRef
for _f in (incref, decref):
    _f.argtypes, _f.restype = [ctypes.py_object], None


@contextlib.contextmanager
def other_thread(target):
    """Run target(ready, release) in a thread; inside the block it has set ready and
    waits for release (its frame is running), after the block it has ended."""
    ready, release = threading.Event(), threading.Event()
    th = threading.Thread(target=target, args=(ready, release))
    th.start()
    try:
        assert ready.wait(10)
        yield
    finally:
        release.set()
        th.join()


def random_structure(rng, kinds, n, fanout=3):
    """n objects, each made by one of kinds (a callable) at random, with up to fanout
    random references each between them: attributes a/b/c of objects without a
    __dict__ (slots), attributes x0..x2 of the others, items of lists, values of dicts
    under fresh int keys."""
    objs = [rng.choice(kinds)() for _ in range(n)]
    for o in objs:
        for _ in range(rng.randrange(fanout + 1)):
            t = rng.choice(objs)
            if isinstance(o, list):
                o.append(t)
            elif isinstance(o, dict):
                o[rng.randrange(1000, 2000)] = t
            elif type(o).__dictoffset__:  # (hasattr(o, "__dict__") would make the dict on 3.11+)
                setattr(o, "x%d" % rng.randrange(3), t)
            elif hasattr(type(o), "a"):
                setattr(o, rng.choice("abc"), t)
    return objs


@pytest.fixture
def pympler():
    """Pympler 1.1 as an oracle (its muppy, summary and tracker modules)."""
    pkg = pytest.importorskip("pympler")
    import pympler.muppy
    import pympler.summary
    import pympler.tracker  # noqa: F401
    return pkg


@pytest.fixture(autouse=True)
def _gc_enabled_after():
    yield
    assert gc.isenabled(), "a heapscope call left the garbage collector disabled"
