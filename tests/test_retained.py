"""Retained sizes over a graph snapshot: exact sums of sys.getsizeof on
hand-built structures, shared objects retained by no one alone."""
import sys

import pytest

import heapscope

REG = {}


class Node:
    __slots__ = ("payload", "next")

    def __init__(self, payload=None, next=None):
        self.payload = payload
        self.next = next


def size(*objs):
    return sum(sys.getsizeof(o) for o in objs)


def test_a_chain_retains_everything_below_it():
    tail = Node(bytearray(3000))
    mid = Node(bytearray(2000), tail)
    head = Node(bytearray(1000), mid)
    REG["chain"] = head
    del tail, mid
    snap = heapscope.snapshot(graph=True)
    h = REG["chain"]
    assert snap.retained_size(h) == size(h, h.payload, h.next, h.next.payload, h.next.next, h.next.next.payload)
    assert snap.retained_size(h.next.next) == size(h.next.next, h.next.next.payload)


def test_shared_objects_belong_to_no_one_alone():
    shared = bytearray(5000)
    a, b = [shared, bytearray(100)], [shared]
    REG["a"], REG["b"] = a, b
    del shared
    snap = heapscope.snapshot(graph=True)
    assert snap.retained_size(REG["a"]) == size(REG["a"], REG["a"][1])  # not the shared bytearray
    assert snap.retained_size(REG["b"]) == size(REG["b"])
    assert snap.retained_size(REG["a"][0]) == size(REG["a"][0])
    del a, b
    holder = [REG.pop("a"), REG.pop("b")]
    REG["holder"] = holder
    del holder
    snap = heapscope.snapshot(graph=True)  # now one list holds both: it retains the shared one too
    h = REG["holder"]
    assert snap.retained_size(h) == size(h, h[0], h[0][0], h[0][1], h[1])


def test_cycles_are_retained_by_what_enters_them():
    x, y = Node(bytearray(700)), Node(bytearray(900))
    x.next, y.next = y, x
    REG["cycle"] = [x]
    del x, y
    snap = heapscope.snapshot(graph=True)
    entry = REG["cycle"]
    x = entry[0]
    assert snap.retained_size(entry) == size(entry, x, x.payload, x.next, x.next.payload)
    assert snap.retained_size(x.next) == size(x.next, x.next.payload)


def test_top_retainers_and_errors():
    REG["big"] = [bytearray(50_000_000)]
    snap = heapscope.snapshot(graph=True)
    top = snap.top_retainers(10)  # the module, its dict, REG, the list, the bytearray among them
    assert len(top) == 10 and [t[2] for t in top] == sorted((t[2] for t in top), reverse=True)
    assert any(label == "bytearray" and retained >= 50_000_000 for label, _, retained, _, _ in top)
    assert all(retained >= own for _, _, retained, own, _ in top)
    del REG["big"]
    with pytest.raises(ValueError):
        heapscope.snapshot().retained_size(REG)  # no graph
    with pytest.raises(ValueError):
        snap.retained_size(object())  # not in the snapshot
