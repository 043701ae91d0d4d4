"""objgraph's helpers (heapscope.objgraph): objgraph as the oracle where it is
right (GC-tracked objects, output formats), and where it is blind (untracked
floats and strs).

Calls being measured use positional arguments and write to buffers that hold
nothing from an earlier call, so the test itself adds no objects in between.
"""
import gc
import io
import re
import sys

import pytest

import heapscope

objgraph = pytest.importorskip("objgraph")
from heapscope import objgraph as growth_module


class Node:
    """A GC-tracked user class."""


class LongerNamedLeaf:
    """A second one, with a longer name (sets the column width)."""


def only_mine(o):
    return type(o) in (Node, LongerNamedLeaf)


def ids(objs):
    return {id(o) for o in objs}


def deltas(rows):
    return {name: delta for name, _, delta in rows}


@pytest.fixture
def default_peaks():
    """heapscope's own peak state, emptied before and after the test."""
    growth_module._peaks.clear()
    yield growth_module._peaks
    growth_module._peaks.clear()


def test_exported():
    for name in ("typestats", "most_common_types", "show_most_common_types", "growth",
                 "show_growth", "count", "by_type"):
        assert name in heapscope.__all__
        assert getattr(heapscope, name) is getattr(growth_module, name)
    assert heapscope.growth.__defaults__ == (10, None, True, None)  # no mutable default


def test_tracked_class_counts_equal_objgraph():
    nodes = [Node() for _ in range(137)]
    gc.collect()
    long_name = "%s.Node" % __name__
    assert heapscope.count("Node") == objgraph.count("Node") == len(nodes)
    assert heapscope.count(long_name) == objgraph.count(long_name) == len(nodes)
    assert heapscope.typestats()["Node"] == objgraph.typestats()["Node"] == len(nodes)
    hs_long = heapscope.typestats(shortnames=False)
    og_long = objgraph.typestats(shortnames=False)
    assert hs_long[long_name] == og_long[long_name] == len(nodes)
    assert "builtins.dict" in hs_long and "builtins.dict" in og_long


def test_untracked_objects_are_counted_and_listed():
    floats = [float(i) + 0.5 for i in range(1000)]
    strs = ["s%d" % i for i in range(1000)]
    assert heapscope.count("float") >= len(floats)
    assert heapscope.count("builtins.str") >= len(strs)
    assert objgraph.count("float") == 0
    found = ids(heapscope.by_type("float"))
    assert ids(floats) <= found
    assert ids(strs) <= ids(heapscope.by_type("str"))
    assert objgraph.by_type("float") == []


def test_show_growth_sees_untracked_growth_objgraph_misses():
    hs_peaks, og_peaks = {}, {}
    heapscope.growth(None, hs_peaks)
    objgraph.growth(None, og_peaks)
    kept = [float(i) + 0.5 for i in range(1000)]
    hs_out, og_out = io.StringIO(), io.StringIO()
    heapscope.show_growth(None, hs_peaks, True, hs_out)
    objgraph.show_growth(None, og_peaks, True, og_out)
    assert re.search(r"^float +%d +\+1000$" % hs_peaks["float"], hs_out.getvalue(), re.M)
    assert "float" not in og_out.getvalue()
    assert len(kept) == 1000


def test_show_growth_output_identical_to_objgraph():
    hs_peaks, og_peaks = {}, {}

    def both():
        outs = []
        for lib, peaks in ((heapscope, hs_peaks), (objgraph, og_peaks)):
            buf = io.StringIO()
            lib.show_growth(10, peaks, True, buf, only_mine)
            outs.append(buf.getvalue())
        return outs

    nodes = [Node() for _ in range(12)]
    leaves = [LongerNamedLeaf() for _ in range(3)]
    assert both() == [
        "Node                  12       +12\n"
        "LongerNamedLeaf        3        +3\n"
    ] * 2
    leaves += [LongerNamedLeaf() for _ in range(2000)]
    nodes.append(Node())
    assert both() == [
        "LongerNamedLeaf     2003     +2000\n"
        "Node                  13        +1\n"
    ] * 2
    assert both() == ["", ""]
    del nodes[:10]
    nodes += [Node() for _ in range(5)]  # 8: below the peak of 13
    assert both() == ["", ""]
    nodes += [Node() for _ in range(7)]  # 15: 2 above the peak
    assert both() == ["Node       15        +2\n"] * 2
    assert hs_peaks == og_peaks == {"Node": 15, "LongerNamedLeaf": 2003}


def test_show_growth_writes_to_stdout_by_default(capsys):
    nodes = [Node() for _ in range(4)]
    heapscope.show_growth(10, {}, True, None, only_mine)
    assert capsys.readouterr().out == "Node        4        +4\n"
    assert len(nodes) == 4


def test_default_state_second_call_prints_nothing(default_peaks):
    quiet, out = io.StringIO(), io.StringIO()
    first = heapscope.growth(None)
    assert len(first) == len(default_peaks) > 0
    del first
    heapscope.show_growth(10, None, True, quiet)
    assert quiet.getvalue() == ""
    kept = ["k%d" % i for i in range(1000)]
    heapscope.show_growth(10, None, True, out)
    assert re.search(r"^str +\d+ +\+1000$", out.getvalue(), re.M), out.getvalue()
    assert len(kept) == 1000


def test_explicit_peak_stats_is_used_and_default_left_alone(default_peaks):
    peaks = {}
    rows = heapscope.growth(None, peaks)
    assert {name: n for name, n, _ in rows} == peaks
    assert all(n == delta for _, n, delta in rows)
    assert default_peaks == {}


def test_growth_below_the_peak_is_not_reported():
    peaks = {}
    heapscope.growth(None, peaks)
    kept = [float(i) + 0.5 for i in range(1000)]
    assert deltas(heapscope.growth(None, peaks))["float"] == 1000
    peak = peaks["float"]
    del kept[:600]
    kept += [float(i) + 0.25 for i in range(300)]  # 300 below the peak
    assert "float" not in deltas(heapscope.growth(None, peaks))
    assert peaks["float"] == peak
    kept += [float(i) + 0.75 for i in range(500)]  # 200 above it
    assert deltas(heapscope.growth(None, peaks))["float"] == 200
    assert peaks["float"] == peak + 200


def test_growth_limit_and_order():
    rows = heapscope.growth(3, {})
    assert len(rows) == 3
    assert [d for _, _, d in rows] == sorted((d for _, _, d in rows), reverse=True)


def test_long_names():
    peaks = {}
    heapscope.growth(None, peaks, False)
    kept = [float(i) + 0.5 for i in range(1000)]
    rows = deltas(heapscope.growth(None, peaks, False))
    assert rows["builtins.float"] == 1000
    assert "float" not in rows
    assert heapscope.typestats(shortnames=False)["builtins.float"] >= len(kept)


def test_by_type_dotted_name():
    nodes = [Node() for _ in range(7)]
    Other = type("Node", (), {"__module__": "elsewhere"})
    others = [Other() for _ in range(4)]
    gc.collect()
    assert ids(heapscope.by_type("%s.Node" % __name__)) == ids(nodes)
    assert ids(objgraph.by_type("%s.Node" % __name__)) == ids(nodes)
    assert ids(heapscope.by_type("elsewhere.Node")) == ids(others)
    assert ids(heapscope.by_type("Node")) == ids(nodes) | ids(others)
    assert heapscope.count("elsewhere.Node") == 4
    assert heapscope.count("Node") == 11


def test_filter_sees_untracked_objects():
    kept = [float(i) + 0.5 for i in range(1000)]
    wanted = ids(kept)

    def mine(o):
        return id(o) in wanted

    assert heapscope.typestats(filter=mine) == {"float": 1000}
    assert objgraph.typestats(filter=mine) == {}
    assert heapscope.most_common_types(filter=mine) == [("float", 1000)]
    assert heapscope.growth(10, {}, True, mine) == [("float", 1000, 1000)]


def test_explicit_objects_match_objgraph_including_ties():
    objs = ([Node() for _ in range(3)] + [LongerNamedLeaf() for _ in range(5)]
            + [1.5, 2.5, "a", "b", (1,), b"x"])
    for shortnames in (True, False):
        for limit in (10, 2, None):
            hs_buf, og_buf = io.StringIO(), io.StringIO()
            heapscope.show_most_common_types(limit, objs, shortnames, hs_buf)
            objgraph.show_most_common_types(limit, objs, shortnames, og_buf)
            assert hs_buf.getvalue() == og_buf.getvalue()
            assert (heapscope.most_common_types(limit, objs, shortnames)
                    == objgraph.most_common_types(limit, objs, shortnames))
    no_floats = lambda o: not isinstance(o, float)  # noqa: E731
    assert heapscope.typestats(objs, True, no_floats) == objgraph.typestats(objs, True, no_floats)
    assert heapscope.count("float", objs) == objgraph.count("float", objs) == 2
    assert heapscope.by_type("str", objs) == ["a", "b"]


def test_show_most_common_types_whole_heap():
    buf = io.StringIO()
    heapscope.show_most_common_types(6, None, True, buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 6
    parsed = [re.match(r"^(\S+)( +)(\d+)$", line) for line in lines]
    assert all(parsed)
    widths = {len(m.group(1)) + len(m.group(2)) - 1 for m in parsed}
    assert widths == {max(len(m.group(1)) for m in parsed)}
    counts = [int(m.group(3)) for m in parsed]
    assert counts == sorted(counts, reverse=True)
    assert "str" in [m.group(1) for m in parsed]  # untracked: objgraph never lists it


def test_show_most_common_types_of_nothing_prints_nothing():
    buf = io.StringIO()
    heapscope.show_most_common_types(10, [], True, buf)
    assert buf.getvalue() == ""


def test_own_results_are_not_counted():
    gc.collect()
    n_tuple, n_list, n_dict = heapscope.count("tuple"), heapscope.count("list"), heapscope.count("dict")
    stats = heapscope.typestats()
    assert stats["tuple"] == n_tuple
    assert stats["list"] == n_list
    assert stats["dict"] == n_dict
