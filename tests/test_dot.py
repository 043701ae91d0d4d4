"""Graphviz DOT output: the C writer (csrc/dot.c) and what is built on it,
heapscope.show_backrefs / show_refs (objgraph's graphs, objgraph as the
oracle for nodes and edges) and heapscope.dot.write_paths (why_alive paths).

Every DOT text is parsed back by the small parser below (statements, quoted
strings with \\" \\\\ \\n escapes and the &amp; entity), and, when Graphviz's
``dot`` is on PATH, rendered with ``dot -Tplain`` to check Graphviz reads it
and decodes the labels the same way.
"""
import gc
import html
import io
import os
import re
import shutil
import subprocess
import sys

import pytest

import heapscope
from heapscope import _core
from heapscope import dot as hdot

objgraph = pytest.importorskip("objgraph")

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz dot not installed")

STORE = {}


@pytest.fixture(autouse=True)
def _clean():
    yield
    STORE.clear()


# ---- a tiny DOT parser ---------------------------------------------------------------

_STMT = re.compile(r'\s*(\w+)(?:\s*->\s*(\w+))?\s*(?:\[(.*)\])?\s*;\s*$')
_ATTR = re.compile(r'\s*(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s\]]+)\s*,?')


def _unquote(v, entities=True):
    if not v.startswith('"'):
        return v
    out, i, body = [], 0, v[1:-1]
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return html.unescape("".join(out)) if entities else "".join(out)


def parse(text):
    """(graph name, {node: attrs}, [(src, dst, attrs)], {kind: attrs}) of DOT text."""
    lines = text.strip().splitlines()
    m = re.match(r"digraph (\w+) \{$", lines[0])
    assert m, lines[0]
    assert lines[-1] == "}"
    nodes, edges, defaults = {}, [], {}
    for line in lines[1:-1]:
        s = _STMT.match(line)
        assert s, "not a statement: %r" % line
        a, b, attrs = s.groups()
        d = {}
        pos = 0
        while attrs and pos < len(attrs):
            am = _ATTR.match(attrs, pos)
            assert am, "bad attributes: %r" % attrs
            d[am.group(1)] = _unquote(am.group(2))
            pos = am.end()
        if b:
            edges.append((a, b, d))
        elif a in ("node", "edge", "graph"):
            defaults[a] = d
        else:
            nodes.setdefault(a, {}).update(d)
    return m.group(1), nodes, edges, defaults


def plain(text):
    """Graphviz's own reading: ({node: label}, [(src, dst, label)]) from dot -Tplain."""
    done = subprocess.run([DOT, "-Tplain"], input=text.encode("utf-8"), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode("utf-8")
    nodes, edges = {}, []
    for line in out.splitlines():
        if line.startswith("node "):
            m = re.match(r'node (\S+) \S+ \S+ \S+ \S+ ("(?:[^"\\]|\\.)*"|\S+)', line)
            nodes[m.group(1)] = _unquote(m.group(2), False)
        elif line.startswith("edge "):
            parts = line.split()
            n = int(parts[3])
            rest = line.split(None, 4 + 2 * n)
            label = rest[4 + 2 * n] if len(rest) > 4 + 2 * n else ""
            lm = re.match(r'("(?:[^"\\]|\\.)*"|\S+) \S+ \S+ \S+ \S+$', label)
            edges.append((parts[1], parts[2], _unquote(lm.group(1), False) if lm else ""))
    return nodes, edges


# ---- the writer ------------------------------------------------------------------------

NASTY = ['plain', 'quote " inside', "back\\slash", "new\nline", "\\n not a newline", "caf\u00e9 \u4e2d\u6587 \U0001f600",
         "amp & lt < gt >", "&amp; literal", "tab\tand\x01control", "lone \udc80 surrogate", "trailing \\", '"']


def test_writer_round_trips_nasty_labels():
    nodes = [("n%d" % i, [("label", s)]) for i, s in enumerate(NASTY)]
    edges = [("n%d" % i, "n%d" % (i + 1), {"label": s}) for i, s in enumerate(NASTY[:-1])]
    text = _core.dot("G", [("node", [("shape", "box")])], nodes, edges)
    assert "\udc80" not in text and "\x01" not in text
    text.encode("utf-8")
    name, got, gedges, defaults = parse(text)
    assert name == "G" and defaults == {"node": {"shape": "box"}}
    expect = [s.replace("\udc80", "\ufffd").replace("\x01", "\\x01") for s in NASTY]
    assert [got["n%d" % i]["label"] for i in range(len(NASTY))] == expect
    assert [(a, b, d["label"]) for a, b, d in gedges] == \
        [("n%d" % i, "n%d" % (i + 1), expect[i]) for i in range(len(NASTY) - 1)]


@needs_dot
def test_graphviz_reads_nasty_labels():
    nodes = [("n%d" % i, [("label", s)]) for i, s in enumerate(NASTY)]
    edges = [("n0", "n1", [("label", "caf\u00e9 \"q\" \\")])]
    text = _core.dot("G", [], nodes, edges)
    gnodes, gedges = plain(text)
    for i, s in enumerate(NASTY):
        if "\\n" in s:
            continue  # plain output writes newlines as \\n too: ambiguous
        assert gnodes["n%d" % i] == s.replace("\udc80", "\ufffd").replace("\x01", "\\x01"), i
    assert gedges == [("n0", "n1", "caf\u00e9 \"q\" \\")]


def test_writer_rejects_bad_input():
    with pytest.raises(ValueError):
        _core.dot("G", [], [("bad id", [])], [])
    with pytest.raises(ValueError):
        _core.dot("G", [], [("n", [("bad-name", "x")])], [])
    with pytest.raises(ValueError):
        _core.dot("G", [("nodes", [])], [], [])
    with pytest.raises(TypeError):
        _core.dot("G", [], [("n",)], [])
    with pytest.raises(TypeError):
        _core.dot("G", [], [], [("a", "b")])

    class BadStr:
        def __str__(self):
            raise RuntimeError("no str")
    with pytest.raises(RuntimeError, match="no str"):
        _core.dot("G", [], [("n", [("label", BadStr())])], [])


# ---- show_backrefs / show_refs ---------------------------------------------------------

class Leaf:
    pass


class Holder:
    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


class HostileRepr:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __eq__(self, other):
        raise RuntimeError("no eq")

    __hash__ = None


def _backrefs(objs, **kw):
    out = io.StringIO()
    heapscope.show_backrefs(objs, output=out, **kw)
    return parse(out.getvalue())


def _node(obj):
    return "o%d" % id(obj)


def test_backrefs_edges_and_labels():
    t = Leaf()
    lst = [0, t]
    h = Holder(attr=t)

    def make(captured):
        def inner():
            return captured
        return inner
    f = make(t)
    STORE.update({"key \u00e9\"": t, "lst": lst, "h": h, "f": f})
    del f
    name, nodes, edges, defaults = _backrefs(STORE["lst"][1], max_depth=1, too_many=20)
    assert name == "ObjectGraph"
    tid = _node(t)
    assert nodes[tid]["fontcolor"] == "red"
    assert nodes[tid]["label"].startswith("Leaf\n<test_dot.Leaf object at")
    into = {a: d.get("label") for a, b, d in edges if b == tid}
    assert into[_node(STORE)] == "['key \u00e9\"']"
    assert into[_node(lst)] == "[1]"
    if sys.version_info >= (3, 11):
        assert into[_node(h)] == ".attr"
    cells = [a for a in into if nodes[a]["label"].startswith("cell")]
    assert len(cells) == 1 and into[cells[0]] == ".cell_contents"
    # one level only: nothing points at the referrers
    assert all(b == tid for a, b, d in edges)


def test_backrefs_same_graph_as_objgraph():
    t = Leaf()
    STORE["a"] = [t]
    STORE["b"] = {"x": t, "y": STORE["a"]}
    STORE["c"] = Holder(v=STORE["b"])
    del t
    mine = io.StringIO()
    heapscope.show_backrefs([STORE["a"][0]], max_depth=2, output=mine)
    theirs = io.StringIO()
    objgraph.show_backrefs([STORE["a"][0]], max_depth=2, output=theirs)
    _, mnodes, medges, _ = parse(mine.getvalue())
    _, tnodes, tedges, _ = parse(theirs.getvalue())
    assert set(mnodes) == set(tnodes)
    assert {(a, b) for a, b, _ in medges} == {(a, b) for a, b, _ in tedges}
    for n in tnodes:  # same type line and colours
        assert mnodes[n]["label"].split("\n")[0] == tnodes[n]["label"].split("\n")[0]
        assert mnodes[n]["fillcolor"] == tnodes[n]["fillcolor"]
    # objgraph labels dict keys that are identifiers with the bare key
    tl = {(a, b): d.get("label") for a, b, d in tedges}
    ml = {(a, b): d.get("label") for a, b, d in medges}
    key = (_node(STORE), _node(STORE["a"]))
    assert tl[key] == "a" and ml[key] == "['a']"


def test_refs_too_many_filter_highlight_extra():
    root = {"k%d" % i: Leaf() for i in range(15)}
    STORE["root"] = root
    out = io.StringIO()
    heapscope.show_refs(root, max_depth=1, too_many=4, output=out,
                        filter=lambda o: isinstance(o, Leaf),
                        highlight=lambda o: o is root["k0"],
                        extra_info=lambda o: "extra",
                        extra_node_attrs=lambda o: {"URL": "u%d" % id(o), "tooltip": None})
    _, nodes, edges, _ = parse(out.getvalue())
    leaves = [n for n in nodes if n.startswith("o") and n != _node(root)]
    assert len(leaves) == 4  # too_many, after the filter (keys are not Leafs)
    more = nodes["too_many_" + _node(root)]
    assert more["label"] == "11 more references"
    assert nodes[_node(root["k0"])]["fillcolor"] == "0.6,0.6,0.65"
    assert all(nodes[n]["label"].endswith("\nextra") for n in nodes if n.startswith("o"))
    assert nodes[_node(root)]["URL"] == "u%d" % id(root)
    assert "tooltip" not in nodes[_node(root)]
    assert sorted(d["label"] for a, b, d in edges if "label" in d) == sorted(
        "['k%d']" % i for i in range(4))


def test_max_depth_and_hostile_repr():
    t = HostileRepr()
    chain = t
    for _ in range(6):
        chain = [chain]
    STORE["chain"] = chain
    _, nodes, edges, _ = _backrefs(STORE["chain"][0][0][0][0][0][0], max_depth=3)
    assert nodes[_node(t)]["label"] == "HostileRepr\n(unrepresentable)"
    lists = [n for n in nodes if nodes[n]["label"].startswith("list")]
    assert len(lists) == 3  # depth 3: three lists up, not the fourth
    _, nodes, edges, _ = _backrefs([], max_depth=3)
    assert nodes == {} and edges == []


class HostileKey:
    def __repr__(self):
        raise RuntimeError("no repr")


def test_hostile_keys_and_metaclasses():
    # defined here and freed at the end: a class like this left alive breaks
    # Pympler's muppy.get_objects (the oracle of other tests), not heapscope
    class HostileMeta(type):
        def __getattribute__(cls, name):
            raise RuntimeError("no attributes")

    class Guarded(metaclass=HostileMeta):
        pass

    g = Guarded()
    key = HostileKey()
    STORE["g"] = {key: g}
    try:
        _, nodes, edges, _ = _backrefs(STORE["g"][key], max_depth=1)
        assert nodes[_node(g)]["label"].startswith("Guarded\n<test_dot.")
        gid, did = _node(g), _node(STORE["g"])  # (g is a cell of this test: the comprehension)
        into = [d.get("label") for a, b, d in edges if b == gid and a == did]
        assert into == ["[<HostileKey key; repr() raised RuntimeError>]"]
    finally:
        STORE.clear()
        del g, Guarded, HostileMeta
        gc.collect()


def test_refcounts_and_del():
    class WithDel:
        def __del__(self):
            pass
    w = WithDel()
    STORE["w"] = w
    out = io.StringIO()
    heapscope.show_refs(STORE, max_depth=1, refcounts=True, output=out)
    _, nodes, edges, _ = parse(out.getvalue())
    assert nodes[_node(w)]["label"].startswith("WithDel [%d]\n" % (sys.getrefcount(w) - 1))
    assert nodes[_node(w) + "_has_a_del"]["label"] == "__del__"


def test_output_and_filename_exclusive(tmp_path):
    with pytest.raises(ValueError):
        heapscope.show_refs([], output=io.StringIO(), filename=str(tmp_path / "x.dot"))


def test_filename_dot(tmp_path, capsys):
    STORE["x"] = Leaf()
    fn = tmp_path / "g.dot"
    heapscope.show_backrefs(STORE["x"], max_depth=1, filename=str(fn))
    assert "Graph written to %s (" % fn in capsys.readouterr().out
    _, nodes, _, _ = parse(fn.read_text(encoding="utf-8"))
    assert _node(STORE["x"]) in nodes


@needs_dot
def test_filename_image_rendered(tmp_path):
    STORE["x"] = Leaf()
    for ext, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        fn = tmp_path / ("g" + ext)
        heapscope.show_refs(STORE, max_depth=1, filename=str(fn))
        assert fn.read_bytes().startswith(magic)


def test_filename_image_without_dot(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    STORE["x"] = Leaf()
    heapscope.show_refs(STORE, max_depth=1, filename=str(tmp_path / "g.png"))
    out = capsys.readouterr().out
    assert "dot) not found" in out
    assert not (tmp_path / "g.png").exists()
    _, nodes, _, _ = parse((tmp_path / "g.dot").read_text())
    assert _node(STORE) in nodes


@needs_dot
def test_objgraph_graph_renders():
    STORE["x"] = {"\u00e9": [HostileRepr()]}
    out = io.StringIO()
    heapscope.show_refs(STORE, max_depth=3, output=out)
    gnodes, gedges = plain(out.getvalue())
    _, nodes, edges, _ = parse(out.getvalue())
    assert set(gnodes) == set(nodes)
    assert sorted((a, b) for a, b, _ in gedges) == sorted((a, b) for a, b, _ in edges)
    assert "['\u00e9']" in {lab for _, _, lab in gedges}


# ---- why_alive paths -------------------------------------------------------------------

def test_write_paths(tmp_path):
    STORE["deep"] = {"k\u00e9y": [Leaf()]}
    STORE["other"] = (STORE["deep"]["k\u00e9y"],)
    paths = heapscope.why_alive(STORE["deep"]["k\u00e9y"][0])
    assert len(paths) >= 2
    text = hdot.paths_to_dot(paths)
    name, nodes, edges, _ = parse(text)
    assert name == "WhyAlive"
    assert nodes["target"]["label"] == "Leaf" and nodes["target"]["fontcolor"] == "red"
    # every path is a chain ending at the shared target, its edges labelled like Path steps
    for i, p in enumerate(paths):
        chain = [(a, b, d.get("label")) for a, b, d in edges if a.startswith("p%d_" % i)]
        assert len(chain) == len(p.steps) - 1
        assert chain[-1][1] == "target"
        assert [lab for _, _, lab in chain] == [e for _, e in p.steps[:-1]]
        assert nodes["p%d_0" % i]["label"].startswith(p.root)
    labels = {d.get("label") for _, _, d in edges}
    assert "['k\u00e9y']" in labels and "[0]" in labels
    fn = tmp_path / "paths.dot"
    assert hdot.write_paths(paths, str(fn)) == str(fn)
    assert fn.read_text() == text
    buf = io.StringIO()
    assert hdot.write_paths(paths, buf) is None and buf.getvalue() == text
    if DOT:
        gnodes, gedges = plain(text)
        assert gnodes["target"] == "Leaf"
        assert "['k\u00e9y']" in {lab for _, _, lab in gedges}
        png = tmp_path / "paths.png"
        hdot.write_paths(paths, png)
        assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        hdot.write_paths(paths, str(tmp_path / "noext"))
    assert os.path.exists(fn)
