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


# ---- retained-size column of summaries (Snapshot.summary/print(retained=True)) ----

class Nest:
    """Objects of one label nested in each other: counted once, through the outermost."""
    __slots__ = ("blob", "inner")

    def __init__(self, blob, inner=None):
        self.blob = blob
        self.inner = inner


class Sharer:
    __slots__ = ("blob", "own")

    def __init__(self, blob, own):
        self.blob = blob
        self.own = own


class Ring:
    __slots__ = ("blob", "next")

    def __init__(self, blob):
        self.blob = blob
        self.next = None


def rows_of(snap, **kw):
    return {row[0]: row for row in snap.summary(**kw)}


def test_summary_retained_column_is_exact_on_hand_built_structures():
    # nested: Nest -> Nest -> Nest, each with its own blob; a second, separate chain of two
    deep = Nest(bytearray(1000), Nest(bytearray(2000), Nest(bytearray(3000))))
    other = Nest(bytearray(4000), Nest(bytearray(500)))
    # shared: the bytearray both Sharers hold is retained by neither alone (dominated by the list)
    shared = bytearray(7000)
    sharers = [Sharer(shared, bytearray(100)), Sharer(shared, bytearray(200))]
    # a cycle entered from one list: the entry dominates the rest
    a, b = Ring(bytearray(300)), Ring(bytearray(600))
    a.next, b.next = b, a
    REG["column"] = {"deep": deep, "other": other, "sharers": sharers, "ring": [a]}
    del deep, other, shared, sharers, a, b
    snap = heapscope.snapshot(graph=True)
    reg = REG.pop("column")
    rows = rows_of(snap, retained=True)

    nests = []
    for top in (reg["deep"], reg["other"]):
        while top is not None:
            nests.append(top)
            top = top.inner
    nest_row = rows[heapscope.label(nests[0])]
    assert nest_row[1:3] == [len(nests), size(*nests)]
    assert nest_row[3] == size(*nests, *(n.blob for n in nests))  # inner Nests not counted twice

    s1, s2 = reg["sharers"]
    sharer_row = rows[heapscope.label(s1)]
    assert sharer_row[3] == size(s1, s2, s1.own, s2.own)  # not the shared bytearray
    # together with the list that holds them both, the shared one is retained
    assert snap.retained_size(reg["sharers"]) == size(reg["sharers"], s1, s2, s1.own, s2.own, s1.blob)

    a = reg["ring"][0]
    ring_row = rows[heapscope.label(a)]
    assert ring_row[3] == size(a, a.blob, a.next, a.next.blob)

    # every label: retained >= own size would fail for a broken union; and summed
    # retained of one label never exceeds the heap
    for label, count, own, retained in snap.summary(retained=True):
        assert retained <= snap.total_size
    # the first three columns are the plain summary's, in the same order
    assert [r[:3] for r in snap.summary(retained=True)] == snap.summary()
    assert [r[:3] for r in snap.summary(retained=True, detail=True)] == snap.summary(detail=True)
    assert [r[:3] for r in snap.summary(limit=5, retained=True)] == snap.summary(limit=5)
    # detail=True: these classes' detailed labels are their labels
    assert rows_of(snap, retained=True, detail=True)[heapscope.label(s1)][3] == sharer_row[3]


def test_retained_column_of_a_label_nested_in_itself_at_depth():
    """A long chain of one label: the union is the outermost one's subtree (no double counting)."""
    head = None
    for i in range(2000):
        head = Nest(bytearray(i % 50), head)
    REG["chain2000"] = head
    del head
    snap = heapscope.snapshot(graph=True)
    head = REG.pop("chain2000")
    row = rows_of(snap, retained=True)[heapscope.label(head)]
    assert row[3] == snap.retained_size(head)
    total = 0
    while head is not None:
        total += size(head, head.blob)
        head = head.inner
    assert row[3] == total


def test_print_retained_adds_a_fourth_column_and_keeps_the_three(capsys):
    import io

    REG["printed"] = [Nest(bytearray(10_000_000))]
    snap = heapscope.snapshot(graph=True)
    del REG["printed"]
    plain, wide = io.StringIO(), io.StringIO()
    snap.print(file=plain, limit=None)
    snap.print(file=wide, limit=None, retained=True)
    plain, wide = plain.getvalue().splitlines(), wide.getvalue().splitlines()
    assert len(plain) == len(wide) > 3
    assert wide[0].split("|")[-1].strip() == "retained size"
    for p, w in zip(plain, wide):
        assert w.startswith(p + " | ")  # same first three columns, byte for byte
    line = next(w for w in wide if w.split("|")[0].strip() == heapscope.label(Nest(None)))
    assert line.split("|")[3].strip() == "9.54 MB"  # Pympler's pp() of the retained bytes
    # print() without retained is untouched: Pympler's own table of the same rows
    from heapscope.summary import format_
    assert plain == list(format_(snap.summary(), limit=None))
    snap.print(limit=3, retained=True, detail=True)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 5 and out[0].rstrip().endswith("retained size")


def test_format_sorts_by_the_retained_column():
    from heapscope.summary import format_
    rows = [["a", 1, 100, 5000], ["b", 2, 300, 10], ["c", 3, 200, 700]]
    lines = list(format_(rows, sort="retained"))
    assert [l.split("|")[0].strip() for l in lines[2:]] == ["a", "c", "b"]
    lines = list(format_(rows))  # default: by size
    assert [l.split("|")[0].strip() for l in lines[2:]] == ["b", "c", "a"]
    with pytest.raises(ValueError):
        list(format_([r[:3] for r in rows], sort="retained"))  # three columns: Pympler's choices only


def test_retained_column_needs_a_graph():
    snap = heapscope.snapshot()
    with pytest.raises(ValueError):
        snap.summary(retained=True)
    with pytest.raises(ValueError):
        snap.print(retained=True)
    assert snap.summary(limit=1)  # the plain summary still works


# ---- paths for top_retainers ------------------------------------------------------

def test_top_retainers_paths_end_at_the_object_and_start_at_a_root():
    class Keeper:
        pass

    k = Keeper()
    k.blob = bytearray(40_000_000)
    REG["keeper"] = k
    blob_id = id(k.blob)
    del k
    snap = heapscope.snapshot(graph=True)
    tops = snap.top_retainers(8, paths=True)
    assert all(isinstance(t, heapscope.Retainer) for t in tops)
    assert [tuple(t) for t in tops] == snap.top_retainers(8)  # the tuple form, unchanged
    blob = next(t for t in tops if t.address == blob_id)
    assert blob.label == "bytearray" and blob.retained == blob.size == sys.getsizeof(REG["keeper"].blob)
    p = blob.path
    assert p is not None and p.kind == "module" and p.root == "sys.modules[%r]" % __name__
    text = str(p)
    assert text.startswith(p.root + ".REG") and "['keeper']" in text and text.endswith(".blob -> bytearray")
    assert p.steps[-1] == ("bytearray", "")
    keeper = next(t for t in tops if t.label.endswith("Keeper"))
    assert str(keeper.path).endswith("['keeper'] -> " + type(REG["keeper"]).__qualname__)
    assert keeper.retained >= blob.retained + keeper.size
    del REG["keeper"]


def test_top_retainers_paths_from_a_frame_and_of_objects_gone():
    local_list = [bytearray(30_000_000)]
    snap = heapscope.snapshot(graph=True)
    tops = snap.top_retainers(5, paths=2)
    mine = next(t for t in tops if t.address == id(local_list))
    assert mine.path.kind == "frame"
    assert "test_top_retainers_paths_from_a_frame_and_of_objects_gone()" in mine.path.root
    assert "local local_list" in mine.path.root
    assert 1 <= len(mine.paths) <= 2
    inner = next(t for t in tops if t.address == id(local_list[0]))
    assert str(inner.path).endswith("list[0] -> bytearray")
    addr = id(local_list)
    del local_list, mine, inner
    again = {t.address: t for t in snap.top_retainers(5, paths=True)}
    assert again[addr].path is None and again[addr].paths == []  # gone: no path, no crash
    assert "no path" in repr(again[addr])


def test_top_retainers_paths_need_a_graph():
    with pytest.raises(ValueError):
        heapscope.snapshot().top_retainers(3, paths=True)
    snap = heapscope.snapshot(graph=True)
    assert snap.top_retainers(0, paths=True) == []


def test_muppy_print_summary_retained():
    import io

    from heapscope import muppy

    REG["muppy"] = [Ring(bytearray(20_000_000))]
    buf = io.StringIO()
    muppy.print_summary(file=buf, retained=True)
    lines = buf.getvalue().splitlines()
    assert lines[0].split("|")[-1].strip() == "retained size" and len(lines) == 17
    cells = [[c.strip() for c in l.split("|")] for l in lines[2:]]
    assert cells[0][0] == "bytearray"  # the largest; it holds nothing: retained == own size
    assert cells[0][2] == cells[0][3] and cells[0][2].endswith("MB")
    buf = io.StringIO()
    muppy.print_summary(file=buf)
    assert "retained" not in buf.getvalue() and len(buf.getvalue().splitlines()[0].split("|")) == 3
    del REG["muppy"]


def test_top_retainers_paths_through_hostile_objects():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no repr")

        def __eq__(self, other):
            raise RuntimeError("no eq")

        def __hash__(self):
            return 7

        def __getattr__(self, name):
            raise RuntimeError("no attributes")

    key = Hostile()
    REG["hostile"] = {key: [bytearray(25_000_000)]}
    snap = heapscope.snapshot(graph=True)
    tops = snap.top_retainers(6, paths=True)
    lst = next(t for t in tops if t.address == id(REG["hostile"][key]))
    text = str(lst.path)
    assert text.startswith("sys.modules[%r].REG" % __name__) and "repr() raised RuntimeError" in text
    assert text.endswith("-> list")
    del REG["hostile"]
