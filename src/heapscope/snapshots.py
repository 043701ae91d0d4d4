"""Snapshots of the live heap, and diffs that know which objects are new.

``snapshot()`` records every live object (address, type, size, default and
detailed label) in C memory: 16 bytes an object (24 on 3.13+), no reference
to any of them, invisible to later walks.  ``new.diff(old)`` gives per-label
deltas and the objects of ``new`` that were not alive in ``old``;
``SnapshotDiff.new_objects()`` finds those that are still alive with a fresh
heap walk.

Identity across address reuse: CPython reuses a freed address for the next
object of the same size class almost at once.  On 3.13+ every snapshot takes
part in a series during which a reference tracer numbers new objects (it
chains to tracemalloc's), so identity is exact while any snapshot is alive.
Before 3.13 an object at a reused address counts as new when the GC lists or
its size tell it apart; a same-size untracked object (a float, a short str)
or a GC-tracked one that has reached the same generation can pass for the old
one.  ``find_leaks`` freezes the old heap into the permanent generation while
it runs, which makes identity exact for GC-tracked objects on every version.
"""
from heapscope import _core
from heapscope._gc import DEFAULT_COLLECT, collect as _collect

__all__ = ["snapshot", "diff", "Snapshot", "SnapshotDiff"]

Snapshot = _core.Snapshot
SnapshotDiff = _core.SnapshotDiff


def snapshot(collect=DEFAULT_COLLECT, identity=True, graph=False, names=False):
    """A Snapshot of every live object.

    collect  -- garbage collection first: 0, 1 (default), 2 or None
    identity -- on 3.13+, number objects created from now on while this
                snapshot lives (exact diffs; object creation costs more)
    graph    -- add the reference graph and its roots (8 bytes a reference,
                12 an object): ``heapscope.why_alive(obj, snap=...)``
    names    -- with graph: also name every reference (``.attr``, ``['key']``,
                ``[3]``...; 4 bytes a reference plus the distinct names), so
                that a saved heap file shows named paths offline
    """
    if names and not graph:
        raise ValueError("names=True needs graph=True")
    _collect(collect)
    if graph:
        return _core.graph_snapshot(identity, names)
    return _core.snapshot(identity)


def diff(old, new):
    """``new.diff(old)``: what changed from ``old`` to ``new``."""
    if not isinstance(old, Snapshot) or not isinstance(new, Snapshot):
        raise TypeError("diff(old, new) expects two Snapshots")
    return new.diff(old)
