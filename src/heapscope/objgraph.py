"""Drop-in for objgraph's type-counting helpers, over every live object.

``typestats``, ``most_common_types``, ``show_most_common_types``, ``growth``,
``show_growth``, ``count`` and ``by_type`` take objgraph's arguments and print
objgraph's formats, but count from one C heap walk, so untracked objects
(strs, ints, floats, atomic tuples and dicts) are seen too.  The walk runs
before anything these helpers build exists, so their own dicts and lists are
never counted.

Without ``peak_stats``, ``growth`` and ``show_growth`` keep the peaks in
``_peaks``, one module-level dict that heap walks never count, shared by both
and kept for the life of the process (objgraph keeps them in a mutable default
argument).  A
dict passed as ``peak_stats`` is used and updated instead; it is a live object
like any other, so the names and counts first stored in it are counted, once,
by the next call.
"""
import gc
import sys

from heapscope import _core

__all__ = ["typestats", "most_common_types", "show_most_common_types", "growth",
           "show_growth", "count", "by_type"]


class _Peaks(dict):
    """The default peak counts: a dict that heap walks never count."""

    __slots__ = ()


_peaks = _Peaks()
_core.own_type(_Peaks)


def _name(tp, shortnames):
    """objgraph's type name: ``__name__``, or ``module.__name__`` when not short."""
    if shortnames:
        return tp.__name__
    module = getattr(tp, "__module__", None)
    return "%s.%s" % (module, tp.__name__) if module else tp.__name__


def _type_counts(objects, filter):
    """``(type, count)`` pairs of ``objects``, or of every live object if None."""
    if objects is None and not filter:
        return _core.type_stats()
    if objects is None:
        objects = _core.get_objects()
    counts = {}
    for o in objects:
        if not filter or filter(o):
            tp = type(o)
            counts[tp] = counts.get(tp, 0) + 1
    return counts.items()


def typestats(objects=None, shortnames=True, filter=None):
    """``{type name: count}`` over ``objects``, or every live object if None.

    filter -- if given, only objects for which ``filter(obj)`` is true count
    """
    counts = _type_counts(objects, filter)  # before anything is built: it would be counted
    stats = {}
    for tp, n in counts:
        name = _name(tp, shortnames)
        stats[name] = stats.get(name, 0) + n
    return stats


def most_common_types(limit=10, objects=None, shortnames=True, filter=None):
    """``[(type name, count)]``, most frequent first; at most ``limit`` (None: all)."""
    stats = sorted(typestats(objects, shortnames, filter).items(),
                   key=lambda item: item[1], reverse=True)
    return stats[:limit] if limit else stats


def show_most_common_types(limit=10, objects=None, shortnames=True, file=None, filter=None):
    """Print ``most_common_types`` as objgraph does (nothing if there is none)."""
    stats = most_common_types(limit, objects, shortnames, filter)
    if file is None:
        file = sys.stdout
    width = max((len(name) for name, _ in stats), default=0)
    for name, n in stats:
        file.write("%-*s %i\n" % (width, name, n))


def growth(limit=10, peak_stats=None, shortnames=True, filter=None):
    """``[(type name, count, increase)]`` of the types now above their peak.

    Runs ``gc.collect()`` first.  A type is reported only when its count is
    above its previous peak, which is then raised.  Largest increases first,
    at most ``limit`` (None: all).

    peak_stats -- dict of peaks to use and update; None: heapscope's own
    """
    gc.collect()
    stats = typestats(None, shortnames, filter)
    if peak_stats is None:
        peak_stats = _peaks
    deltas = []
    for name, n in stats.items():
        peak = peak_stats.get(name, 0)
        if n > peak:
            deltas.append((name, n, n - peak))
            peak_stats[name] = n
    deltas.sort(key=lambda row: row[2], reverse=True)
    return deltas[:limit] if limit else deltas


def show_growth(limit=10, peak_stats=None, shortnames=True, file=None, filter=None):
    """Print ``growth`` as objgraph does; nothing if no type grew."""
    rows = growth(limit, peak_stats, shortnames, filter)
    if not rows:
        return
    if file is None:
        file = sys.stdout
    width = max(len(name) for name, _, _ in rows)
    for name, n, delta in rows:
        file.write("%-*s%9d %+9d\n" % (width, name, n, delta))


def count(typename, objects=None):
    """Number of objects whose type is named ``typename`` (``module.Name`` if dotted)."""
    shortnames = "." not in typename
    total = 0
    for tp, n in _type_counts(objects, None):  # a generator would be alive during the walk
        if _name(tp, shortnames) == typename:
            total += n
    return total


def by_type(typename, objects=None):
    """The objects whose type is named ``typename`` (``module.Name`` if dotted).

    Without ``objects``, every live object is looked at, from a fresh walk.
    """
    if objects is None:
        objects = _core.get_objects()
    shortnames = "." not in typename
    matches = {}
    found = []
    for o in objects:
        tp = type(o)
        hit = matches.get(tp)
        if hit is None:
            hit = matches[tp] = _name(tp, shortnames) == typename
        if hit:
            found.append(o)
    return found
