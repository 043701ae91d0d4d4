"""Snapshot.export_devtools (.heapsnapshot) and Snapshot.export_jsonl.

The .heapsnapshot is checked by an independent reader written here from the
format's rules (shared/reference/ecosystem.md section 4): counts, to_node
offsets, strings last, the synthetic root's edges, retainer paths, and every
retained size computed by the reader's own dominator tree (Cooper, Harvey and
Kennedy's iterative algorithm) against heapscope's.
"""
import gc
import json
import os
import sys
from collections import Counter

import pytest

import heapscope

NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
              "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"]
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]


class ExportMarker:
    """One instance, held in a module global: its retainers must lead to this module."""

    def __init__(self):
        self.payload = bytearray(12345)


class LocalMarker:
    pass


HELD = {"marker": ExportMarker()}


# ---- the reader --------------------------------------------------------------------------------


class HeapSnapshot:
    """A .heapsnapshot read with json only: nodes as dicts, edges per node."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:  # strict: the file must be valid UTF-8
            text = f.read()
        self.text = text
        doc = json.loads(text)
        assert list(doc) == ["snapshot", "nodes", "edges", "strings"], list(doc)
        meta = doc["snapshot"]["meta"]
        self.node_fields = meta["node_fields"]
        self.edge_fields = meta["edge_fields"]
        assert self.node_fields[:5] == ["type", "name", "id", "self_size", "edge_count"]
        assert self.edge_fields == ["type", "name_or_index", "to_node"]
        assert meta["node_types"][0] == NODE_TYPES and meta["edge_types"][0] == EDGE_TYPES
        nf, ef = len(self.node_fields), len(self.edge_fields)
        self.node_count = doc["snapshot"]["node_count"]
        self.edge_count = doc["snapshot"]["edge_count"]
        raw_nodes, raw_edges, self.strings = doc["nodes"], doc["edges"], doc["strings"]
        assert len(raw_nodes) == self.node_count * nf
        assert len(raw_edges) == self.edge_count * ef
        for v in raw_nodes:
            assert type(v) is int and 0 <= v < 2**32
        for v in raw_edges:
            assert type(v) is int and 0 <= v < 2**32
        self.nodes = []
        for i in range(self.node_count):
            rec = dict(zip(self.node_fields, raw_nodes[i * nf:(i + 1) * nf]))
            rec["type"] = NODE_TYPES[rec["type"]]
            assert rec["name"] < len(self.strings)
            rec["name"] = self.strings[rec["name"]]
            self.nodes.append(rec)
        assert sum(n["edge_count"] for n in self.nodes) == self.edge_count
        ids = [n["id"] for n in self.nodes]
        assert len(set(ids)) == len(ids), "node ids are not unique"
        self.out = []  # per node: [(type, name_or_index, to ordinal)]
        e = 0
        for n in self.nodes:
            mine = []
            for _ in range(n["edge_count"]):
                t, name, to = raw_edges[e * ef:(e + 1) * ef]
                e += 1
                assert to % nf == 0, "to_node is not an offset into nodes"
                assert 0 <= to // nf < self.node_count
                t = EDGE_TYPES[t]
                if t not in ("element", "hidden"):
                    assert name < len(self.strings)
                    name = self.strings[name]
                mine.append((t, name, to // nf))
            self.out.append(mine)
        assert e == self.edge_count

    def retainers(self):
        preds = [[] for _ in self.nodes]
        for u, edges in enumerate(self.out):
            for t, name, v in edges:
                if t != "weak":
                    preds[v].append((u, t, name))
        return preds

    def path_from_root(self, target, first_edge=None):
        """Shortest retaining path root -> target as [(edge type, name, node)], by BFS over
        retainers; first_edge: only through the root's edge of that name."""
        preds = self.retainers()
        parent = {target: None}
        queue = [target]
        for v in queue:
            if v == 0:
                break
            for u, t, name in preds[v]:
                if u == 0 and first_edge is not None and name != first_edge:
                    continue
                if u not in parent:
                    parent[u] = (v, t, name)
                    queue.append(u)
        if 0 not in parent:
            return None
        path, u = [], 0
        while parent[u] is not None:
            v, t, name = parent[u]
            path.append((t, name, v))
            u = v
        return path

    def retained_sizes(self, root=0):
        """Dominator tree by Cooper-Harvey-Kennedy (iterative), then subtree sums of self_size.
        Nodes the root does not reach get None."""
        n = len(self.nodes)
        succ = [[v for t, _, v in edges if t != "weak"] for edges in self.out]
        order, seen = [], [False] * n  # postorder, iterative DFS
        seen[root] = True
        stack = [(root, iter(succ[root]))]
        while stack:
            v, it = stack[-1]
            for w in it:
                if not seen[w]:
                    seen[w] = True
                    stack.append((w, iter(succ[w])))
                    break
            else:
                stack.pop()
                order.append(v)
        po = [-1] * n
        for i, v in enumerate(order):
            po[v] = i
        preds = [[] for _ in range(n)]
        for u in order:
            for v in succ[u]:
                preds[v].append(u)
        idom = [-1] * n
        idom[root] = root
        rpo = order[::-1]
        changed = True
        while changed:
            changed = False
            for v in rpo[1:]:
                new = -1
                for p in preds[v]:
                    if idom[p] == -1:
                        continue
                    if new == -1:
                        new = p
                        continue
                    a, b = p, new
                    while a != b:
                        while po[a] < po[b]:
                            a = idom[a]
                        while po[b] < po[a]:
                            b = idom[b]
                    new = a
                if idom[v] != new:
                    idom[v] = new
                    changed = True
        retained = [None] * n
        for v in order:
            retained[v] = self.nodes[v]["self_size"]
        for v in order:  # postorder: children before their dominators
            if v != root:
                retained[idom[v]] += retained[v]
        return retained


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[-1] == "", "the file ends with a newline"
    docs = [json.loads(line) for line in lines[:-1]]
    return docs[0], docs[1:]


# ---- the reader itself, on a known example ------------------------------------------------------

MINIMAL = """{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],
"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},
"node_count":7,"edge_count":7,"trace_function_count":0},
"nodes":[9,0,1,0,1,0,0, 3,2,2,1176,1,0,0, 3,4,3,72,1,0,0, 3,6,4,88,2,0,0, 3,7,5,56,1,0,0, 3,7,6,56,1,0,0, 2,10,7,1049,0,0,0],
"edges":[2,1,7, 2,3,14, 2,5,21, 1,0,28, 1,1,35, 2,8,42, 6,9,28],
"strings":["","sys.modules","dict","mymod","module","cache","list","Leaky","payload","ref","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]}"""


def test_reader_agrees_with_devtools_on_the_reference_example(tmp_path):
    # Retained sizes DevTools' own worker code computes for this file (ecosystem.md section 4).
    p = tmp_path / "minimal.heapsnapshot"
    p.write_text(MINIMAL)
    hs = HeapSnapshot(p)
    assert hs.retained_sizes() == [2497, 2497, 1321, 1249, 1105, 56, 1049]
    assert hs.path_from_root(6) == [("property", "sys.modules", 1), ("property", "mymod", 2),
                                    ("property", "cache", 3), ("element", 0, 4), ("property", "payload", 6)]
    assert hs.path_from_root(5) == [("property", "sys.modules", 1), ("property", "mymod", 2),
                                    ("property", "cache", 3), ("element", 1, 5)]


def test_reader_rejects_what_devtools_rejects(tmp_path):
    bad = json.loads(MINIMAL)
    bad["edges"][2] = 1  # an ordinal, not an offset
    p = tmp_path / "bad.heapsnapshot"
    p.write_text(json.dumps(bad))
    with pytest.raises(AssertionError):
        HeapSnapshot(p)
    doc = json.loads(MINIMAL)
    p.write_text(json.dumps({"snapshot": doc["snapshot"], "strings": doc["strings"], "nodes": doc["nodes"],
                             "edges": doc["edges"]}))
    with pytest.raises(AssertionError):  # strings not last
        HeapSnapshot(p)


# ---- own snapshots (first: the module fixture below holds a big heap) -----------------------


def test_devtools_needs_a_graph_and_a_path(tmp_path):
    snap = heapscope.snapshot()
    with pytest.raises(ValueError, match="graph"):
        snap.export_devtools(str(tmp_path / "x.heapsnapshot"))
    assert not (tmp_path / "x.heapsnapshot").exists()
    g = heapscope.snapshot(graph=True)
    with pytest.raises(FileNotFoundError):
        g.export_devtools(str(tmp_path / "no" / "such" / "dir.heapsnapshot"))
    with pytest.raises(FileNotFoundError):
        snap.export_jsonl(str(tmp_path / "no" / "such" / "dir.jsonl"))
    with pytest.raises(TypeError):
        g.export_devtools(42)
    with pytest.raises(TypeError):
        g.export_jsonl(None)
    with pytest.raises(IsADirectoryError):
        g.export_jsonl(str(tmp_path))


def test_jsonl_without_graph(tmp_path):
    gc.collect()
    snap = heapscope.snapshot()
    snap.export_jsonl(str(tmp_path / "h.jsonl"))
    header, objs = read_jsonl(tmp_path / "h.jsonl")
    assert header["graph"] is False and header["edges"] is None and "roots" not in header
    assert header["objects"] == len(snap) == len(objs)
    assert all(set(o) == {"address", "type", "detail", "size"} for o in objs)
    by_type, by_detail = Counter(), Counter()
    size_type = Counter()
    for o in objs:
        by_type[o["type"]] += 1
        size_type[o["type"]] += o["size"]
        by_detail[o["detail"]] += 1
    assert {label: (c, s) for label, c, s in snap.summary()} == {k: (by_type[k], size_type[k]) for k in by_type}
    assert {label: c for label, c, _ in snap.summary(detail=True)} == dict(by_detail)


# ---- strings that need escaping ------------------------------------------------------------------


def test_hostile_labels_make_valid_json(tmp_path):
    # a module name with a quote, a backslash, control characters and a lone
    # surrogate; a class name outside the BMP with a newline
    Weird = type('Ünïcødé😀\n"Ω', (), {"__module__": 'm"o\\d\x01\x1f\udc80\u2028'})
    held = [Weird() for _ in range(3)]
    HELD["weird"] = held
    try:
        gc.collect()
        snap = heapscope.snapshot(graph=True)
        snap.export_devtools(str(tmp_path / "w.heapsnapshot"))
        snap.export_jsonl(str(tmp_path / "w.jsonl"))
        label = [lab for lab, _, _ in snap.summary() if "Ünïcødé" in lab]
        assert len(label) == 1 and "\udc80" in label[0] and "😀" in label[0]
        label = label[0]
        raw = (tmp_path / "w.heapsnapshot").read_bytes()
        raw.decode("utf-8")  # valid UTF-8 (a lone surrogate is a \u escape)
        assert b"\\udc80" in raw and "😀".encode() in raw
        hs = HeapSnapshot(tmp_path / "w.heapsnapshot")
        assert label in hs.strings
        assert sum(1 for n in hs.nodes if n["name"] == label) == 3
        header, objs = read_jsonl(tmp_path / "w.jsonl")
        mine = [o for o in objs if o["type"] == label]
        assert sorted(o["address"] for o in mine) == sorted(hex(id(w)) for w in held)
    finally:
        del HELD["weird"]


def graph_snapshot_with_names():
    try:
        return heapscope.snapshot(graph=True, names=True)
    except TypeError:  # names are the default, or not in this build
        return heapscope.snapshot(graph=True)


def expected_edge(name, ordinal):
    """The DevTools edge of an edge name (README, Exports)."""
    if name is None:
        return ("element", ordinal)
    if name == "":
        return ("hidden", ordinal)
    if (len(name) > 2 and name[0] == "[" and name[-1] == "]" and name[1:-1].isdigit() and name[1:-1].isascii()
            and int(name[1:-1]) < 2**32):  # as export.c: larger ones are int dict keys (e.g. ids)
        return ("element", int(name[1:-1]))
    if name.startswith(".") and len(name) > 1:
        return ("property", name[1:])
    return ("property" if name.startswith("[") else "internal", name)


def test_edge_names_when_the_graph_has_them(tmp_path):
    target = ExportMarker()
    holder = {'k"\n\x00\udc80': target, "plain": [10**20, target]}
    HELD["names"] = holder
    try:
        snap = graph_snapshot_with_names()
        snap.export_jsonl(str(tmp_path / "n.jsonl"))
        header, objs = read_jsonl(tmp_path / "n.jsonl")
        if not header["edge_names"]:
            pytest.skip("this build takes graphs without edge names")
        snap.export_devtools(str(tmp_path / "n.heapsnapshot"))
        hs = HeapSnapshot(tmp_path / "n.heapsnapshot")
        for i, o in enumerate(objs):
            assert len(o["names"]) == len(o["referents"])
            assert [(t, name) for t, name, _ in hs.out[i + 1]] == [
                expected_edge(name, k) for k, name in enumerate(o["names"])]
        idx = {o["address"]: i + 1 for i, o in enumerate(objs)}
        t = idx[hex(id(target))]
        from_dict = [(ty, name) for ty, name, v in hs.out[idx[hex(id(holder))]] if v == t]
        assert len(from_dict) == 1 and from_dict[0][0] == "property" and "k" in from_dict[0][1]
        from_list = [(ty, name) for ty, name, v in hs.out[idx[hex(id(holder["plain"]))]] if v == t]
        assert from_list == [("element", 1)]
    finally:
        del HELD["names"]


# ---- loaded snapshots ----------------------------------------------------------------------------


def test_a_loaded_snapshot_exports_the_same(tmp_path):
    if not hasattr(heapscope.Snapshot, "save") or not hasattr(heapscope, "load"):
        pytest.skip("heap files are not in this build")
    gc.collect()
    snap = heapscope.snapshot(graph=True)
    snap.save(str(tmp_path / "h.heap"))
    loaded = heapscope.load(str(tmp_path / "h.heap"))
    for s, name in ((snap, "live"), (loaded, "loaded")):
        s.export_devtools(str(tmp_path / (name + ".heapsnapshot")))
        s.export_jsonl(str(tmp_path / (name + ".jsonl")))
    live, back = HeapSnapshot(tmp_path / "live.heapsnapshot"), HeapSnapshot(tmp_path / "loaded.heapsnapshot")
    assert live.nodes == back.nodes
    assert [[(t, v) for t, _, v in e] for e in live.out] == [[(t, v) for t, _, v in e] for e in back.out]
    _, a = read_jsonl(tmp_path / "live.jsonl")
    _, b = read_jsonl(tmp_path / "loaded.jsonl")
    assert [(o["address"], o["size"], o["retained"], o["referents"]) for o in a] == \
        [(o["address"], o["size"], o["retained"], o["referents"]) for o in b]


def test_big_files_stream(tmp_path):
    """A heap of 200k extra objects: the export keeps only its string table (not the file) in memory."""
    big = [[i, str(i)] for i in range(70000)]
    HELD["big"] = big
    try:
        snap = heapscope.snapshot(graph=True)
        path = tmp_path / "big.heapsnapshot"
        snap.export_devtools(str(path))
        size = os.path.getsize(path)
        assert size > 40 * len(snap)  # 7 node fields and about 3 edge fields a node, as text
        hs = HeapSnapshot(path)
        assert hs.node_count == len(snap) + 1
    finally:
        del HELD["big"]


# ---- one exported graph snapshot, read back (last: it holds ~1M objects) ---------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One graph snapshot exported both ways, read back, with a local held by this frame."""
    d = tmp_path_factory.mktemp("export")
    local_marker = LocalMarker()
    gc.collect()
    snap = heapscope.snapshot(graph=True)
    snap.export_devtools(str(d / "heap.heapsnapshot"))
    snap.export_jsonl(d / "heap.jsonl")  # os.PathLike works too
    hs = HeapSnapshot(d / "heap.heapsnapshot")
    header, objs = read_jsonl(d / "heap.jsonl")
    yield {"snap": snap, "hs": hs, "header": header, "objs": objs, "local": local_marker, "dir": d}


def test_counts_and_layout(exported):
    snap, hs = exported["snap"], exported["hs"]
    roots = snap.roots
    assert hs.node_count == len(snap) + 1
    assert hs.edge_count == snap.nedges + len(roots)
    root = hs.nodes[0]
    assert root["type"] == "synthetic" and root["id"] == 1 and root["self_size"] == 0
    assert root["edge_count"] == len(roots)
    assert all(n["type"] == "object" for n in hs.nodes[1:])  # never hidden/array: DevTools moves their sizes
    assert sum(n["self_size"] for n in hs.nodes) == snap.total_size
    # strings are last in the text itself (DevTools' loader streams)
    text = hs.text
    assert text.index('"snapshot"') < text.index('"nodes"') < text.index('"edges"') < text.index('"strings"')
    assert text.rstrip().endswith("]}")
    assert len(set(hs.strings)) == len(hs.strings), "the string table is not deduplicated"


def test_nodes_match_the_snapshot(exported):
    snap, hs, objs = exported["snap"], exported["hs"], exported["objs"]
    assert len(objs) == len(snap)
    for i, o in enumerate(objs):
        node = hs.nodes[i + 1]
        assert node["self_size"] == o["size"]
        assert node["name"] == o["detail"]
        assert node["edge_count"] == len(o["referents"])
    # detailed labels: DevTools' Summary groups like summary(detail=True)
    counts = Counter(n["name"] for n in hs.nodes[1:])
    assert {label: c for label, c, _ in snap.summary(detail=True)} == dict(counts)


def test_root_edges_are_the_graph_roots(exported):
    snap, hs = exported["snap"], exported["hs"]
    root_edges = hs.out[0]
    assert all(t == "property" for t, _, _ in root_edges)
    assert Counter(name for _, name, _ in root_edges) == Counter(label for _, label in snap.roots)
    addr_of = {i + 1: o["address"] for i, o in enumerate(exported["objs"])}
    header_roots = exported["header"]["roots"]  # in the graph's root order, like the root's edges
    assert [(r["label"], r["address"]) for r in header_roots] == [(name, addr_of[v]) for _, name, v in root_edges]
    mod_edge = "sys.modules[%r]" % __name__
    target = [v for _, name, v in root_edges if name == mod_edge]
    assert len(target) == 1 and addr_of[target[0]] == hex(id(sys.modules[__name__]))
    local = [v for _, name, v in root_edges if name.endswith("local local_marker")]
    assert len(local) == 1 and addr_of[local[0]] == hex(id(exported["local"]))


def test_edges_match_the_graph(exported):
    hs, objs = exported["hs"], exported["objs"]
    ordinal = {o["address"]: i + 1 for i, o in enumerate(objs)}
    names = exported["header"]["edge_names"]
    for i, o in enumerate(objs):
        edges = hs.out[i + 1]
        assert [v for _, _, v in edges] == [ordinal[a] for a in o["referents"]]
        if not names:
            assert [(t, name) for t, name, _ in edges] == [("element", k) for k in range(len(edges))]


def test_a_global_is_retained_through_its_module(exported):
    snap, hs, objs = exported["snap"], exported["hs"], exported["objs"]
    marker = HELD["marker"]
    v = [i + 1 for i, o in enumerate(objs) if o["address"] == hex(id(marker))]
    assert len(v) == 1
    v = v[0]
    assert hs.nodes[v]["name"].endswith("ExportMarker")
    assert hs.nodes[v]["self_size"] == sys.getsizeof(marker)
    # the reader's retainers lead from the marker to this module's root edge
    # (the shortest path may start elsewhere: on 3.9 the module's dict is also
    # held from outside the heap, by the running frames' globals)
    path = hs.path_from_root(v, first_edge="sys.modules[%r]" % __name__)
    assert path is not None and path[0][:2] == ("property", "sys.modules[%r]" % __name__)
    assert objs[path[0][2] - 1]["address"] == hex(id(sys.modules[__name__]))
    assert path[-1][2] == v
    # through the HELD dict, which retains the marker directly
    on_path = [objs[node - 1]["address"] for _, _, node in path]
    assert on_path[-2] == hex(id(HELD))
    assert hex(id(HELD)) in [objs[u - 1]["address"] for u, _, _ in hs.retainers()[v]]


def test_every_retained_size_equals_heapscopes(exported):
    snap, hs, objs = exported["snap"], exported["hs"], exported["objs"]
    mine = hs.retained_sizes()
    assert mine[0] == sum(n["self_size"] for n, r in zip(hs.nodes, mine) if r is not None)
    unreachable = 0
    for i, o in enumerate(objs):
        if mine[i + 1] is None:  # not reached from any root (garbage not yet collected)
            assert o["retained"] == 0
            unreachable += 1
        else:
            assert mine[i + 1] == o["retained"], (i, o)
    assert unreachable < len(objs) // 100
    # and the JSON lines' sizes are heapscope's API
    marker = HELD["marker"]
    v = [i for i, o in enumerate(objs) if o["address"] == hex(id(marker))][0]
    assert mine[v + 1] == snap.retained_size(marker) >= sys.getsizeof(marker) + sys.getsizeof(marker.payload)
    w = [i for i, o in enumerate(objs) if o["address"] == hex(id(HELD))][0]
    assert mine[w + 1] == snap.retained_size(HELD) > mine[v + 1]


def test_jsonl_graph_snapshot(exported):
    snap, header, objs = exported["snap"], exported["header"], exported["objs"]
    assert header["format"] == "heapscope-jsonl" and header["version"] == 1
    assert header["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert header["objects"] == len(snap) == len(objs)
    assert header["total_size"] == snap.total_size == sum(o["size"] for o in objs)
    assert header["graph"] is True and header["edges"] == snap.nedges
    assert sum(len(o["referents"]) for o in objs) == snap.nedges
    assert [(r["kind"], r["label"]) for r in header["roots"]] == snap.roots
    addrs = {o["address"] for o in objs}
    assert len(addrs) == len(objs)
    assert all(a in addrs for o in objs for a in o["referents"])
    for o in objs[:1000]:
        assert set(o) >= {"address", "type", "detail", "size", "retained", "referents"}
        assert int(o["address"], 16) > 0 and o["address"] == o["address"].lower()
    marker = HELD["marker"]
    o = [o for o in objs if o["address"] == hex(id(marker))][0]
    assert o["size"] == sys.getsizeof(marker) and o["type"].endswith("ExportMarker")
    assert hex(id(marker.payload)) in o["referents"] or hex(id(marker.__dict__)) in o["referents"]
