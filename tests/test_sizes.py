"""Sizes equal sys.getsizeof for every object, and hostile __sizeof__ never breaks a walk."""
import collections
import enum
import sys

from heapscope import _core, muppy, summary


class Slots:
    __slots__ = ("a", "b")


class Plain:
    def __init__(self):
        self.x = 1
        self.y = "é" * 3


class Color(enum.Enum):
    RED = 1


ZOO = [Slots(), Plain(), {1: 2.5}, {"a": (1, (2.5, "deep"))}, bytearray(100), {1, 2, 3},
       frozenset(range(20)), "x" * 1000, "é" * 10, "日本" * 5, "\U0001F600" * 3, 10 ** 100, -5, 0,
       True, 3.5, 1j, b"abc", range(10 ** 20, 10 ** 21), [1] * 33, collections.OrderedDict(a=1),
       collections.deque([1, 2]), type("Dyn", (), {}), Color.RED, memoryview(b"xy"), slice(1, 2),
       "utf8 cached é".encode("utf-8").decode("utf-8")]


def test_every_object_of_the_walk_sized_like_getsizeof():
    mism = collections.Counter()
    objs = _core.get_objects()
    for o in objs:
        if _core.sizeof(o) != sys.getsizeof(o):
            mism[type(o).__name__] += 1
    assert not mism, mism
    assert len(objs) > 10_000


def test_summary_totals_are_sums_of_getsizeof():
    objs = list(ZOO) * 3 + [Plain() for _ in range(50)]
    expected = collections.defaultdict(lambda: [0, 0])
    for o in objs:
        e = expected[summary._repr(o)]
        e[0] += 1
        e[1] += sys.getsizeof(o)
    got = {r[0]: [r[1], r[2]] for r in summary.summarize(objs)}
    assert got == dict(expected)
    assert muppy.get_size(objs) == sum(map(sys.getsizeof, objs))


def test_heap_summary_agrees_with_the_summary_of_the_walks_objects():
    # summarize_heap counts most objects in the walk's own per-type tallies;
    # summarize() of the same objects takes the per-object path: every label,
    # count and size must agree, except the list `objs` itself
    objs = _core.get_objects()
    heap_rows = _core.summarize_heap().rows()
    list_rows = summary.summarize(objs)
    heap = {r[0]: (r[1], r[2]) for r in heap_rows}
    listed = {r[0]: (r[1], r[2]) for r in list_rows}
    n, size = listed.pop("list")
    assert heap.pop("list") == (n + 1, size + sys.getsizeof(objs))
    assert heap == listed
    assert sum(c for c, _ in heap.values()) > 10_000


class RaisingSizeof:
    def __sizeof__(self):
        raise RuntimeError("no size for you")


class NegativeSizeof:
    def __sizeof__(self):
        return -1


class StrSizeof:
    def __sizeof__(self):
        return "big"


class HugeSizeof:
    def __sizeof__(self):
        return 2 ** 70


class Reference:
    pass


def test_hostile_sizeof_counts_basic_size():
    basic = sys.getsizeof(Reference())
    for cls in (RaisingSizeof, NegativeSizeof, StrSizeof, HugeSizeof):
        objs = [cls() for _ in range(7)]
        rows = {r[0]: r for r in summary.summarize(objs)}
        label = "%s.%s" % (cls.__module__, cls.__qualname__)
        assert rows[label][1:] == [7, 7 * basic], cls
        heap = {r[0]: r for r in _core.summarize_heap().rows()}
        assert heap[label][1:] == [7, 7 * basic], cls
        assert _core.sizeof(objs[0]) == basic


class MutatingSizeof:
    """A __sizeof__ that allocates and keeps objects: must not corrupt the walk."""

    made = []

    def __sizeof__(self):
        MutatingSizeof.made.append([object() for _ in range(100)])
        return 1234


def test_sizeof_that_mutates_the_heap():
    keep = [MutatingSizeof() for _ in range(20)]
    for _ in range(3):
        s = _core.summarize_heap()
        rows = {r[0]: r for r in s.rows()}
        label = "%s.MutatingSizeof" % __name__
        assert rows[label][1:] == [20, 20 * sys.getsizeof(keep[0])]
    assert len(MutatingSizeof.made) >= 60


class ReentrantSizeof:
    inner = []

    def __sizeof__(self):
        ReentrantSizeof.inner.append(_core.summarize_heap().total_count)
        return 64


def test_sizeof_that_walks_the_heap_again():
    keep = ReentrantSizeof()
    s = _core.summarize_heap()
    assert ReentrantSizeof.inner and ReentrantSizeof.inner[0] > 1000
    assert s.total_count > 1000
    del keep
