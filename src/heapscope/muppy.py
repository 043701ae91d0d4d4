"""Drop-in for ``pympler.muppy``: every live object, found by a C heap walk.

Unlike Pympler (``gc.get_objects()`` plus one hop of referents), the walk
finds every object: the permanent generation of ``gc.freeze()``, untracked
objects at any depth, the str keys of dicts, static types, code objects'
constants, and the locals of frames running on every thread.  Frames still
running are not listed (``include_frames=True`` adds the caller's stack, as
Pympler does), and heapscope's own bookkeeping never is.
"""
import gc
import sys

from heapscope import _core, summary
from heapscope._gc import DEFAULT_COLLECT, collect as _collect

__all__ = ["get_objects", "get_size", "get_diff", "sort", "filter", "get_referents", "print_summary"]


def get_objects(remove_dups=True, include_frames=False, collect=DEFAULT_COLLECT):
    """Return a list of every live object.

    remove_dups    -- kept for Pympler compatibility; the list never has duplicates
    include_frames -- also list the frames of the caller's stack
    collect        -- garbage collection first: 0, 1 (default), 2 (full, as Pympler) or None
    """
    _collect(collect)
    res = _core.get_objects()
    if include_frames:
        f = sys._getframe(1)
        f = f.f_back if f is not None else None
        while f is not None:
            res.append(f)
            f = f.f_back
    return res


def get_size(objects):
    """Total ``sys.getsizeof`` of the objects."""
    return sum(row[2] for row in _core.summarize(objects))


def get_diff(left, right):
    """``{'+': objects only in right, '-': objects only in left}``, by identity; linear."""
    added, removed = _core.identity_diff(left, right)
    return {"+": added, "-": removed}


def sort(objects):
    """The objects sorted by size, ascending."""
    return sorted(objects, key=_core.sizeof)


def filter(objects, Type=None, min=-1, max=-1):
    """Objects of type ``Type`` (isinstance) with ``min < size < max`` (-1: no bound)."""
    if min > max and max > -1:
        raise ValueError("minimum must be smaller than maximum")
    if Type is not None:
        objects = [o for o in objects if isinstance(o, Type)]
    if min > -1:
        objects = [o for o in objects if _core.sizeof(o) > min]
    if max > -1:
        objects = [o for o in objects if _core.sizeof(o) < max]
    return objects


def get_referents(object, level=1):
    """Objects referred to by ``object`` (``gc.get_referents``), ``level`` hops deep."""
    res = gc.get_referents(object)
    level -= 1
    if level > 0:
        for o in res:
            res.extend(get_referents(o, level))
    seen = set()
    out = []
    for o in res:
        if id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


def print_summary(file=None, collect=DEFAULT_COLLECT, detail=False, retained=False):
    """Print a summary of every live object (from a C walk, no object list).

    retained -- add a fourth column, the bytes each label's objects retain
                together (a graph snapshot and its dominator tree: slower,
                and about 100 bytes an object while it runs)
    """
    _collect(collect)
    if retained:
        _core.graph_snapshot(False).print(file=file, detail=detail, retained=True)
        return
    summary.print_(_core.summarize_heap(detail), file=file)


def ignore_object(obj):
    """Pympler's frame filter (kept for compatibility)."""
    return isinstance(obj, type(sys._getframe()))

