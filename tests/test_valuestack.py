"""heapscope's reading of running frames' evaluation stacks (CPython 3.9/3.10).

Those interpreters keep the stack depth of a running frame in a C local, so
heapscope recomputes it from the bytecode (csrc/valuestack.c).  A wrong depth
would either miss references (objects held only by a frame's stack reported as
held from outside the heap) or count stale slots.  Each test stops a frame in
the middle of a construct and checks the exact stack against what the
interpreter must hold there.
"""
import sys

import pytest

from heapscope import _core

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 11), reason="3.9/3.10 only: evaluation stacks")


def probe():
    """The stack of the calling frame, while it is inside the call to probe()."""
    return _core._frame_stack(sys._getframe(1))


def consume(*args, **kwargs):
    return args, kwargs


class CM:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def operands_tail(items, n):
    return items[len(items) - n:]


def test_plain_call_arguments():
    a, b = object(), object()
    outer = consume(consume(a, b, probe()))
    items, operands = outer[0][0][0][2]
    assert operands == 1 and items[-1] is probe
    assert items[-3:-1] == [a, b] and items[-4] is consume and items[-5] is consume
    assert len(items) == 5


def test_keyword_call_and_method_call():
    a = object()
    out = consume(a, key=[probe()])
    items, operands = out[1]["key"][0]
    # consume, a, then the list display being built; probe's own operands on top
    assert items[0] is consume and items[1] is a and items[-1] is probe and operands == 1
    assert len(items) == 3

    class K:
        def m(self, *args):
            return args

    k, x = K(), object()
    (items, operands), = k.m(x, probe())[1:]
    assert items[-1] is probe and items[-2] is x and operands == 1
    assert len(items) == 4  # method, self (CALL_METHOD), x, probe


def test_for_loops_hold_their_iterators():
    seq = [1, 2]
    for i in seq:
        for j in (3, 4):
            items, operands = probe()
            break
        break
    assert len(items) == 3 and type(items[0]).__name__ == "list_iterator"
    assert type(items[1]).__name__ == "tuple_iterator" and items[2] is probe and operands == 1


def test_with_block_holds_exit():
    with CM() as cm:
        items, operands = probe()
    assert len(items) == 2 and getattr(items[0], "__self__", None) is cm and items[1] is probe


def test_except_handler():
    try:
        raise KeyError("x")
    except KeyError as e:
        items, operands = probe()
        err = e
    # the handler holds the previous exception state (3 slots) and the handler's pop of the
    # current exception left the previous ones: what the interpreter pushes is fixed by the
    # compiler: depth = 3 saved + probe
    assert items[-1] is probe and operands == 1
    assert len(items) == 4, items
    assert err.__class__ is KeyError


def test_comprehension_and_generator():
    out = [probe() for _ in range(1)]
    items, operands = out[0]
    assert len(items) == 3 and items[0] is out  # the list being built, then its iterator
    assert type(items[1]).__name__ == "range_iterator" and items[2] is probe

    def gen():
        yield probe()

    (items, operands), = list(gen())
    assert items == [probe] and operands == 1


def test_deep_expression():
    a = 1
    r = (a + (a * (a - consume(a, a, probe())[0][0])))
    assert r == 1
    stack = None

    def grab():
        nonlocal stack
        stack = _core._frame_stack(sys._getframe(1))
        return 0

    a + (a * (a - consume(a, a, grab())[0][0]))
    items, operands = stack
    assert items == [a, a, a, consume, a, a, grab] and operands == 1


def test_extended_arg_jumps():
    """Long loops need EXTENDED_ARG in front of their jumps (and f_lasti may point at it)."""
    body = "".join("        x%d = %d\n" % (i, i) for i in range(300))
    src = ("def f(probe, consume):\n"
           + "".join("    y%d = %d\n" % (i, i) for i in range(300))
           + "    for x in [1, 2]:\n" + body
           + "        r = consume(x, probe())\n"
           + "        return r\n")
    ns = {}
    exec(src, ns)
    code = ns["f"].__code__.co_code
    assert 144 in code[::2], "the test needs EXTENDED_ARG"  # dis.opmap["EXTENDED_ARG"]
    args, _ = ns["f"](probe, consume)
    items, operands = args[-1]
    assert len(items) == 4 and type(items[0]).__name__ == "tuple_iterator"  # [1, 2] folds to a tuple
    assert items[1:] == [consume, 1, probe] and operands == 1


def test_not_running_frame_gives_none():
    def g():
        yield 1

    it = g()
    next(it)
    assert _core._frame_stack(it.gi_frame) is None
    with pytest.raises(TypeError):
        _core._frame_stack(object())
