"""``find_leaks``: repeat an action and report what it leaks.

The tutorial's tasks 1 and 2 in one call.  After ``warmup`` calls (which fill
caches and import what the action needs) the heap is collected and
snapshotted; then each of ``repeat`` calls is followed by a full collection
and a snapshot.  For every label, the objects created since the first
snapshot that are still alive are counted after each call.  A label leaks
when that count grows with every single repetition: a cache that fills and
then holds steady stops growing, garbage cycles are collected, and caches
that fill once are filled during the warm-up.

While the repetitions run, the objects that existed before them are frozen
into the GC's permanent generation (``gc.freeze()``; objects the program had
frozen itself wait aside and are put back afterwards), so a GC-tracked object
at a reused address is never mistaken for an old one; on 3.13+ creation
serials make identity exact for every object.
"""
import gc
import reprlib
import sys
import time

from heapscope import _core
from heapscope.paths import Path, _paths_of
from heapscope.summary import _pp

__all__ = ["find_leaks", "LeakReport", "Leak"]

_SAMPLES = 3
_PATHS = 20  # leaks that get a retaining path
_REPR_WIDTH = 100
_LARGEST = 20  # rows of the largest types the report keeps


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


def _median(values):
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


def _detail_lines(leak, size, per, grows="", num=_num):
    """The lines under a leak's row: samples, allocation site, path, retained
    bytes (``size(bytes)``) and accumulation (``num(entries)``), rates ``per``
    unit."""
    lines = ["      e.g. %s" % _safe_repr(s) for s in leak.samples]
    if leak.traceback is not None and len(leak.traceback):
        fr = leak.traceback[-1]
        lines.append("      allocated at %s:%d" % (fr.filename, fr.lineno))
    if leak.path is not None:
        lines.append("      kept alive by %s" % leak.path)
    if leak.retained is not None:
        lines.append("      retains %s %s" % (size(leak.retained), per))
    if leak.accumulation is not None:
        where, n = leak.accumulation
        lines.append("      accumulates in %s (+%s %s%s)" % (where, num(n), grows, per))
    return lines


class Leak:
    """One leaking label.

    type      -- the default (Pympler-style) label, e.g. ``method``, ``str``
    detail    -- the detailed label, e.g. ``method (Window.wakeup)``
    count     -- objects leaked per repetition
    size      -- bytes leaked per repetition
    counts    -- new objects alive after each repetition
    samples   -- a few of the leaked objects, alive
    traceback -- where the first sample was allocated, when tracemalloc traces
    path      -- the shortest chain of references keeping the first sample
                 alive (a heapscope.Path), or None
    retained  -- bytes retained per repetition: what freeing the first
                 sample would free (its dominator subtree) times ``count``
    accumulation -- where the leak piles up: ``(path to the container, new
                 entries per repetition)``, the last object on ``path`` that
                 existed before the repetitions; or None
    """

    __slots__ = ("type", "detail", "count", "size", "counts", "sizes", "samples", "traceback", "path",
                 "retained", "accumulation")

    def __init__(self, type, detail, count, size, counts, sizes, samples, traceback):
        self.type = type
        self.detail = detail
        self.count = count
        self.size = size
        self.counts = counts
        self.sizes = sizes
        self.samples = samples
        self.traceback = traceback
        self.path = None
        self.retained = None
        self.accumulation = None

    def __repr__(self):
        return "<Leak %s: %d objects, %d bytes per repetition>" % (self.detail, self.count, self.size)


class LeakReport:
    """What ``find_leaks`` found: ``leaks`` (largest bytes per repetition
    first), true when there is at least one.

    series  -- for the HTML report's chart: ``[(repetition, rows)]`` from the
               snapshot before the first repetition (0) to the last, rows
               ``[[detailed label, count, size]]`` of the labels worth
               charting (those that changed, the leaks)
    largest -- ``[[label, count, size]]``: the largest types after the last
               repetition (Pympler's labels and sizes)
    """

    __slots__ = ("leaks", "repeat", "warmup", "action_time", "total_time", "action", "series", "largest")

    def __init__(self, leaks, repeat, warmup, action_time, total_time, action, series=(), largest=()):
        self.leaks = leaks
        self.repeat = repeat
        self.warmup = warmup
        self.action_time = action_time
        self.total_time = total_time
        self.action = action
        self.series = list(series)
        self.largest = list(largest)

    def __bool__(self):
        return bool(self.leaks)

    def __len__(self):
        return len(self.leaks)

    def __iter__(self):
        return iter(self.leaks)

    def __repr__(self):
        return "<LeakReport: %d leaking labels in %d repetitions>" % (len(self.leaks), self.repeat)

    def __str__(self):
        return "\n".join(self._lines()) + "\n"

    def _lines(self, max_leaks=20):
        name = getattr(self.action, "__qualname__", None) or _safe_repr(self.action)
        runs = "%d repetitions of %s (after %d warm-up)" % (self.repeat, name, self.warmup)
        if not self.leaks:
            return ["heapscope.find_leaks: no leaks in %s." % runs]
        n = sum(l.count for l in self.leaks)
        b = sum(l.size for l in self.leaks)
        lines = [
            "heapscope.find_leaks: %d leaking label%s in %s:" % (len(self.leaks), "s"[: len(self.leaks) != 1], runs),
            "%d object%s, %s per repetition" % (n, "s"[: n != 1], " ".join(_pp(b).split())),
            "",
        ]
        width = max(len(l.detail) for l in self.leaks[:max_leaks])
        width = max(width, len("label"))
        lines.append("  %-*s  %12s  %12s" % (width, "label", "objects/rep", "bytes/rep"))
        lines.append("  %s  %s  %s" % ("=" * width, "=" * 12, "=" * 12))
        for leak in self.leaks[:max_leaks]:
            lines.append("  %-*s  %12d  %12s" % (width, leak.detail, leak.count, _pp(leak.size)))
            lines.extend(_detail_lines(leak, lambda b: " ".join(_pp(b).split()), "per repetition"))
        if len(self.leaks) > max_leaks:
            lines.append("  ... and %d more" % (len(self.leaks) - max_leaks))
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
                         graph; 0 lists none.  ``find_leaks`` takes no graph
                         itself, so it stays as fast as without the report.
        """
        from heapscope import report

        top = []
        if top_retainers:
            from heapscope.snapshots import snapshot

            top = snapshot(graph=True).top_retainers(top_retainers)
        name = getattr(self.action, "__qualname__", None) or _safe_repr(self.action)
        meta = {"action": name, "repetitions": "%d (after %d warm-up)" % (self.repeat, self.warmup),
                "action time": "%.3f s" % self.action_time, "total time": "%.3f s" % self.total_time}
        meta.update(report.python_meta())
        return report.write_html(path, self.series, leaks=self.leaks, top_retainers=top,
                                 largest=self.largest, meta=meta, x_label="repetition",
                                 title=title or "heapscope: leaks in %s" % name)


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

    __slots__ = ("base", "snaps", "start", "action_time")


_core.own_type(_Run)


def find_leaks(action, *args, repeat=5, warmup=2, **kwargs):
    """Call ``action(*args, **kwargs)`` ``warmup`` times, then ``repeat`` times
    with a collected snapshot after each; return a LeakReport."""
    if not callable(action):
        raise TypeError("find_leaks() expects a callable action, not %r" % type(action).__name__)
    if repeat < 2:
        raise ValueError("find_leaks() needs repeat >= 2 to tell growth from warm-up")
    if warmup < 0:
        raise ValueError("warmup must be >= 0")
    t_start = time.perf_counter()
    for _ in range(warmup):
        action(*args, **kwargs)
    run = _Run()
    run.snaps = []
    run.action_time = 0.0
    gc.collect()
    _freeze()
    try:
        run.base = _core.snapshot()
        for _ in range(repeat):
            run.start = time.perf_counter()
            action(*args, **kwargs)
            run.action_time += time.perf_counter() - run.start
            gc.collect()
            run.snaps.append(_core.snapshot())
        leaks = _leaks([s.diff(run.base) for s in run.snaps], repeat)
    finally:
        _unfreeze()
    series = _series([run.base] + run.snaps, leaks)
    largest = run.snaps[-1].summary(_LARGEST)
    return LeakReport(leaks, repeat, warmup, run.action_time, time.perf_counter() - t_start, action,
                      series, largest)


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


def _leaks(diffs, repeat):
    """Labels whose new objects grow with every repetition, largest first."""
    series = {}
    for i, d in enumerate(diffs):
        for label, detail, n, size in d.new_rows():
            counts, sizes = series.setdefault((label, detail), ([0] * repeat, [0] * repeat))
            counts[i] = n
            sizes[i] = size
    last = diffs[-1]
    import tracemalloc  # pickle, linecache...: imported only when leaks are reported

    tracing = tracemalloc.is_tracing()
    leaks = []
    for (label, detail), (counts, sizes) in series.items():
        steps = [counts[0]] + [counts[i] - counts[i - 1] for i in range(1, repeat)]
        if min(steps) <= 0:
            continue
        growth = [sizes[0]] + [sizes[i] - sizes[i - 1] for i in range(1, repeat)]
        samples = last.new_objects(label=label, detail=detail, limit=_SAMPLES)
        tb = tracemalloc.get_object_traceback(samples[0]) if tracing and samples else None
        leaks.append(Leak(label, detail, _median(steps), _median(growth), counts, sizes, samples, tb))
    leaks.sort(key=lambda l: (-l.size, -l.count, l.detail))
    if leaks:
        _add_paths(leaks[:_PATHS], {rec[0] for rec in last.new_records()}, repeat)
    return leaks


def _add_paths(leaks, new, repeat):
    """Path, retained size and accumulation point of the first leaks, with one
    heap walk and graph for all of them (new: addresses of the new objects)."""
    with_samples = [l for l in leaks if l.samples]
    for leak, (raw, retained) in zip(with_samples, _paths_of([l.samples[0] for l in with_samples])):
        leak.retained = None if retained is None else retained * leak.count
        if not raw:
            continue
        kind, root, objs, edges = raw[0]
        leak.path = Path(kind, root, objs, edges)
        leak.accumulation = _accumulation(kind, root, objs, edges, new, repeat)


def _accumulation(kind, root, objs, edges, new, repeat):
    """The last object on the path that is not new, and how many new objects
    it refers to per repetition."""
    for i in range(len(objs) - 1):
        if id(objs[i + 1]) in new and id(objs[i]) not in new:
            container = objs[i]
            try:
                grows = sum(id(o) in new for o in gc.get_referents(container)) / repeat
            except Exception:  # noqa: BLE001 -- a hostile container
                return None
            return str(Path(kind, root, objs[: i + 1], edges[:i])), grows
    return None


for _f in (find_leaks, _leaks, _add_paths, _accumulation, _series):
    _core.hide_frames(_f.__code__)
