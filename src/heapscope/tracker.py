"""Drop-in for ``pympler.tracker``: SummaryTracker and ObjectTracker.

``SummaryTracker`` summarizes straight from the heap in C and keeps its
summaries in C memory that no walk sees, so its own bookkeeping never shows:
in a quiet program every ``print_diff()``, the first included, prints an empty
table.  Stored summaries cost nothing to later ones.  ``ObjectTracker`` keeps
strong references to every object, as Pympler's does, but diffs them in linear
time.
"""
from heapscope import _core, muppy, summary
from heapscope._gc import DEFAULT_COLLECT, collect as _collect

__all__ = ["SummaryTracker", "ObjectTracker"]


class _SummaryStore(dict):
    """``SummaryTracker.summaries``: a dict that heap walks never count."""

    __slots__ = ()


class _ObjectList(list):
    """The object lists an ObjectTracker holds: never counted themselves."""

    __slots__ = ()


class SummaryTracker:
    """Track changes between summaries of every live object.

    On creation a first summary is taken; each ``diff()`` takes a new one and
    compares it with the previous one.

    ignore_self -- kept for Pympler compatibility: the tracker's own summaries
                   are never counted whatever its value
    collect     -- garbage collection before each summary: 0, 1 (default), 2
                   (full, as Pympler) or None
    detail      -- detailed labels (``method (Window.wakeup)``, ``dict of
                   pkg.Window``, ...) instead of Pympler's
    """

    __slots__ = ("s0", "s1", "summaries", "ignore_self", "collect", "detail")

    def __init__(self, ignore_self=True, collect=DEFAULT_COLLECT, detail=False):
        self.summaries = _SummaryStore()
        self.ignore_self = ignore_self
        self.collect = collect
        self.detail = bool(detail)
        self.s1 = None
        self.s0 = self._take()

    def _take(self):
        _collect(self.collect)
        return _core.summarize_heap(self.detail)

    def create_summary(self):
        """Return a summary of every live object: ``[[label, count, size], ...]``."""
        return self._take().rows()

    def diff(self, summary1=None, summary2=None):
        """Rows that changed between two summaries (zero rows dropped).

        No summary: the last one against a new one.  ``summary1``: that one
        against a new one.  Both: those two.
        """
        if summary2 is None:
            self.s1 = self._take()
            if summary1 is None:
                res = self.s1.diff(self.s0)
            else:
                res = summary.get_diff(summary1, self.s1)
            self.s0 = self.s1
        else:
            if summary1 is None:
                raise ValueError("You cannot provide summary2 without summary1.")
            res = summary.get_diff(summary1, summary2)
        return summary._sweep(res)

    def print_diff(self, summary1=None, summary2=None, file=None):
        """Compute the diff (as ``diff``) and print it as Pympler's table."""
        # Positional calls: a keyword call leaves a bound method on the stack
        # during the walk on 3.9/3.10, where it would be counted.
        summary.print_(self.diff(summary1, summary2), file=file)

    def format_diff(self, summary1=None, summary2=None):
        """Compute the diff (as ``diff``) and return the table's lines (a generator)."""
        return summary.format_(self.diff(summary1, summary2))

    def store_summary(self, key):
        """Store a new summary under ``key`` in ``self.summaries``."""
        self.summaries[key] = self._take()


class ObjectTracker:
    """Track which objects appear and disappear between two moments.

    Holds strong references to every object it has seen (as Pympler's does),
    so objects alive at the last diff stay alive until the next one.
    """

    __slots__ = ("o0", "o1", "collect")

    def __init__(self, collect=DEFAULT_COLLECT):
        self.collect = collect
        self.o1 = None
        self.o0 = self._get_objects()

    def _get_objects(self, ignore=()):
        objs = _ObjectList(muppy.get_objects(collect=self.collect))
        if ignore:
            skip = {id(o) for o in ignore}
            skip.add(id(ignore))
            objs = _ObjectList(o for o in objs if id(o) not in skip)
        return objs

    def get_diff(self, ignore=()):
        """``{'+': new objects, '-': objects gone}`` since the last call."""
        self.o1 = self._get_objects(ignore)
        added, removed = _core.identity_diff(self.o0, self.o1)
        self.o0 = self.o1
        self.o1 = None
        return {"+": added, "-": removed}

    def format_diff(self, ignore=()):
        """The diff as lines: "Added objects:", a table, "Removed objects:", a table."""
        diff = self.get_diff(ignore)
        lines = ["Added objects:"]
        lines.extend(summary.format_(summary.summarize(diff["+"])))
        lines.append("Removed objects:")
        lines.extend(summary.format_(summary.summarize(diff["-"])))
        return lines

    def print_diff(self, ignore=(), file=None):
        """Print the diff since the last call."""
        summary._write_lines(self.format_diff(ignore), file)


for _cls in (_SummaryStore, _ObjectList, SummaryTracker, ObjectTracker):
    _core.own_type(_cls)
del _cls
