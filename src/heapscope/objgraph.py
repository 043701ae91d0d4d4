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

``find_backref_chain``, ``find_ref_chain``, ``show_backrefs`` and
``show_refs`` take objgraph's arguments and give its results, but search one
reference graph built by one heap walk (C: ``csrc/refsearch.c``) instead of
calling ``gc.get_referrers`` (a scan of every tracked object) per object
visited.  The search takes strong references to every object within
``max_depth`` while the walk's addresses are valid; predicates, filters and
labels run afterwards, on those references, and they are all dropped before
returning.  Differences from objgraph:

- heapscope's own objects and frames (and every frame still running) are
  never on a chain or in a graph; containers the GC does not track, and
  objects frozen by ``gc.freeze()``, are (objgraph never sees them);
- the graph is written by C (``csrc/dot.c``): one statement per node, every
  string escaped (see ``heapscope.dot``), edges labelled by
  ``why_alive``'s code (``.attr``, ``['key']``, ``[3]``, ``.__dict__``, closure
  cells ``.<cell name>``) where objgraph labels only dict keys, ``__dict__``,
  methods and function attributes;
- ``show_backrefs`` stops at every module (objgraph: at modules found in
  ``sys.modules`` under their name);
- without ``filename`` or ``output`` the graph is rendered to a PNG when
  ``dot`` is on PATH (no ``xdot`` viewer is spawned, no IPython display).
"""
import gc
import os
import sys
import types

from heapscope import _core
from heapscope.paths import _edge

__all__ = ["typestats", "most_common_types", "show_most_common_types", "growth",
           "show_growth", "count", "by_type", "find_backref_chain", "find_ref_chain",
           "show_backrefs", "show_refs"]


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


# ---- chains --------------------------------------------------------------------------


def find_backref_chain(obj, predicate, max_depth=20, extra_ignore=()):
    """A shortest chain of references leading to ``obj`` from an object for
    which ``predicate(object)`` is true: ``[found, ..., obj]``, or ``[obj]``.

    extra_ignore -- ids of objects the chain must not go through
    """
    gc.collect()
    return _core.find_chain(obj, predicate, max_depth, True, extra_ignore)


def find_ref_chain(obj, predicate, max_depth=20, extra_ignore=()):
    """A shortest chain of references from ``obj`` to an object for which
    ``predicate(object)`` is true: ``[obj, ..., found]``, or ``[obj]``."""
    gc.collect()
    return _core.find_chain(obj, predicate, max_depth, False, extra_ignore)[::-1]


# ---- graphs --------------------------------------------------------------------------


def show_backrefs(objs, max_depth=3, extra_ignore=(), filter=None, too_many=10,
                  highlight=None, filename=None, extra_info=None,
                  refcounts=False, shortnames=True, output=None,
                  extra_node_attrs=None):
    """Graphviz graph of what refers to ``objs`` (one object, or a list or
    tuple of them), ``max_depth`` references deep; objgraph's arguments.

    output   -- a file object: the DOT text is written to it
    filename -- ``.dot``: the DOT text; ``.png``/``.svg``/``.pdf``/...: an
                image rendered by ``dot`` (if not on PATH: a message, and the
                DOT text is kept in a ``.dot`` file of the same stem)
    """
    return _show_graph(objs, True, max_depth, extra_ignore, filter, too_many, highlight,
                       filename, extra_info, refcounts, shortnames, output, extra_node_attrs)


def show_refs(objs, max_depth=3, extra_ignore=(), filter=None, too_many=10,
              highlight=None, filename=None, extra_info=None,
              refcounts=False, shortnames=True, output=None,
              extra_node_attrs=None):
    """Graphviz graph of what ``objs`` refer to, ``max_depth`` references
    deep; objgraph's arguments (see ``show_backrefs``)."""
    return _show_graph(objs, False, max_depth, extra_ignore, filter, too_many, highlight,
                       filename, extra_info, refcounts, shortnames, output, extra_node_attrs)


def _show_graph(objs, backwards, max_depth, extra_ignore, filter, too_many, highlight,
                filename, extra_info, refcounts, shortnames, output, extra_node_attrs):
    if filename and output:
        raise ValueError("Cannot specify both output and filename.")
    wrapped = not isinstance(objs, (list, tuple))
    if wrapped:
        objs = [objs]
    # One walk: everything within max_depth, held strongly (objs itself is never entered).
    gc.collect()
    found, adj = _core.neighbourhood(objs, max_depth, backwards, extra_ignore, backwards)
    counts = None
    if refcounts:
        # less heapscope's own references: the list found, the loop variable, getrefcount's
        # argument, and the list a single object was wrapped in
        counts = [sys.getrefcount(o) - 3 for o in found]
        for p in range(len(objs) if wrapped else 0):
            counts[p] -= 1
    nodes, edges, shown = _layout(found, adj, len(objs), backwards, max_depth, filter, too_many,
                                  highlight, extra_info, counts, shortnames, extra_node_attrs)
    text = _core.dot("ObjectGraph",
                     [("node", [("shape", "box"), ("style", "filled"), ("fillcolor", "white")])],
                     nodes, edges)
    del found, adj
    if output is not None:
        output.write(text)
        return None
    from heapscope import dot as _dot  # subprocess, tempfile: imported only to draw

    if not filename:
        filename = _dot._temp_name(".png")
    written = _dot._write(text, filename)
    print("Graph written to %s (%d nodes)" % (written, shown))
    return None


def _layout(found, adj, nseeds, backwards, max_depth, filter, too_many, highlight,
            extra_info, counts, shortnames, extra_node_attrs):
    """objgraph's breadth-first layout over the neighbourhood found:
    ([(node id, attrs)], [(source id, target id, attrs)], objects shown)."""
    nodes, edges = [], []
    depth = {}
    queue = []
    for p in range(nseeds):
        if id(found[p]) not in depth:
            depth[id(found[p])] = 0
            queue.append(p)
    head = 0
    while head < len(queue):
        p = queue[head]
        head += 1
        target = found[p]
        tdepth = depth[id(target)]
        nid = _node_id(target)
        attrs = [("label", _obj_label(target, extra_info, counts and counts[p], shortnames))]
        h, s, v = _gradient((0, 0, 1), (0, 0, .3), tdepth, max_depth)
        if isinstance(target, types.ModuleType):
            h, s = .3, 1
        if highlight and highlight(target):
            h, s, v = .6, .6, 0.5 + v * 0.5
        attrs.append(("fillcolor", "%g,%g,%g" % (h, s, v)))
        if p < nseeds:
            attrs.append(("fontcolor", "red"))
        elif v < 0.5:
            attrs.append(("fontcolor", "white"))
        if extra_node_attrs is not None:
            extra = extra_node_attrs(target)
            attrs.extend((k, val) for k, val in sorted(extra.items()) if val is not None)
        nodes.append((nid, attrs))
        if _has_del(type(target)):
            nodes.append((nid + "_has_a_del", [("label", "__del__"), ("shape", "doublecircle"),
                                                ("height", "0.25"), ("color", "red"),
                                                ("fillcolor", "0,.5,1"), ("fontsize", "6")]))
            edges.append((nid, nid + "_has_a_del", [("color", "red"), ("style", "dotted"),
                                                      ("len", "0.25"), ("weight", "10")]))
        if tdepth >= max_depth or adj[p] is None:
            continue
        if backwards and _is_proper_module(target):
            continue
        n = skipped = 0
        for q in adj[p]:
            source = found[q]
            if filter and not filter(source):
                continue
            if n >= too_many:
                skipped += 1
                continue
            src, tgt = (source, target) if backwards else (target, source)
            edges.append((_node_id(src), _node_id(tgt), _edge_attrs(src, tgt)))
            if id(source) not in depth:
                depth[id(source)] = tdepth + 1
                queue.append(q)
            n += 1
        if skipped:
            h, s, v = _gradient((0, 1, 1), (0, 1, .3), tdepth + 1, max_depth)
            more = "too_many_" + nid
            label = "%d more %s" % (skipped, "backreferences" if backwards else "references")
            nodes.append((more, [("label", label), ("shape", "box"), ("height", "0.25"),
                                 ("color", "red"), ("fillcolor", "%g,%g,%g" % (h, s, v)),
                                 ("fontsize", "6"), ("fontcolor", "white")]))
            a, b = (more, nid) if backwards else (nid, more)
            edges.append((a, b, [("color", "red"), ("style", "dotted"), ("len", "0.25"),
                                 ("weight", "10")]))
    return nodes, edges, len(queue)


def _node_id(obj):
    return "o%d" % id(obj)


def _edge_attrs(src, tgt):
    """Label an edge the way why_alive names a step."""
    kind, what = e = _core.edge(src, tgt)
    text = _edge(e).strip()
    if not text:
        return []
    return [("label", text), ("weight", "10" if kind == "attr" else "2")]


def _has_del(tp):
    """Whether instances of tp have a __del__, read from the classes' own
    dicts (a metaclass __getattribute__ never runs)."""
    for k in type.__dict__["__mro__"].__get__(tp):
        if "__del__" in type.__dict__["__dict__"].__get__(k):
            return True
    return False


def _is_proper_module(obj):
    if not isinstance(obj, types.ModuleType):
        return False
    name = getattr(obj, "__name__", None)
    return isinstance(name, str) and sys.modules.get(name) is obj


def _gradient(start, end, depth, max_depth):
    if max_depth == 0:
        return start
    f = float(depth) / max_depth
    return tuple(a * (1 - f) + b * f for a, b in zip(start, end))


def _obj_label(obj, extra_info, refcount, shortnames):
    tp = type(obj)
    try:
        name = _name(tp, shortnames)
    except Exception:  # noqa: BLE001 -- a metaclass __getattribute__ that raises
        name = type.__dict__["__name__"].__get__(tp)
    if refcount is not None:
        name += " [%d]" % refcount
    lines = [name, _short_repr(obj)]
    if extra_info:
        lines.append(str(extra_info(obj)))
    return "\n".join(lines)


def _short_repr(obj):
    """objgraph's short description; "(unrepresentable)" when it raises."""
    try:
        if isinstance(obj, (type, types.ModuleType, types.BuiltinFunctionType)):
            return _name_of(obj)
        if isinstance(obj, types.MethodType):
            return _name_of(obj.__func__) + (" (bound)" if obj.__self__ is not None else "")
        if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
            return "lambda: %s:%s" % (os.path.basename(obj.__code__.co_filename),
                                      obj.__code__.co_firstlineno)
        if isinstance(obj, types.FrameType):
            return "%s:%s" % (obj.f_code.co_filename, obj.f_lineno)
        if type(obj) in (tuple, list, dict, set) or isinstance(obj, (tuple, list, dict, set)):
            return "%d items" % len(obj)
        return repr(obj)[:40]
    except Exception:  # noqa: BLE001 -- hostile __repr__/__len__/__getattr__
        return "(unrepresentable)"


def _name_of(obj):
    name = getattr(obj, "__name__", None)
    return name if isinstance(name, str) else repr(obj)[:40]



for _fn in (find_backref_chain, find_ref_chain, show_backrefs, show_refs, _show_graph):
    _core.hide_frames(_fn.__code__)
