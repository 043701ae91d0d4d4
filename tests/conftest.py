"""Shared helpers for heapscope's tests."""
import gc

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
