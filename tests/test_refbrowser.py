"""heapscope.refbrowser: Pympler's referrers trees from one heap walk.

Pympler 1.1's refbrowser is the oracle for the tree text.  Pympler is right
about the referrers gc.get_referrers returns, except for its own objects: its
browser instance (3.11+), its _get_tree frames, the lists of referrers it
iterates, and the caller's frames (3.9/3.10); those are pruned from its tree
before comparing.  The documented differences (untracked containers are
referrers, heapscope's own objects never are, hostile __eq__ is harmless) are
tested on their own.

Structures are built in module-level stores (STORE) so that their referrers
do not depend on the test's frame; the collector is run, then paused while
both trees are taken, so that gc.get_referrers' order does not move.
"""
import gc
import io
import sys
import types
import weakref

import pytest

from heapscope import refbrowser as hr

pr = pytest.importorskip("pympler.refbrowser")

STORE = []


@pytest.fixture(autouse=True)
def _clean_store():
    yield
    STORE.clear()


class Leaf:
    pass


class Holder:
    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


class Slotted:
    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref


def _running_frames():
    """ids of the frames running now (this one's callers): Pympler lists them."""
    out, f = set(), sys._getframe()
    while f is not None:
        out.add(id(f))
        f = f.f_back
    return out


def _pympler_artifact(o, browser, running):
    if isinstance(o, (pr.RefBrowser, pr._Node)) or id(o) in running:
        return True
    return any(o is x for x in browser.ignore)


def _prune(node, browser):
    """Pympler's tree less Pympler's own objects and the running frames
    (suspended generators' frames are real referrers, kept)."""
    running = _running_frames()
    stack = [node]
    while stack:
        n = stack.pop()
        if not isinstance(n, pr._Node):
            continue
        n.children = [c for c in n.children
                      if not (isinstance(c, pr._Node) and _pympler_artifact(c.o, browser, running))]
        stack.extend(n.children)
    return node


def _texts(root, maxdepth):
    """(heapscope's tree text, Pympler's pruned tree text) of root."""
    gc.collect()
    gc.disable()
    try:
        out = io.StringIO()
        hr.StreamBrowser(root, maxdepth=maxdepth, stream=out).print_tree()
        theirs = io.StringIO()
        pb = pr.StreamBrowser(root, maxdepth=maxdepth, stream=theirs)
        tree = _prune(pb.get_tree(), pb)
        pb.print_tree(tree)
    finally:
        gc.enable()
    return out.getvalue(), theirs.getvalue()


def _nodes(tree):
    out, stack = [], [tree]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, hr._Node):
            stack.extend(n.children)
    return out


def _depth(tree):
    best, stack = 0, [(tree, 0)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if isinstance(n, hr._Node):
            stack.extend((c, d + 1) for c in n.children)
    return best


def _build_shared():
    root = Leaf()
    a = [root]
    b = {"r": root, "a": a}
    c = (a, 1)
    h = Holder(x=root, y=b)
    s = Slotted(root)
    STORE.extend([b, c, h, s, [c, b]])
    return root


@pytest.mark.parametrize("maxdepth", [0, 1, 2, 3, 4])
def test_tree_text_equals_pymplers(maxdepth):
    _build_shared()
    mine, theirs = _texts(STORE[2].x, maxdepth)
    assert mine == theirs
    assert mine.startswith("test_refbrowser.Leaf")
    if maxdepth >= 1:
        # list, dict, Holder (3.11+: the instance; before: its __dict__), Slotted
        assert mine.count("\n") >= 4


def test_tree_text_chain_and_fan():
    root = Leaf()
    fan = [[root] for _ in range(5)]
    chain = root
    for _ in range(6):
        chain = {"next": chain}
    STORE.extend([fan, chain])
    mine, theirs = _texts(STORE[0][0][0], 3)
    assert mine == theirs
    assert mine.count("+-list") >= 5


def test_closures_and_methods_match():
    root = Leaf()

    def make():
        captured = root

        def inner():
            return captured
        return inner
    f = make()
    STORE.append(f)
    STORE.append(types.MethodType(lambda self: None, root))
    del f
    mine, theirs = _texts(root, 3)
    assert mine == theirs
    assert "cell" in mine and "method" in mine


def test_untracked_container_is_a_referrer_pympler_misses():
    root = "".join(["heapscope", "-untracked-", str(id(STORE))])
    d = {"k": root}  # only atomic values: the GC never tracks it
    STORE.append(d)
    assert not gc.is_tracked(d)
    tree = hr.RefBrowser(root, maxdepth=2).get_tree()
    kids = [c.o for c in tree.children]
    assert any(k is d for k in kids)
    # ... and the tracked list holding the dict is found one level up
    dnode = next(c for c in tree.children if c.o is d)
    assert any(g.o is STORE for g in dnode.children)
    ptree = pr.RefBrowser(root, maxdepth=2).get_tree()
    assert not any(c.o is d for c in ptree.children)


def test_own_objects_never_referrers():
    root = _build_shared()
    browser = hr.StreamBrowser(root, maxdepth=3, stream=io.StringIO())
    first = browser.get_tree()  # an earlier tree refers to root: it must not show
    tree = browser.get_tree()
    for n in _nodes(tree):
        if isinstance(n, hr._Node):
            assert not isinstance(n.o, (hr.RefBrowser, hr._Node))
            if isinstance(n.o, types.FrameType):  # (other tests leave Pympler's frames about)
                assert n.o.f_code.co_filename != hr.__file__ and n.o.f_code.co_name != __name__
            assert n.o is not first and n.o is not first.children
    assert len(tree.children) == len(first.children) == 4
    assert not any(isinstance(c.o, types.FrameType) for c in tree.children)
    if sys.version_info >= (3, 11):
        # Pympler lists its own browser among the root's referrers
        ptree = pr.RefBrowser(root, maxdepth=1).get_tree()
        assert any(isinstance(c.o, pr.RefBrowser) for c in ptree.children)


def test_maxdepth_respected():
    root = Leaf()
    chain = root
    for _ in range(10):
        chain = [chain]
    STORE.append(chain)
    for md in range(0, 6):
        tree = hr.RefBrowser(root, maxdepth=md).get_tree()
        assert _depth(tree) == md
    with pytest.raises(ValueError):
        hr.RefBrowser(root, maxdepth=-1).get_tree()


def test_repeat_false_marks_already_included():
    root = Leaf()
    shared = {"r": root}
    a = [root, shared]
    STORE.extend([a, shared])
    tree = hr.RefBrowser(root, maxdepth=2, repeat=False).get_tree()
    texts = [c for n in _nodes(tree) if isinstance(n, hr._Node) for c in n.children if isinstance(c, str)]
    assert any("(already included, id %d)" % id(shared) in t for t in texts) or \
        any("(already included, id %d)" % id(a) in t for t in texts)
    objs = [n.o for n in _nodes(tree) if isinstance(n, hr._Node)]
    assert len(objs) == len({id(o) for o in objs})  # nothing twice as a node
    # repeat=True: the same object appears under several parents
    tree = hr.RefBrowser(root, maxdepth=2, repeat=True).get_tree()
    objs = [n.o for n in _nodes(tree) if isinstance(n, hr._Node)]
    assert sum(o is a for o in objs) == 2  # referrer of root and of shared


def test_repeat_false_text_equals_pymplers():
    _build_shared()
    root = STORE[2].x
    gc.collect()
    gc.disable()
    try:
        mine = io.StringIO()
        hr.StreamBrowser(root, maxdepth=2, stream=mine, repeat=False).print_tree()
        theirs = io.StringIO()
        pb = pr.StreamBrowser(root, maxdepth=2, stream=theirs, repeat=False)
        pb.print_tree(_prune(pb.get_tree(), pb))
    finally:
        gc.enable()
    # Pympler marks its own objects as included too; compare the lines it has
    # that are not about them.
    keep = [line for line in theirs.getvalue().splitlines() if "frame" not in line and "Browser" not in line]
    assert [line for line in mine.getvalue().splitlines() if line.strip("| ")] == \
        [line for line in keep if line.strip("| ")]


class Hostile:
    def __eq__(self, other):
        raise RuntimeError("no comparisons")

    def __hash__(self):
        raise RuntimeError("no hashing")

    def __repr__(self):
        raise RuntimeError("no repr")

    __str__ = __repr__


def test_hostile_referrers():
    root = Leaf()
    h = Hostile()
    h.ref = root
    STORE.append(h)
    tree = hr.RefBrowser(root, maxdepth=2).get_tree()
    holder = h if sys.version_info >= (3, 11) else vars(h)  # before 3.11: its __dict__
    assert any(c.o is holder for c in tree.children)
    out = io.StringIO()
    hr.StreamBrowser(root, maxdepth=2, stream=out).print_tree()
    assert "test_refbrowser.Hostile" in out.getvalue()
    # a str_func that raises propagates
    with pytest.raises(RuntimeError):
        hr.StreamBrowser(h, maxdepth=1, stream=io.StringIO(), str_func=repr).print_tree()


def test_console_and_file_browsers(capsys, tmp_path):
    root = _build_shared()
    expect = io.StringIO()
    hr.StreamBrowser(root, maxdepth=2, stream=expect).print_tree()
    hr.ConsoleBrowser(root, maxdepth=2).print_tree()
    assert capsys.readouterr().out == expect.getvalue()
    fb = hr.FileBrowser(root, maxdepth=2)
    fb.print_tree(str(tmp_path / "tree.txt"))
    assert (tmp_path / "tree.txt").read_text() == expect.getvalue()
    assert fb.stream is None
    # a tree passed in is printed as is
    out = io.StringIO()
    sb = hr.StreamBrowser(root, maxdepth=2, stream=out)
    sb.print_tree(sb.get_tree())
    assert out.getvalue() == expect.getvalue()


def test_nothing_held_after():
    root = Leaf()
    holder = Holder(r=root)
    STORE.append(holder)
    ref = weakref.ref(holder)
    before = sys.getrefcount(root), sys.getrefcount(holder)
    tree = hr.RefBrowser(root, maxdepth=3).get_tree()
    if sys.version_info >= (3, 11):
        assert any(c.o is holder for c in tree.children)
    else:  # the instance's __dict__, then the instance
        assert any(g.o is holder for c in tree.children for g in c.children)
    del tree
    gc.collect()
    assert (sys.getrefcount(root), sys.getrefcount(holder)) == before
    STORE.clear()
    del holder
    assert ref() is None


def test_interactive_browser_is_not_offered():
    with pytest.raises(NotImplementedError, match="ConsoleBrowser"):
        hr.InteractiveBrowser(Leaf())
    leaf = Leaf()
    assert hr.gui_default_str_function(leaf) == pr.gui_default_str_function(leaf)
