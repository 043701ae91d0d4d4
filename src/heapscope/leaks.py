"""``find_leaks``: repeat an action and report what it leaks, one cause per leak.

The tutorial's three questions in one call.  After ``warmup`` calls (which
fill caches and import what the action needs) the heap is collected and
snapshotted; then each repetition is followed by a full collection and a
snapshot that also records the length of every container.

**Is there a leak?**  From *net* growth, never from "new objects still
alive": for every label (and every kind of object, so that labels naming one
object each, such as ``module(plugin_3)``, are judged together) the live
count and bytes after each repetition, new objects alive minus old objects
that died; and for every object that existed before the repetitions and
changed, its length (entries) and size.  A series leaks when a trend test
over the repetitions after the warm-up says it grows for good (``_trend``:
Mann-Kendall and Theil-Sen, robust to a slow 0, 1, 1, 2, 2 leak).  A cache at
capacity that replaces its entries keeps its totals flat; dead weak
references that a list prunes lazily and bounded caches still filling are
named, not reported.  When the evidence is ambiguous, more repetitions run
(``repeat`` doubles, up to ``max_repeat``) before the answer.

**What leaks, and where?**  Once something grows, one graph snapshot of the
heap, taken while find_leaks holds none of the objects, groups the leaked
objects by their *accumulation point*: the old object through which they are
held (the nearest old object on their dominator chain), so that one cause is
one ``Leak`` however many labels leak with it, as Eclipse MAT's leak
suspects are.  Its culprit is the first specific label under the
accumulation point (a ``RequestAudit``, not the bound method, closure or dict
that hold it), its bytes what freeing the group frees, and its native bytes
what the allocator says grew and no object accounts for.

While the repetitions run, the objects that existed before them are frozen
into the GC's permanent generation (``gc.freeze()``; objects the program had
frozen itself wait aside and are put back afterwards), so a GC-tracked object
at a reused address is never mistaken for an old one; on 3.13+ creation
serials make identity exact for every object.
"""
import gc
import os
import re
import reprlib
import sys
import time

from heapscope import _core, _trend
from heapscope.paths import Path
from heapscope.summary import _pp

__all__ = ["find_leaks", "LeakReport", "Leak"]

_SAMPLES = 3
_REPR_WIDTH = 100
_LARGEST = 20  # rows of the largest types the report keeps
_MAX_LEAKS = 50  # causes a report keeps (largest first)

#: growth worth reporting: objects (or entries) per repetition, bytes per repetition
MIN_OBJECTS = 0.1
MIN_BYTES = 64
#: native bytes per repetition that no object accounts for, worth reporting
MIN_NATIVE = 64 * 1024
#: find_leaks' default cap on repetitions when the evidence is ambiguous
MAX_REPEAT = 40

#: labels that hold or carry objects rather than name what leaks: a culprit is
#: the first label under the accumulation point that is not one of these (as
#: Eclipse MAT skips collection classes when it names a leak suspect)
GENERIC = frozenset((
    "dict", "list", "tuple", "set", "frozenset", "cell", "function", "method", "frame", "code",
    "builtin_function_or_method", "method-wrapper", "functools.partial", "functools._lru_list_elem",
    "collections.deque", "collections.OrderedDict", "collections.defaultdict", "collections.ChainMap",
    "weakref.ReferenceType", "weakref.ProxyType", "weakref.CallableProxyType", "weakref.WeakMethod",
    "staticmethod", "classmethod", "property", "mappingproxy", "types.SimpleNamespace",
    "str", "bytes", "int", "float", "bool", "complex", "NoneType", "bytearray", "memoryview",
    "coroutine", "generator", "async_generator", "_contextvars.Context", "Context", "_asyncio.Future", "_asyncio.Task",
    "asyncio.events.TimerHandle", "asyncio.events.Handle",
))


#: objects whose size never changes in place: a size change at their address is another object
_IMMUTABLE = frozenset(("int", "str", "float", "tuple", "bytes", "frozenset", "complex", "bool", "code",
                        "range", "slice", "NoneType"))


class _Repr(reprlib.Repr):
    """reprlib's bounded reprs of containers; other reprs cut at the end."""

    def repr_instance(self, obj, level):
        return repr(obj)


_repr = _Repr()
_repr.maxstring = _REPR_WIDTH


def _safe_repr(obj):
    """A short repr that never raises (leaked objects can be hostile)."""
    try:
        r = _repr.repr(obj)
    except Exception as e:  # noqa: BLE001 -- any __repr__ may raise anything
        return "<%s object; repr() raised %s>" % (type(obj).__name__, type(e).__name__)
    return r if len(r) <= _REPR_WIDTH else r[: _REPR_WIDTH - 3] + "..."


def _num(x):
    return "%d" % x if x == int(x) else "%.1f" % x


def _size(b):
    return " ".join(_pp(int(round(b))).split())


_KIND = re.compile(r"^([A-Za-z_][\w.]*) ?\(")


def _kind(label):
    """The kind of object a detailed label names: ``module(plugin_3)`` ->
    ``module``, ``method (A.f)`` -> ``method``, ``dict of x.A`` -> ``dict``;
    other labels (a class, a type) are their own kind."""
    if label.startswith("dict of "):
        return "dict"
    m = _KIND.match(label)
    return m.group(1) if m else label


def _generic(label):
    return _kind(label) in GENERIC


def _detail_lines(leak, size, per, grows="", num=_num, samples=None, accumulation=True):
    """The lines under a leak's row: samples, allocation site, path, retained
    bytes (``size(bytes)``) and accumulation (``num(entries)``), rates ``per``
    unit."""
    lines = ["      e.g. %s" % _safe_repr(s) for s in leak.samples[:samples]]
    if leak.traceback is not None and len(leak.traceback):
        fr = leak.traceback[-1]
        lines.append("      allocated at %s:%d" % (fr.filename, fr.lineno))
    if leak.path is not None:
        lines.append("      kept alive by %s" % leak.path)
    if leak.retained is not None:
        lines.append("      retains %s %s" % (size(leak.retained), per))
    if getattr(leak, "native", None):
        lines.append("      native memory: +%s %s (the allocator's figure, not in any object)"
                     % (size(leak.native), per))
    if accumulation and leak.accumulation is not None:
        where, n = leak.accumulation
        lines.append("      accumulates in %s (+%s %s%s)" % (where, num(n), grows, per))
    return lines


class Leak:
    """One cause of a leak: the objects that pile up through one
    accumulation point, however many labels they have.

    type      -- the culprit's default (Pympler-style) label
    detail    -- the culprit's detailed label: the first specific label from
                 the accumulation point down to the leaked objects (a
                 ``RequestAudit``, not the bound method or dict holding it);
                 a generic one (``list``) only when nothing more specific leaks
    labels    -- ``[(label, detail, objects_per_rep, bytes_per_rep)]``: every
                 label leaking with it, largest first
    count     -- objects leaked per repetition (all labels); 0 for an old
                 object that grows with no new object (a bytearray, a list of
                 small ints: ``accumulation`` has its entries per repetition)
    size      -- bytes leaked per repetition (new objects, plus the growth of
                 the accumulating container)
    counts    -- the culprit label's net live count after each repetition
    sizes     -- its net bytes after each repetition
    samples   -- a few of the culprit's leaked objects, alive
    traceback -- where the first sample was allocated, when tracemalloc traces
    path      -- the shortest chain of references keeping the first sample
                 (or the growing container) alive: a heapscope.Path, or None
    accumulation -- ``(path to the accumulation point, entries per
                 repetition)``, or None when the objects are held from
                 outside the Python heap
    retained  -- bytes per repetition that freeing the group frees (the
                 union of its objects' dominator subtrees, computed with
                 find_leaks holding none of them), plus the container's growth
    native    -- native bytes per repetition that the allocator saw grow and
                 no object accounts for, attributed to this leak (its objects
                 own outside buffers: a numpy view's base), or None
    """

    __slots__ = ("type", "detail", "labels", "count", "size", "counts", "sizes", "samples", "traceback",
                 "path", "retained", "accumulation", "native", "chain")

    def __init__(self, type, detail, count, size, counts, sizes, samples, traceback):
        self.type = type
        self.detail = detail
        self.labels = []
        self.count = count
        self.size = size
        self.counts = counts
        self.sizes = sizes
        self.samples = samples
        self.traceback = traceback
        self.path = None
        self.retained = None
        self.accumulation = None
        self.native = None
        self.chain = []

    def __repr__(self):
        return "<Leak %s: %s objects, %d bytes per repetition>" % (self.detail, _num(self.count), self.size)


class LeakReport:
    """What ``find_leaks`` found: ``leaks`` (one per cause, largest retained
    bytes first), true when there is at least one.

    repeat  -- the repetitions run (``repeat`` at least; more when the first
               ones were ambiguous)
    native  -- native bytes per repetition that the allocator saw grow, that
               no object accounts for and no leak explains (or None)
    notes   -- what grew but is not a leak, and why: ``["bounded: ...",
               "lazily pruned: ..."]``
    series  -- for the HTML report's chart: ``[(repetition, rows)]`` from the
               snapshot before the first repetition (0) to the last, rows
               ``[[detailed label, count, size]]`` of the labels worth
               charting (those that changed, the leaks)
    largest -- ``[[label, count, size]]``: the largest types after the last
               repetition (Pympler's labels and sizes)
    """

    __slots__ = ("leaks", "repeat", "warmup", "action_time", "total_time", "action", "series", "largest",
                 "native", "notes")

    def __init__(self, leaks, repeat, warmup, action_time, total_time, action, series=(), largest=(),
                 native=None, notes=()):
        self.leaks = leaks
        self.repeat = repeat
        self.warmup = warmup
        self.action_time = action_time
        self.total_time = total_time
        self.action = action
        self.series = list(series)
        self.largest = list(largest)
        self.native = native
        self.notes = list(notes)

    def __bool__(self):
        return bool(self.leaks)

    def __len__(self):
        return len(self.leaks)

    def __iter__(self):
        return iter(self.leaks)

    def __repr__(self):
        return "<LeakReport: %d leak%s in %d repetitions>" % (len(self.leaks), "s"[: len(self.leaks) != 1],
                                                             self.repeat)

    def __str__(self):
        return "\n".join(self._lines()) + "\n"

    def _lines(self, max_leaks=20):
        name = getattr(self.action, "__qualname__", None) or _safe_repr(self.action)
        runs = "%d repetitions of %s (after %d warm-up)" % (self.repeat, name, self.warmup)
        lines = []
        if not self.leaks:
            lines.append("heapscope.find_leaks: no leaks in %s." % runs)
        else:
            n = len(self.leaks)
            lines.append("heapscope.find_leaks: %d leak%s in %s:" % (n, "s"[: n != 1], runs))
            for i, leak in enumerate(self.leaks[:max_leaks], 1):
                lines.append("")
                lines.append("%d. %s" % (i, _headline(leak)))
                if len(leak.labels) > 1:
                    width = max(len(r[1]) for r in leak.labels[:8])
                    lines.append("     %-*s  %11s  %11s" % (width, "label", "objects/rep", "bytes/rep"))
                    for label, detail, count, size in leak.labels[:8]:
                        lines.append("     %-*s  %11s  %11s" % (width, detail, _num(round(count, 1)), _size(size)))
                    if len(leak.labels) > 8:
                        lines.append("     ... and %d more labels" % (len(leak.labels) - 8))
                lines.extend(_detail_lines(leak, _size, "per repetition", samples=1, accumulation=False))
            if len(self.leaks) > max_leaks:
                lines.append("... and %d more" % (len(self.leaks) - max_leaks))
        if self.native:
            lines.append("")
            lines.append("unaccounted native memory: +%s per repetition (the allocator's figure; no object "
                         "accounts for it: run under PYTHONMALLOC=malloc with tracemalloc or memray for its "
                         "allocation sites)" % _size(self.native))
        if self.notes:
            lines.append("")
            lines.append("not leaks:")
            lines.extend("  %s" % note for note in self.notes)
        return lines

    def print(self, file=None):
        """Print the report (to ``file``, default stdout)."""
        out = sys.stdout if file is None else file
        out.write(str(self))
        out.flush()

    def to_html(self, path, top_retainers=10, title=None):
        """Write the report as one self-contained HTML file (``heapscope.report``):
        the chart of the repetitions, the leaks, their paths, the largest types.

        top_retainers -- how many top retainers to list; they come from a graph
                         snapshot (``snapshot(graph=True)``) of the heap as it
                         is when ``to_html`` is called, which costs a walk and a
                         graph; 0 lists none.
        """
        from heapscope import report

        top = []
        if top_retainers:
            from heapscope.snapshots import snapshot

            top = snapshot(graph=True).top_retainers(top_retainers)
        name = getattr(self.action, "__qualname__", None) or _safe_repr(self.action)
        meta = {"action": name, "repetitions": "%d (after %d warm-up)" % (self.repeat, self.warmup),
                "action time": "%.3f s" % self.action_time, "total time": "%.3f s" % self.total_time}
        if self.native:
            meta["unaccounted native memory"] = "+%s per repetition" % _size(self.native)
        for i, note in enumerate(self.notes, 1):
            meta["not a leak (%d)" % i] = note
        meta.update(report.python_meta())
        return report.write_html(path, self.series, leaks=self.leaks, top_retainers=top,
                                 largest=self.largest, meta=meta, x_label="repetition",
                                 title=title or "heapscope: leaks in %s" % name)


def _headline(leak, per="per repetition"):
    """One line per cause: what piles up, where, and the chain to the culprit."""
    if leak.count == 0:
        # an old object that grows, with no new object
        if leak.samples and leak.path is not None:
            where = str(leak.path)  # the object that grows (a str rebuilt bigger)
        else:
            where = leak.accumulation[0] if leak.accumulation is not None else leak.detail
        entries = leak.accumulation[1] if leak.accumulation is not None else 0
        grows = ""
        if entries and leak.detail not in ("bytearray", "bytes", "str"):
            grows = ", +%s entr%s %s" % (_num(round(entries, 1)), "y" if entries == 1 else "ies", per)
        return "%s grows: +%s %s%s" % (where, _size(leak.size), per, grows)
    what = "%s object%s, %s %s" % (_num(round(leak.count, 1)), "s"[: leak.count != 1], _size(leak.size), per)
    if leak.accumulation is not None:
        where, n = leak.accumulation
        what += " accumulate in %s (+%s entr%s %s)" % (where, _num(round(n, 1)), "y" if n == 1 else "ies", per)
    elif leak.path is not None and leak.path.kind == "outside":
        what += ", held outside the Python heap"
    chain = " -> ".join(leak.chain) if leak.chain else leak.detail
    return "%s: %s" % (what, chain)


# ---- the repetitions ---------------------------------------------------------------------


def _freeze():
    """Freeze the current heap; the program's own frozen objects wait aside."""
    _core.freeze_aside()
    gc.freeze()


def _unfreeze():
    """Unfreeze what _freeze froze, and only that."""
    gc.unfreeze()
    _core.freeze_restore()


class _Run:
    """find_leaks' own state between snapshots: heap walks never count it, nor
    the timing floats and snapshots it holds (a local would be counted)."""

    __slots__ = ("base", "snaps", "used", "objs", "own", "native_ok", "start", "action_time", "clean")


class _Store(list):
    """find_leaks' own lists (snapshots, allocator figures): never counted, so
    they do not grow on the heap find_leaks looks at."""

    __slots__ = ()


_core.own_type(_Run)
_core.own_type(_Store)


def _malloc_mode():
    """Whether every object's memory comes from malloc (no pymalloc)."""
    return os.environ.get("PYTHONMALLOC", "") in ("malloc", "malloc_debug")


def _native_used(tracing):
    """Bytes the allocator has in use: tracemalloc's traced memory when it
    traces, else malloc's in-use figure (None when neither is known)."""
    if tracing:
        import tracemalloc

        return tracemalloc.get_traced_memory()[0]
    used = _core.native_memory()[0]
    return None if used < 0 else used


def _start(run, tracing):
    """The snapshot before the first repetition, and empty series."""
    run.snaps = _Store()
    run.used = _Store()
    run.objs = _Store()
    run.own = 0
    run.native_ok = True
    run.base = None
    run.base = _take(run, tracing)


def _take(run, tracing):
    """A snapshot with container lengths, and the allocator's figures around
    it: the bytes in use before it, less what heapscope's own snapshots hold
    (measured around each), and the bytes of the objects the allocator counts."""
    before = _native_used(tracing)
    snap = _core.snapshot(True, lengths=True)
    after = _native_used(tracing)
    if before is None or after is None:
        run.native_ok = False
    else:
        run.used.append(before - run.own)
        run.own += max(0, after - before)
        run.objs.append(snap.total_size if tracing or _malloc_mode() else snap.large_size)
    return snap


def find_leaks(action, *args, repeat=5, warmup=2, max_repeat=MAX_REPEAT, **kwargs):
    """Call ``action(*args, **kwargs)`` ``warmup`` times, then at least
    ``repeat`` times with a collected snapshot after each, and up to
    ``max_repeat`` times while the evidence is ambiguous; return a LeakReport
    with one Leak per cause."""
    if not callable(action):
        raise TypeError("find_leaks() expects a callable action, not %r" % type(action).__name__)
    if repeat < 2:
        raise ValueError("find_leaks() needs repeat >= 2 to tell growth from warm-up")
    if warmup < 0:
        raise ValueError("warmup must be >= 0")
    max_repeat = max(max_repeat, repeat)
    t_start = time.perf_counter()
    for _ in range(warmup):
        action(*args, **kwargs)
    import tracemalloc  # pickle, linecache...: before the base snapshot, not during the repetitions

    tracing = tracemalloc.is_tracing()
    run = _Run()
    run.action_time = 0.0
    run.clean = False
    gc.collect()
    _freeze()
    try:
        _start(run, tracing)
        target = repeat
        while True:
            while len(run.snaps) < target:
                run.start = time.perf_counter()
                action(*args, **kwargs)
                run.action_time += time.perf_counter() - run.start
                gc.collect()
                if run.clean:
                    _core.collect_old()
                run.snaps.append(_take(run, tracing))
            verdict = _judge(run.base, run.snaps)
            if verdict.ambiguous and target < max_repeat:
                verdict = None
                target = min(max_repeat, 2 * target)
                continue
            leaks, notes, native, suspect = _causes(run, verdict, tracing)
            verdict = None
            if suspect and not run.clean and _core.collect_old():
                # Old objects became garbage cycles while frozen (an LRU cache
                # evicting what it held before the repetitions): the live
                # totals never saw them die, and a leak decided from them is
                # in doubt.  Start again, collecting them after each repetition.
                leaks = notes = None
                run.clean = True
                _unfreeze()
                gc.collect()
                _freeze()
                _start(run, tracing)
                target = repeat
                continue
            break
    finally:
        _unfreeze()
    series = _series([run.base] + list(run.snaps), leaks)
    largest = run.snaps[-1].summary(_LARGEST)
    return LeakReport(leaks, len(run.snaps), warmup, run.action_time, time.perf_counter() - t_start, action,
                      series, largest, native, notes)


# ---- is there a leak? -------------------------------------------------------------------


class _Verdict:
    """What grows, from the snapshots alone (no live object is touched).

    labels     -- {detailed label: (counts, sizes)} of the labels that grow
    kinds      -- {kind: (counts, sizes)} of kinds that grow where none of
                  their labels does (labels that name one object each)
    containers -- {address: (label, detail, sizes, lengths)} of old objects
                  that grow
    changed    -- {address: (label, detail, sizes, lengths)} of every old
                  object that changed (growing or not)
    ambiguous  -- whether more repetitions could settle a series
    """

    __slots__ = ("labels", "kinds", "containers", "changed", "ambiguous", "n", "byte_labels")


def _grows(counts, sizes, min_count=MIN_OBJECTS, min_bytes=MIN_BYTES):
    """GROWS when the count or the bytes grow for good, AMBIGUOUS, or FLAT."""
    vc = _trend.trend(counts, min_count)[0] if counts[-1] > counts[0] else _trend.FLAT
    vb = _trend.trend(sizes, min_bytes)[0] if sizes[-1] > sizes[0] else _trend.FLAT
    if _trend.GROWS in (vc, vb):
        return _trend.GROWS, vc != _trend.GROWS
    if _trend.AMBIGUOUS in (vc, vb):
        return _trend.AMBIGUOUS, False
    return _trend.FLAT, False


def _judge(base, snaps):
    v = _Verdict()
    v.n = len(snaps)
    v.ambiguous = False
    every = [base] + list(snaps)
    last = snaps[-1]
    # old objects that changed between the base and the last snapshot
    changed = _core.old_changes(base, last)
    v.changed = {}
    v.containers = {}
    if changed:
        addrs = [c[0] for c in changed]
        for c, series in zip(changed, _core.record_series(every, addrs)):
            if any(p is None for p in series):
                continue  # gone in between: a reused address, not one object
            sizes = [p[0] for p in series]
            lens = [p[1] for p in series]
            if _kind(c[2]) in _IMMUTABLE:
                continue  # a new object at an old one's address: an immutable object never grows
            v.changed[c[0]] = (c[1], c[2], sizes, lens)
            if lens[0] >= 0:
                verdict = _grows(lens, sizes, MIN_OBJECTS, MIN_BYTES)[0]
            else:
                verdict = _grows([0] * len(sizes), sizes, MIN_OBJECTS, MIN_BYTES)[0]
            if verdict == _trend.GROWS:
                v.containers[c[0]] = v.changed[c[0]]
            elif verdict == _trend.AMBIGUOUS:
                v.ambiguous = True
    # net live count and bytes per detailed label and per kind; the growth of
    # old objects is taken out of the bytes (it is judged above, per object)
    n = len(every)
    labels = {}
    for i, s in enumerate(every):
        for label, count, size in s.summary(None, True):
            row = labels.get(label)
            if row is None:
                row = labels[label] = ([0] * n, [0] * n)
            row[0][i] = count
            row[1][i] = size
    for label, detail, sizes, lens in v.changed.values():
        row = labels.get(detail)
        if row is not None:
            for i in range(n):
                row[1][i] -= sizes[i] - sizes[0]
    kinds = {}
    for label, (counts, sizes) in labels.items():
        k = _kind(label)
        if k == label:
            continue
        row = kinds.get(k)
        if row is None:
            row = kinds[k] = ([0] * n, [0] * n)
        for i in range(n):
            row[0][i] += counts[i]
            row[1][i] += sizes[i]
    v.labels = {}
    v.byte_labels = set()
    for label, (counts, sizes) in labels.items():
        if counts[-1] <= counts[0] and sizes[-1] <= sizes[0]:
            continue
        verdict, by_bytes = _grows(counts, sizes)
        if verdict == _trend.GROWS:
            v.labels[label] = (counts, sizes)
            if by_bytes:
                v.byte_labels.add(label)
        elif verdict == _trend.AMBIGUOUS:
            v.ambiguous = True
    v.kinds = {}
    for k, (counts, sizes) in kinds.items():
        if counts[-1] <= counts[0] or any(_kind(label) == k for label in v.labels):
            continue
        verdict, by_bytes = _grows(counts, sizes)
        if verdict == _trend.GROWS and not by_bytes:
            v.kinds[k] = (counts, sizes)
        elif verdict == _trend.AMBIGUOUS:
            v.ambiguous = True
    return v


# ---- what leaks, and where? -------------------------------------------------------------


def _theil_sen(xs):
    return _trend.theil_sen(_trend.tail(xs))[0]


def _causes(run, v, tracing):
    """The leaks (one per accumulation point), the notes on what grew but is
    not a leak, and the unattributed native bytes per repetition."""
    native = _native_growth(run)
    if not (v.labels or v.kinds or v.containers):
        return [], [], native, False
    n = v.n
    graph = _core.graph_snapshot(True, False, lengths=True)
    diff = graph.diff(run.base)
    wanted = set(v.labels)
    if v.kinds:
        for label, detail, count, size in diff.new_rows():
            if _kind(detail) in v.kinds:
                wanted.add(detail)
    groups, members = _core.leak_groups(diff, frozenset(wanted), list(v.containers))
    del diff
    # find_leaks' own analysis (the verdict's series and label strings) was on
    # the heap when the graph was taken: none of it is a leak
    mine = _reachable_ids(v)
    members = [m for m in members if m[0] not in mine]
    mine = None
    # births of the members: the first repetition whose snapshot has them
    by_group = {}
    for m in members:
        by_group.setdefault(m[1], []).append(m)
    every = [run.base] + list(run.snaps)
    leaks, notes, keep, others = [], [], [], {}
    suspect = False  # a leak decided from the live totals, which frozen garbage inflates
    for gi, g in enumerate(groups):
        acc_addr, acc_label, acc_detail, acc_len, n_members, members_size, retained = g[:7]
        reachable = g[7] if len(g) > 7 else True
        mem = by_group.get(gi, [])
        if not mem and acc_addr not in v.containers:
            continue
        if acc_addr == 0 and not reachable:
            continue  # held by nothing on the heap but find_leaks' own frames
        keep.append((gi, g, mem))
    # one walk for every live object the report names: accumulation points, samples
    want = []
    for gi, g, mem in keep:
        if g[0]:
            want.append(g[0])
        want.extend(_culprit_members(mem)[:_SAMPLES])
        want.extend(m[0] for m in mem[:50])  # for _merge_growth and _dead_weakrefs
    live = dict(zip(want, _core.objects_at(want))) if want else {}
    for gi, g, mem in keep:
        acc_addr, acc_label, acc_detail, acc_len, n_members, members_size, retained = g[:7]
        container = v.containers.get(acc_addr) or v.changed.get(acc_addr)
        acc_obj = live.get(acc_addr) if acc_addr else None
        # is this group a leak, a cache at capacity, lazily pruned bookkeeping?
        why_not = _not_a_leak(acc_obj, acc_detail, container, mem, live, every, v, n, graph)
        if why_not:
            if why_not is not True and why_not not in notes:
                notes.append(why_not)
            continue
        leak = _make_leak(g, mem, container, live, v, n)
        leaks.append((leak, {m[0] for m in mem}, acc_obj))
        if not (container is not None and _container_grows(container)):
            suspect = True
        if tracing:  # one object of each label, shallowest first: where the leak was allocated
            firsts = {}
            for m in sorted(mem, key=lambda m: m[3]):
                firsts.setdefault(m[5], m[0])
            others[id(leak)] = list(firsts.values())[:8]
    leaks = _merge_growth(leaks, live)
    leaks.sort(key=lambda l: (-(l.retained or l.size), -l.count, l.detail))
    del leaks[_MAX_LEAKS:]
    _paths(leaks, graph, live)
    leaks = _merge_nested(leaks)
    if native is not None:
        for leak in leaks:
            if any(_owns_buffer(d) for _, d, _, _ in leak.labels):
                leak.native = native
                native = None
                break
    if tracing:
        _tracebacks(leaks, others)
    return leaks, notes, native, suspect


def _merge_growth(found, live):
    """Causes that are bookkeeping of another cause are merged into it: an old
    container that grows with no new object of its own, or a group of new
    objects, whose entries refer (directly, through a few hops or a weak
    reference) to another cause's objects; a logger's parent PlaceHolder gains
    the leaked Logger, SQLAlchemy's event registry keeps weak references to the
    leaked listener, threading._dangling to the leaked Thread."""
    import weakref

    owner = {}
    for i, (leak, addrs, acc) in enumerate(found):
        for a in addrs:
            owner[a] = i
    parent = list(range(len(found)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (leak, addrs, acc) in enumerate(found):
        # what an accumulation point gains that another group holds too (a
        # command name: the key of the leaking table and an item of a list)
        if acc is not None:
            refs = _referents(acc)
            for r in refs:
                j = owner.get(id(r))
                if j is not None and j != i and root(j) != root(i):
                    parent[root(j)] = root(i)
            refs = r = None
    for i, (leak, addrs, acc) in enumerate(found):
        start = [live.get(a) for a in list(addrs)[:50]] if addrs else ([acc] if acc is not None else [])
        seen = set(addrs)
        todo = [(o, 0) for o in start if o is not None]
        start = None
        into = None
        while todo and into is None and len(seen) < 400:
            o, depth = todo.pop(0)
            try:
                nxt = [o()] if isinstance(o, weakref.ref) else _referents(o)
            except Exception:  # noqa: BLE001 -- a hostile weak reference
                continue
            for r in nxt:
                if r is None or id(r) in seen:
                    continue
                seen.add(id(r))
                j = owner.get(id(r))
                if j is not None and j != i:
                    into = j
                    break
                if depth < 3 and not isinstance(r, type) and type(r).__name__ != "module":
                    todo.append((r, depth + 1))
            nxt = None
        o = todo = None
        if into is not None and root(into) != root(i):
            parent[root(i)] = root(into)
    groups = {}
    for i in range(len(found)):
        groups.setdefault(root(i), []).append(found[i][0])
    out = []
    for members in groups.values():
        members.sort(key=lambda l: (-l.size, -l.count))
        target = members[0]
        for leak in members[1:]:
            _absorb(target, leak)
        out.append(target)
    return out


def _referents(obj):
    """gc.get_referents, with a dict's str keys (which its traversal skips)."""
    try:
        refs = gc.get_referents(obj)
        if isinstance(obj, dict):
            refs = list(dict.keys(obj)) + refs
    except Exception:  # noqa: BLE001 -- a hostile object
        return []
    return refs


def _reachable_ids(root):
    """ids of the objects find_leaks' verdict holds (its dicts, lists, tuples
    and what they hold)."""
    seen = {id(root)}
    todo = [root]
    while todo:
        o = todo.pop()
        for r in gc.get_referents(o):
            if id(r) not in seen:
                seen.add(id(r))
                if type(r) in (dict, list, tuple, set, frozenset):
                    todo.append(r)
    return seen


def _absorb(target, leak):
    """Add leak's objects and bytes to target (one cause)."""
    target.size += leak.size
    target.count += leak.count
    target.retained = (target.retained or 0) + (leak.retained or 0)
    rows = {r[1]: list(r) for r in target.labels}
    for r in leak.labels:
        if r[1] in rows:
            rows[r[1]][2] += r[2]
            rows[r[1]][3] += r[3]
        else:
            rows[r[1]] = list(r)
    target.labels = sorted((tuple(r) for r in rows.values() if r[2] or r[3] >= 0.5),
                           key=lambda r: (-r[3], -r[2], r[1]))


def _merge_nested(leaks):
    """A cause whose path runs through another cause's accumulation point (an
    old listener's list growing under the leaking registry) is part of it."""
    out = []
    for leak in leaks:
        text = str(leak.path) if leak.path is not None else None
        into = None
        if text is not None:
            for other in out:
                acc = other.accumulation[0] if other.accumulation is not None else None
                if acc and other is not leak and any(text.startswith(acc + sep) for sep in (" -> ", "[", ".")):
                    into = other
                    break
        if into is None:
            out.append(leak)
        else:
            _absorb(into, leak)
    return out


def _tracebacks(leaks, others):
    """Where each leak's first sample was allocated, or else the first of its
    other objects that tracemalloc places (3.11 does not place instances of
    plain classes)."""
    import tracemalloc

    for leak in leaks:
        objs = list(leak.samples[:1])
        addrs = others.get(id(leak), [])
        if addrs:
            objs += [o for o in _core.objects_at(addrs) if o is not None]
        for o in objs:
            try:
                tb = tracemalloc.get_object_traceback(o)
            except Exception:  # noqa: BLE001 -- an object tracemalloc cannot place
                tb = None
            if tb is not None:
                leak.traceback = tb
                break
        objs = o = None


def _owns_buffer(detail):
    return _kind(detail) in ("numpy.ndarray", "memoryview", "mmap.mmap", "array.array") or detail.startswith("_ctypes")


def _culprit_members(mem):
    """The members that name the leak: at the first depth under the
    accumulation point that has a specific label, the label whose objects
    hold the most bytes of the group (their own and what hangs under them);
    else the shallowest members."""
    if not mem:
        return []
    parent = {m[0]: m[2] for m in mem}
    held = {m[0]: m[6] for m in mem}
    for m in sorted(mem, key=lambda m: -m[3]):  # deepest first: add each subtree to its parent
        p = parent.get(m[0])
        if p in held:
            held[p] += held[m[0]]
    by_depth = {}
    for m in mem:
        by_depth.setdefault(m[3], []).append(m)

    def best(ms):
        tally = {}
        for m in ms:
            t = tally.setdefault(m[5], [0, 0])
            t[0] += held[m[0]]
            t[1] += 1
        top = max(tally, key=lambda d: (tally[d][0], tally[d][1], d))
        return [m[0] for m in ms if m[5] == top]

    for depth in sorted(by_depth):
        specific = [m for m in by_depth[depth] if not _generic(m[5])]
        if specific:
            return best(specific)
    return best(by_depth[min(by_depth)])


def _births(mem, every):
    """Per member, the first snapshot (0 = base, 1 = after repetition 1...)
    where it is alive."""
    addrs = [m[0] for m in mem]
    out = []
    for series in _core.record_series(every, addrs):
        first = next((i for i in range(len(series) - 1, -1, -1) if series[i] is None), -1) + 1
        out.append(first)
    return out


def _not_a_leak(acc_obj, acc_detail, container, mem, live, every, v, n, graph=None):
    """Why a group that grew is not a leak (a note, True to say nothing), or None."""
    # a bounded cache: re's caches, an lru_cache not yet full
    bounded = _bounded(acc_obj, graph)
    if bounded:
        return bounded
    # lazily pruned bookkeeping: what piles up is dead weak references
    dead = _dead_weakrefs(acc_obj, mem, live)
    if dead:
        return dead
    # an object's __dict__ (materialized before 3.11, a module's globals) holds
    # attributes, not a collection: flat, it says nothing about churn
    attrs = (acc_detail or "").startswith("dict of ")
    if container is not None:
        label, detail, sizes, lens = container
        if lens[0] >= 0:
            if _grows(lens, sizes)[0] == _trend.GROWS:
                return None
            if _byte_share(mem, v):
                return None
            if not attrs:
                return _replaced(acc_detail, lens[-1], len(mem), n)
        elif _grows([0] * len(sizes), sizes)[0] == _trend.GROWS:
            return None
    if not mem:
        return True
    # no container to judge by: the leaked objects must have been born over
    # several repetitions after the warm-up (a cache at capacity keeps only the
    # last ones; a leak keeps them all), or carry a label that grows in bytes
    if _byte_share(mem, v):
        return None
    if acc_obj is not None and _len(acc_obj) is not None and container is None and not attrs:
        # an old container whose length did not change: entries replaced
        return _replaced(acc_detail, _len(acc_obj), len(mem), n)
    births = set(_births(mem, every))
    warm = max(1, (n + 1) // 4)
    return None if len([b for b in births if b >= warm]) >= 2 else True


def _container_grows(container):
    """Whether an old object's length (or, without one, its size) grows."""
    label, detail, sizes, lens = container
    if lens[0] >= 0:
        return _grows(lens, sizes)[0] == _trend.GROWS
    return _grows([0] * len(sizes), sizes)[0] == _trend.GROWS


def _byte_share(mem, v):
    """Whether the group's objects of a label that grows in bytes only (a str
    rebuilt bigger every call) hold at least half of that label's growth."""
    held = {}
    for m in mem:
        if m[5] in v.byte_labels:
            held[m[5]] = held.get(m[5], 0) + m[6]
    for label, size in held.items():
        sizes = v.labels[label][1]
        if size >= 0.5 * (sizes[-1] - sizes[0]) > 0:
            return True
    return False


def _replaced(detail, entries, replaced, n):
    """The note on a container at capacity whose entries are replaced (True:
    nothing worth a note)."""
    if replaced < n or entries < 2:
        return True
    return "bounded: %s keeps %d entries, replaced %s per repetition" % (detail, entries, _num(round(replaced / n, 1)))


def _len(obj):
    try:
        return len(obj) if isinstance(obj, (dict, list, set, frozenset)) else None
    except Exception:  # noqa: BLE001
        return None


def _bounded(container, graph=None):
    """A note when container is a cache with a bound: re's pattern caches, an
    lru_cache's table (from its wrapper's cache_info())."""
    if container is None:
        return None
    if type(container).__name__ == "_lru_cache_wrapper":
        try:
            info = container.cache_info()
        except Exception:  # noqa: BLE001
            info = None
        if info is not None and info.maxsize is not None:
            return "bounded: lru_cache of %s (%d of at most %d entries)" % (
                getattr(container, "__qualname__", "?"), info.currsize, info.maxsize)
        return None
    if container is sys.modules:
        return None
    rem = sys.modules.get("re")
    if rem is not None:
        for name, cap in (("_cache", "_MAXCACHE"), ("_cache2", "_MAXCACHE2")):
            if getattr(rem, name, None) is container:
                return "bounded: re.%s (%d of at most %s entries)" % (name, len(container),
                                                                      getattr(rem, cap, "?"))
    if type(container) is dict and graph is not None:
        # an lru_cache's table: its holder on the path (gc.get_referrers does
        # not see the frozen heap) is the wrapper, which knows its bound
        try:
            raw = graph.why_alive(container, 1)
        except Exception:  # noqa: BLE001 -- a path is a bonus
            raw = []
        objs = raw[0][2] if raw else []
        raw = None
        holder = objs[-2] if len(objs) >= 2 and objs[-1] is container else None
        objs = None
        if type(holder).__name__ == "_lru_cache_wrapper":
            return _bounded(holder)
    return None


def _dead_weakrefs(container, mem, live):
    """A note when what piles up is weak references: to dead objects (a list
    that prunes them every so often, as sqlite3's cursor list does), or to
    live ones (an abc negative cache, a WeakSet: they keep nothing alive, and
    the objects they refer to are judged on their own)."""
    import weakref

    def weak(o):
        return isinstance(o, (weakref.ref, weakref.ProxyType, weakref.CallableProxyType))

    def dead(o):
        try:
            return isinstance(o, weakref.ref) and o() is None
        except Exception:  # noqa: BLE001
            return False

    refs = [m for m in mem if _kind(m[5]).startswith("weakref")]
    if mem and len(refs) == len(mem):
        objs = [o for o in (live.get(m[0]) for m in refs[:50]) if o is not None]  # _causes' one walk
        if objs and all(dead(o) for o in objs):
            return "lazily pruned: %d dead weak references in %s" % (len(refs), _label_of(container))
        return "weak references: %d new in %s (they keep nothing alive)" % (len(refs), _label_of(container))
    if not mem and container is not None:
        try:
            if isinstance(container, dict):
                items = list(container.keys())[-50:] + list(container.values())[-50:]
            elif isinstance(container, (list, set, frozenset)):
                items = list(container)[-50:]
            else:
                items = []
        except Exception:  # noqa: BLE001 -- a hostile container
            items = []
        if items and all(dead(o) for o in items if weak(o)) and all(weak(o) for o in items):
            return "lazily pruned: %s holds %d dead weak references" % (_label_of(container), len(container))
        if items and all(weak(o) for o in items if not isinstance(o, (int, str))) and any(weak(o) for o in items):
            return "weak references: %s holds %d (they keep nothing alive)" % (_label_of(container), len(container))
    return None


def _label_of(obj):
    if obj is None:
        return "?"
    if obj is sys.modules:
        return "sys.modules"
    return _core.label(obj, detail=True)


def _make_leak(g, mem, container, live, v, n):
    acc_addr, acc_label, acc_detail, acc_len, n_members, members_size, retained = g[:7]
    rows = {}
    for m in mem:
        row = rows.setdefault(m[5], [m[4], m[5], 0, 0])
        row[2] += 1
        row[3] += m[6]
    per = max(n, 1)
    kinds = {}
    for r in rows.values():
        kinds.setdefault(_kind(r[1]), []).append(r)
    for k, rs in kinds.items():
        if len(rs) > 3 and k != rs[0][1]:  # labels naming one object each: one row for their kind
            merged = [k, "%s (%d labels)" % (k if k != "dict" else "dict of ...", len(rs)), 0, 0]
            for r in rs:
                merged[2] += r[2]
                merged[3] += r[3]
                del rows[r[1]]
            rows[merged[1]] = merged
    labels = sorted(((r[0], r[1], r[2] / per, r[3] / per) for r in rows.values()),
                    key=lambda r: (-r[3], -r[2], r[1]))
    grow_bytes = grow_entries = 0.0
    if container is not None:
        label, detail, sizes, lens = container
        grow_bytes = max(0.0, _theil_sen(sizes))
        if lens[0] >= 0:
            grow_entries = max(0.0, _theil_sen(lens))
    culprits = _culprit_members(mem)
    if culprits:
        cm = next(m for m in mem if m[0] == culprits[0])
        ctype, cdetail = cm[4], cm[5]
        if v.kinds and _kind(cdetail) in v.kinds and len({m[5] for m in mem if _kind(m[5]) == _kind(cdetail)}) > 1:
            cdetail = ctype = _kind(cdetail)  # one object per label: name the kind
    else:
        ctype, cdetail = acc_label, acc_detail
    count = len(mem) / per if mem else 0.0
    size = members_size / per + grow_bytes
    if mem and all(m[5] in v.byte_labels for m in mem):
        # objects rebuilt bigger every repetition (the old one dies): growth, not new objects
        count = 0.0
        size = sum(max(0.0, _theil_sen(v.labels[d][1])) for d in {m[5] for m in mem})
    series = v.labels.get(cdetail) or v.kinds.get(cdetail) or ([0] * (n + 1), [0] * (n + 1))
    samples = [live[a] for a in culprits[:_SAMPLES] if live.get(a) is not None]
    leak = Leak(ctype, cdetail, count, int(round(size)), [c - series[0][0] for c in series[0][1:]],
                [b - series[1][0] for b in series[1][1:]], samples, None)
    if grow_bytes > 0 or not labels:  # the accumulation point's own growth: no object, bytes
        labels.append((acc_label, acc_detail, 0.0, grow_bytes))
    leak.labels = labels
    leak.retained = int(round(retained / per + grow_bytes)) if mem else int(round(grow_bytes))
    if mem and count == 0.0:
        leak.labels = [(l, d, 0.0, b * per) for l, d, c, b in labels if c]
        leak.labels = [(l, d, 0.0, max(0.0, _theil_sen(v.labels[d][1]))) for l, d, c, b in leak.labels]
        leak.retained = leak.size
    if acc_addr:
        entries = grow_entries if container is not None and container[3][0] >= 0 else \
            sum(1 for m in mem if m[3] == 1) / per
        leak.accumulation = (acc_addr, entries)  # the path text comes with the paths
    leak.chain = [_kind(d) if _kind(d) in v.kinds else d
                  for d in _chain(mem, culprits[0] if culprits else None, acc_detail)]
    leak.path = (acc_addr, culprits[0] if culprits else acc_addr)
    return leak


def _chain(mem, culprit, acc_detail):
    """Labels from the accumulation point down to the culprit, then on down
    what the culprit holds (the biggest branch, up to two more hops):
    ``CallWrapper -> method (ListedToplevel.wakeup) -> ListedToplevel``."""
    if culprit is None:
        return [acc_detail]
    by_addr = {m[0]: m for m in mem}
    out = []
    at = by_addr.get(culprit)
    guard = 0
    while at is not None and guard < 64:
        out.append(at[5])
        at = by_addr.get(at[2])
        guard += 1
    out.reverse()
    out = [d for d in out if not d.startswith("dict of ")] or out
    if len(out) > 4:
        out = out[:1] + ["..."] + out[-2:]
    children = {}
    held = {m[0]: m[6] for m in mem}
    for m in sorted(mem, key=lambda m: -m[3]):
        children.setdefault(m[2], []).append(m)
        if m[2] in held:
            held[m[2]] += held[m[0]]
    at, hops = culprit, 0
    while hops < 2:
        kids = list(children.get(at, ()))
        for k in list(kids):  # an instance's __dict__ (materialized before 3.11): look through it
            if k[5].startswith("dict of "):
                kids.extend(children.get(k[0], ()))
        kids = [k for k in kids if not k[5].startswith("dict of ") and _kind(k[5]) not in
                ("str", "int", "float", "bytes", "tuple", "dict", "list", "cell")]
        if not kids:
            break
        best = max(kids, key=lambda k: (held[k[0]], k[5]))
        out.append(best[5])
        at, hops = best[0], hops + 1
    return out


def _paths(leaks, graph, live):
    """Each leak's path (to its first sample, or to the growing container) and
    the text of its accumulation point: the path's prefix up to it."""
    for leak in leaks:
        acc_addr, target = leak.path
        leak.path = None
        obj = live.get(target)
        if obj is None:
            if leak.accumulation is not None:
                leak.accumulation = ("<an object at 0x%x>" % acc_addr, leak.accumulation[1])
            continue
        try:
            raw = graph.why_alive(obj, 1)
        except Exception:  # noqa: BLE001 -- a path is a bonus, never a failure
            raw = []
        obj = None
        if not raw:
            if leak.accumulation is not None:
                leak.accumulation = (_label_of(live.get(acc_addr)), leak.accumulation[1])
            continue
        kind, root, objs, edges = raw[0]
        leak.path = Path(kind, root, objs, edges)
        if leak.accumulation is not None:
            where = None
            for i, o in enumerate(objs):
                if id(o) == acc_addr:
                    where = str(Path(kind, root, objs[: i + 1], edges[:i]))
                    break
            leak.accumulation = (where or _label_of(live.get(acc_addr)), leak.accumulation[1])
        del objs, edges, raw


def _accumulation(kind, root, objs, edges, new, repeat):
    """On a live path: the last object that is not new (``new``: addresses of
    new objects), and how many new objects it refers to per ``repeat``
    (heapscope run's exit report, which has one path per growing label)."""
    for i in range(len(objs) - 1):
        if id(objs[i + 1]) in new and id(objs[i]) not in new:
            container = objs[i]
            try:
                refs = gc.get_referents(container)
                grows = sum(id(o) in new for o in refs)
                if isinstance(container, dict):
                    grows = sum(id(v) in new or id(k) in new for k, v in container.items())
            except Exception:  # noqa: BLE001 -- a hostile container
                return None
            return str(Path(kind, root, objs[: i + 1], edges[:i])), grows / repeat
    return None


def _native_growth(run):
    """Native bytes per repetition that grew with no object to account for
    them (allocator in use minus the objects it counts), or None."""
    if not run.native_ok or len(run.used) < 3:
        return None
    u = [used - objs for used, objs in zip(run.used, run.objs)]
    u = [x - u[0] for x in u]
    verdict, s, p, slope, lo = _trend.trend(u, MIN_NATIVE)
    return int(slope) if verdict == _trend.GROWS else None


def _series(snaps, leaks):
    """The chart's points: each snapshot's detailed summary rows, kept for
    the labels that changed between any two snapshots and the leaks' labels
    (the summaries are made after the repetitions: nothing is measured)."""
    tables = [{row[0]: row for row in s.summary(detail=True)} for s in snaps]
    keep = {l.detail for l in leaks}
    first = tables[0]
    for t in tables[1:]:
        keep.update(label for label, row in t.items() if first.get(label) != row)
        keep.update(label for label in first if label not in t)
    return [(i, [t[label] for label in t if label in keep]) for i, t in enumerate(tables)]


for _f in (find_leaks, _causes, _paths, _series):
    _core.hide_frames(_f.__code__)
