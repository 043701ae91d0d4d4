"""Labels are Pympler 1.1's summary._repr, computed in C, for every object."""
import enum
import sys
import types

import pytest

from heapscope import _core, summary


def test_labels_identical_to_pympler_over_the_whole_heap(pympler):
    prepr = pympler.summary._repr
    diffs = []
    for o in _core.get_objects():
        try:
            expected = prepr(o)
        except Exception:
            continue
        if _core.label(o) != expected:
            diffs.append((expected, _core.label(o)))
    assert diffs == []


def test_summarize_rows_identical_to_pympler_on_the_same_objects(pympler):
    objs = pympler.muppy.get_objects()
    ours = {r[0]: (r[1], r[2]) for r in summary.summarize(objs)}
    theirs = {r[0]: (r[1], r[2]) for r in pympler.summary.summarize(objs)}
    assert set(ours) == set(theirs)
    assert {k: v[0] for k, v in ours.items()} == {k: v[0] for k, v in theirs.items()}
    # Sizes may only differ where Pympler's own run changed an object (code caches, dicts).
    changed = {k for k in ours if ours[k][1] != theirs[k][1]}
    assert changed <= {"code", "dict", "list", "str", "set", "function (summarize)"}


def named():
    pass


class Meta(type):
    def __repr__(cls):
        return "<Meta %s>" % cls.__name__


class WithMeta(metaclass=Meta):
    pass


class RaisingMeta(type):
    def __repr__(cls):
        raise ValueError("hostile metaclass repr")


class Hostile(metaclass=RaisingMeta):
    pass


class NonStrMeta(type):
    def __repr__(cls):
        return 42


class Weird(metaclass=NonStrMeta):
    pass


class E(enum.Enum):
    A = 1


def test_label_forms():
    mod = types.ModuleType("my.mod")
    nameless = types.ModuleType("x")
    del nameless.__name__
    assert _core.label({}) == "dict"
    assert _core.label([]) == "list"
    assert _core.label(set()) == "set"
    assert _core.label(1) == "int"
    assert _core.label(named) == "function (named)"
    assert _core.label(lambda: 0) == "function (<lambda>)"
    assert _core.label(mod) == "module(my.mod)"
    assert _core.label(nameless).startswith("module(nameless, id: ")
    assert _core.label(sys._getframe()) == "frame (codename: test_label_forms)"
    assert _core.label(WithMeta()) == "<Meta WithMeta>"
    assert _core.label(E.A) == "<enum 'E'>"
    assert _core.label(E) == "enum.EnumMeta" or _core.label(E) == "enum.EnumType"
    assert _core.label(int) == "type"
    assert _core.label(object().__init__) == "method-wrapper"
    assert _core.label([].append) == "builtin_function_or_method"
    assert _core.label(summary.print_) == "function (print_)"


def test_hostile_metaclass_repr_falls_back_to_the_class_name():
    for cls in (Hostile, Weird):
        objs = [cls() for _ in range(3)]
        label = "%s.%s" % (cls.__module__, cls.__qualname__)
        assert _core.label(objs[0]) == label
        rows = {r[0]: r for r in summary.summarize(objs)}
        assert rows[label][1] == 3
        heap = {r[0]: r for r in _core.summarize_heap().rows()}
        assert heap[label][1] == 3


def test_repr_verbosity_levels_match_pympler(pympler):
    for o in ({1: 2}, [1, 2], {3}, named, sys._getframe(), sys):
        for v in (0, 1, 2, 3):
            assert summary._repr(o, verbosity=v) == pympler.summary._repr(o, verbosity=v)


@pytest.mark.parametrize("text", [
    "<class 'a.b'>", "<class 'a b'>", "<type 'x'>", "<class 'x'>\n", "x at 0x1f2 y at 0xZZ",
    "<Foo at 0xabc>", "<class 'q' at 0x12>", "<enum 'E'>", "plain", "<class ''>",
    "<class 'é\u3000x'>", " at 0x", "a at 0xdeadbeef at 0x1b", "<class 'x'> trailing",
])
def test_c_regexes_match_pympler_on_metaclass_reprs(pympler, text):
    meta = type("M", (type,), {"__repr__": lambda cls: text})
    obj = meta("C", (), {})()
    assert _core.label(obj) == pympler.summary._repr(obj) == summary._fix_label(text)
