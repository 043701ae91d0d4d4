"""Heap files: Snapshot.save / heapscope.load round trips, diffs, offline
paths with stored edge names, the CLI over files, and corrupt files (every
one a clear HeapFileError, never a crash)."""
import os
import random
import struct
import subprocess
import sys

import pytest

import heapscope
from heapscope import HeapFileError
from heapscope.heapfile import offline_paths
from heapscope.paths import _key

HEADER = 176
NSECT = 12
DIR = HEADER + NSECT * 32 + 8
TAGS = ["RECS", "SERI", "ROWS", "LABL", "GOFF", "GFWD", "ROOT", "RSTR", "ENAM", "ESTR", "REPR", "PSTR"]
M64 = (1 << 64) - 1


def h64(b):
    """heapfile.c's hash, in Python (to forge files whose checksums hold)."""
    h, p = 0xCBF29CE484222325, 0x100000001B3
    n = len(b)
    for (w,) in struct.iter_unpack("<Q", b[: n // 8 * 8]):
        h = ((h ^ w) * p) & M64
    tail = b[n // 8 * 8:] + b"\0" * 8
    h = ((h ^ struct.unpack("<Q", tail[:8])[0]) * p) & M64
    h = ((h ^ n) * p) & M64
    return h ^ (h >> 32)


def directory(data):
    """[(tag, offset, length)] of a heap file's sections."""
    out = []
    for i in range(NSECT):
        tag, _, off, length, _ = struct.unpack_from("<4sIQQQ", data, HEADER + 32 * i)
        out.append((tag.decode(), off, length))
    return out


def rehash(data, only=None):
    """The file with its checksums recomputed (header, directory, and every
    section, or the one whose bytes contain offset `only`)."""
    data = bytearray(data)
    for i, (_, off, length) in enumerate(directory(data)):
        if only is not None and not off <= only < off + length:
            continue
        struct.pack_into("<Q", data, HEADER + 32 * i + 24, h64(bytes(data[off:off + length])))
    struct.pack_into("<Q", data, HEADER + NSECT * 32, h64(bytes(data[HEADER:HEADER + NSECT * 32])))
    struct.pack_into("<Q", data, HEADER - 8, h64(bytes(data[: HEADER - 8])))
    return bytes(data)


# header fields: offsets within the header
F_VERSION, F_N, F_NROWS, F_NEDGES = 8, 32, 40, 56


class Holder:
    pass


def _closure():
    cell_target = ["in a cell"]

    def inner():
        return cell_target

    return inner


class _Bound:
    def m(self):
        return self


_HOLD = Holder()
_HOLD.attr = ["x", {"plain": Holder(), "it's": Holder(), "ü-key": Holder(), 7: Holder(), -3: Holder(),
                    "k" * 80: Holder()}]
_HOLD.fn = _closure()
_HOLD.meth = _Bound().m
_HOLD.tup = (None, Holder())


class Hostile:
    calls = 0

    def __repr__(self):
        Hostile.calls += 1
        raise RuntimeError("no repr")

    def __hash__(self):
        return 1

    def __eq__(self, other):
        return self is other


_HOSTILE_KEY = Hostile()
# big containers: named by the in-order merge (more than 8 references)
_HOLD.biglist = [Holder() for _ in range(50)]
_HOLD.bigdict = {"k%d" % i: Holder() for i in range(30)}
_HOLD.intdict = {i * 1000: Holder() for i in range(20)}
_HOLD.bigdict_sparse = {"s%d" % i: (Holder() if i % 3 else 5) for i in range(30)}
_HOLD.hostile = {_HOSTILE_KEY: Holder()}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(live snapshot with graph and names, its file, the loaded snapshot)."""
    path = tmp_path_factory.mktemp("hf") / "heap.hsh"
    snap = heapscope.snapshot(graph=True, names=True)
    snap.save(path)
    return snap, path, heapscope.load(path)


# ---- round trip -------------------------------------------------------------------

def test_round_trip_equals_live(saved):
    snap, path, loaded = saved
    assert loaded.loaded and not snap.loaded
    assert len(loaded) == len(snap) > 1000
    assert loaded.total_size == snap.total_size
    assert loaded.summary() == snap.summary()
    assert loaded.summary(detail=True) == snap.summary(detail=True)
    assert loaded.nedges == snap.nedges > len(snap)
    assert loaded.roots == snap.roots
    assert loaded.exact == snap.exact
    assert loaded.has_names and snap.has_names
    assert loaded.python_version == sys.version.split()[0]
    assert abs(loaded.created - snap.created) < 1e-3
    # every record (address, size, labels) and every retained size
    assert loaded.top_retainers(len(snap)) == snap.top_retainers(len(snap))
    # the records themselves: nothing new either way (same process: by type and serial)
    assert loaded.diff(snap).new_count == 0 and snap.diff(loaded).new_count == 0
    assert loaded.retained_size(id(_HOLD)) == snap.retained_size(_HOLD)
    assert 0 < loaded.nbytes
    assert "loaded" in repr(loaded)


def test_why_alive_text_round_trip(saved):
    snap, _, loaded = saved
    for obj in (_HOLD.attr[1]["plain"], _HOLD.tup[1], _HOLD.attr):
        live = [str(p) for p in offline_paths(snap, id(obj))]
        off = [str(p) for p in heapscope.why_alive(id(obj), snap=loaded)]
        assert off == live and off
        assert "?" not in off[0]


def _edges(p):
    return [e for _, e in p.steps]


@pytest.mark.parametrize("key", ["plain", "it's", "ü-key", 7, -3, "k" * 80])
def test_edge_names_match_live_paths(saved, key):
    snap, _, loaded = saved
    obj = _HOLD.attr[1][key]
    live = heapscope.why_alive(obj, snap=snap)
    off = heapscope.why_alive(id(obj), snap=loaded)
    assert _edges(off[0]) == _edges(live[0])  # the module root's path (live: checked on the heap)
    assert _edges(off[0])[-2] == "[%s]" % _key(key)
    assert str(off[0]).startswith("sys.modules[%r]._HOLD -> %s.Holder.attr -> list[1] -> dict[" % (__name__, __name__))


def test_edge_names_cell_method_hostile(saved):
    snap, _, loaded = saved
    cell_target = _HOLD.fn.__closure__[0].cell_contents
    p = heapscope.why_alive(id(cell_target), snap=loaded)[0]
    assert _edges(p)[-5:] == [".fn", ".__closure__", "[0]", ".cell_contents", ""]
    assert _edges(p) == _edges(heapscope.why_alive(cell_target, snap=snap)[0])
    p = heapscope.why_alive(id(_HOLD.meth.__self__), snap=loaded)[0]
    assert _edges(p)[-2] == ".__self__"
    calls = Hostile.calls
    p = heapscope.why_alive(id(_HOLD.hostile[_HOSTILE_KEY]), snap=loaded)[0]
    assert _edges(p)[-2] == "[<Hostile key>]"
    assert Hostile.calls == calls  # the names pass never called repr


@pytest.mark.parametrize("where, key, text", [
    ("biglist", 37, "[37]"), ("biglist", 0, "[0]"), ("bigdict", "k17", "['k17']"),
    ("intdict", 13000, "[13000]"), ("bigdict_sparse", "s29", "['s29']"), ("bigdict_sparse", "s1", "['s1']"),
])
def test_edge_names_big_containers(saved, where, key, text):
    snap, _, loaded = saved
    obj = getattr(_HOLD, where)[key]
    off = heapscope.why_alive(id(obj), snap=loaded)[0]
    assert _edges(off)[-3:] == [".%s" % where, text, ""]
    assert _edges(off) == _edges(heapscope.why_alive(obj, snap=snap)[0])


def test_names_need_a_graph():
    with pytest.raises(ValueError, match="graph"):
        heapscope.snapshot(names=True)


def test_paths_without_names_show_question_marks(tmp_path):
    snap = heapscope.snapshot(graph=True)
    assert not snap.has_names
    snap.save(tmp_path / "plain.hsh")
    loaded = heapscope.load(tmp_path / "plain.hsh")
    assert not loaded.has_names
    text = str(heapscope.why_alive(id(_HOLD.tup[1]), snap=loaded)[0])
    assert "?" in text and "Holder" in text


def test_loaded_answers_by_address_only(saved):
    _, _, loaded = saved
    with pytest.raises(TypeError, match="address"):
        loaded.why_alive(_HOLD)
    with pytest.raises(TypeError, match="address"):
        loaded.retained_size("x")
    with pytest.raises(ValueError, match="no object at address"):
        loaded.why_alive(1)


def test_reprs_stored(saved):
    snap, _, loaded = saved
    reprs = loaded.reprs
    assert 10 <= len(reprs) <= 200
    detail = {a: d for _, d, _, _, a in snap.top_retainers(len(snap))}
    assert set(reprs) <= set(detail)
    assert all(isinstance(r, str) and len(r) <= 120 for r in reprs.values())
    starts = {"dict": "{", "list": "[", "tuple": "(", "str": "'\"", "int": "0123456789-"}
    checked = 0
    for addr, r in reprs.items():  # each repr is of an object of the recorded type
        if detail[addr] in starts:
            assert r[0] in starts[detail[addr]], (detail[addr], r)
            checked += 1
    assert checked >= 3
    # the first objects of the largest rows are among them
    assert snap.summary(limit=1, detail=True)[0][0] in {detail[a] for a in reprs}
    assert loaded.repr_at(next(iter(reprs))) == reprs[next(iter(reprs))]
    assert loaded.repr_at(1) is None


def test_snapshot_without_graph(tmp_path):
    snap = heapscope.snapshot()
    snap.save(str(tmp_path / "s.hsh"), reprs=False)
    loaded = heapscope.load(str(tmp_path / "s.hsh"))
    assert loaded.summary() == snap.summary() and loaded.nedges is None and loaded.roots is None
    assert loaded.reprs == {}
    with pytest.raises(ValueError, match="no graph"):
        loaded.top_retainers()


def test_resave_loaded(saved, tmp_path):
    _, _, loaded = saved
    loaded.save(tmp_path / "again.hsh")
    again = heapscope.load(tmp_path / "again.hsh")
    assert again.summary() == loaded.summary() and again.reprs == loaded.reprs
    assert again.top_retainers(50) == loaded.top_retainers(50)


def test_save_is_atomic(tmp_path):
    snap = heapscope.snapshot()
    target = tmp_path / "s.hsh"
    target.write_bytes(b"old")
    with pytest.raises(OSError):
        snap.save(tmp_path / "missing-dir" / "s.hsh")
    snap.save(target)
    assert sorted(os.listdir(tmp_path)) == ["s.hsh"]


# ---- diffs ----------------------------------------------------------------------------

def test_diff_of_loaded_equals_live_diff(tmp_path):
    old = heapscope.snapshot(graph=True)
    grown = [Holder() for _ in range(300)]
    new = heapscope.snapshot(graph=True)
    old.save(tmp_path / "old.hsh")
    new.save(tmp_path / "new.hsh")
    lo, ln = heapscope.load(tmp_path / "old.hsh"), heapscope.load(tmp_path / "new.hsh")
    live, off = new.diff(old), ln.diff(lo)
    assert off.summary() == live.summary()
    assert off.summary(detail=True) == live.summary(detail=True)
    assert off.new_count == live.new_count >= 300
    assert off.new_rows() == live.new_rows()
    assert off.new_records(label="%s.Holder" % __name__) == live.new_records(label="%s.Holder" % __name__)
    with pytest.raises(ValueError, match="heap file"):
        off.new_objects()
    assert len(live.new_objects(label="%s.Holder" % __name__)) >= 300
    del grown


_CHILD = """
import sys, heapscope
class Leaky: pass
keep = []
heapscope.snapshot(graph=True, names=True).save(sys.argv[1])
keep.extend(Leaky() for _ in range(500))
heapscope.snapshot(graph=True, names=True).save(sys.argv[2])
"""


def _run(*args, **kw):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def child_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("child")
    old, new = str(d / "old.hsh"), str(d / "new.hsh")
    r = _run("-c", _CHILD, old, new)
    assert r.returncode == 0, r.stderr
    return old, new


def test_diff_of_files_from_another_process(child_files):
    old, new = map(heapscope.load, child_files)
    d = new.diff(old)
    assert d.new_count >= 500
    rows = {label: (c, s) for label, _, c, s in d.new_rows()}
    assert rows["__main__.Leaky"][0] == 500
    # against a snapshot of this process: matched by label + address, never by type address
    mine = heapscope.snapshot()
    cross = mine.diff(new)
    assert not cross.exact
    labels = {r[0]: r for r in cross.summary()}
    assert labels["__main__.Leaky"][1] == -500


# ---- CLI ---------------------------------------------------------------------------

def test_cli_summary_diff_top_why(child_files, saved):
    old, new = child_files
    r = _run("-m", "heapscope", "summary", new, "--limit", "5")
    assert r.returncode == 0, r.stderr
    assert "objects" in r.stdout and "types |   # objects |   total size" in r.stdout
    assert len([ln for ln in r.stdout.splitlines() if " | " in ln]) == 7  # header, rule, 5 rows
    r = _run("-m", "heapscope", "diff", old, new)
    assert r.returncode == 0, r.stderr
    assert "__main__.Leaky |         500" in r.stdout
    assert "new objects:" in r.stdout
    r = _run("-m", "heapscope", "top", new, "-n", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "retained" in lines[1] and len(lines) == 5
    snap, path, loaded = saved
    target = _HOLD.attr[1]["plain"]
    r = _run("-m", "heapscope", "why", str(path), hex(id(target)))
    assert r.returncode == 0, r.stderr
    assert "sys.modules[%r]._HOLD -> %s.Holder.attr -> list[1] -> dict['plain'] -> " % (__name__, __name__) in r.stdout
    assert r.stdout.startswith(hex(id(target)))


def test_cli_export(child_files, tmp_path):
    """heapscope export: a heap file from another process to DevTools and JSON lines, the
    header naming the Python that took it, counts equal to the loaded snapshot's."""
    import json
    old, new = child_files
    dt, jl = tmp_path / "new.heapsnapshot", tmp_path / "new.jsonl"
    r = _run("-m", "heapscope", "export", new, "--devtools", str(dt), "--jsonl", str(jl))
    assert r.returncode == 0, r.stderr
    snap = heapscope.load(new)
    with open(dt, encoding="utf-8") as f:
        doc = json.load(f)
    meta = doc["snapshot"]
    assert meta["node_count"] == len(snap) + 1 and meta["edge_count"] >= snap.nedges
    with open(jl, encoding="utf-8") as f:
        header = json.loads(f.readline())
        lines = sum(1 for _ in f)
    assert header["python"] == snap.python_version and lines == len(snap)
    r = _run("-m", "heapscope", "export", new)
    assert r.returncode == 2 and "--devtools" in r.stderr


def test_cli_errors(tmp_path, saved):
    bad = tmp_path / "bad.hsh"
    bad.write_bytes(b"not a heap file at all, sorry")
    for cmd in (["summary", str(bad)], ["top", str(bad)], ["why", str(bad), "0x10"],
                ["diff", str(bad), str(bad)], ["summary", str(tmp_path / "none.hsh")],
                ["export", str(bad), "--jsonl", str(tmp_path / "x.jsonl")]):
        r = _run("-m", "heapscope", *cmd)
        assert r.returncode == 1, (cmd, r.stdout, r.stderr)
        assert r.stderr.startswith("heapscope: error:") and "Traceback" not in r.stderr
    r = _run("-m", "heapscope", "why", str(saved[1]), "nothex")
    assert r.returncode == 2 and "not an address" in r.stderr
    r = _run("-m", "heapscope", "why", str(saved[1]), "0x10")
    assert r.returncode == 1 and "no object at address 0x10" in r.stderr


# ---- corrupt files ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(saved):
    return saved[1].read_bytes()


def _load_bytes(tmp_path, data, name="c.hsh"):
    p = tmp_path / name
    p.write_bytes(data)
    return heapscope.load(p)


def test_forged_checksums_accepted(tmp_path, small):
    """The Python hash agrees with C: an untouched file rehashed still loads."""
    assert rehash(small) == small
    assert len(_load_bytes(tmp_path, rehash(small))) > 0


def test_truncation_at_every_section_boundary(tmp_path, small):
    cuts = {0, 1, 7, 8, 100, HEADER - 1, HEADER, DIR - 1, DIR, len(small) - 1}
    for _, off, length in directory(small):
        cuts |= {off, off + 1, off + length // 2, off + length - 1}
    for cut in sorted(c for c in cuts if 0 <= c < len(small)):
        with pytest.raises(HeapFileError):
            _load_bytes(tmp_path, small[:cut])


def test_flipped_byte_in_every_section(tmp_path, small):
    rng = random.Random(5)
    for tag, off, length in directory(small):
        if not length:
            continue
        for at in (off, off + length - 1, off + rng.randrange(length)):
            data = bytearray(small)
            data[at] ^= 0x40
            with pytest.raises(HeapFileError, match="corrupt"):
                _load_bytes(tmp_path, bytes(data))
    for at in (8, 40, HEADER - 9, HEADER + 5, DIR - 1):  # header and directory
        data = bytearray(small)
        data[at] ^= 1
        with pytest.raises(HeapFileError):
            _load_bytes(tmp_path, bytes(data))


def _patch(data, fmt, at, value):
    data = bytearray(data)
    struct.pack_into(fmt, data, at, value)
    return rehash(bytes(data), only=at)


def test_wrong_magic_version_and_absurd_counts(tmp_path, small):
    with pytest.raises(HeapFileError, match="magic"):
        _load_bytes(tmp_path, b"XXXXXXXX" + small[8:])
    with pytest.raises(HeapFileError, match="version 7"):
        _load_bytes(tmp_path, _patch(small, "<I", F_VERSION, 7))
    for field, value in ((F_N, 1 << 40), (F_N, M64), (F_N, 3), (F_NROWS, 1 << 40), (F_NEDGES, 1 << 40)):
        with pytest.raises(HeapFileError):
            _load_bytes(tmp_path, _patch(small, "<Q", field, value))
    with pytest.raises(HeapFileError, match="byte order"):
        _load_bytes(tmp_path, _patch(small, "<I", 16, 0x04030201))


def _section(data, tag):
    for t, off, length in directory(data):
        if t == tag:
            return off, length
    raise KeyError(tag)


def test_bad_indexes_with_valid_checksums(tmp_path, small):
    """Corruption the checksums cannot see (a forged file): every index checked."""
    off, length = _section(small, "GFWD")
    with pytest.raises(HeapFileError, match="edge 0 goes to node"):
        _load_bytes(tmp_path, _patch(small, "<I", off, 0xFFFFFFF0))
    off, length = _section(small, "GOFF")
    with pytest.raises(HeapFileError, match="offsets"):
        _load_bytes(tmp_path, _patch(small, "<I", off + 4, 0xFFFFFF))
    off, _ = _section(small, "RECS")
    with pytest.raises(HeapFileError, match="record 0: row"):
        _load_bytes(tmp_path, _patch(small, "<Q", off + 8, M64))
    off, _ = _section(small, "ROWS")
    with pytest.raises(HeapFileError, match="row 0"):
        _load_bytes(tmp_path, _patch(small, "<I", off + 8, 0xFFFFFFF))
    off, _ = _section(small, "ROOT")
    with pytest.raises(HeapFileError, match="root 0: node"):
        _load_bytes(tmp_path, _patch(small, "<I", off, 0xFFFFFFF))
    with pytest.raises(HeapFileError, match="root 0: kind"):
        _load_bytes(tmp_path, _patch(small, "<I", off + 4, 9))
    off, _ = _section(small, "ENAM")
    with pytest.raises(HeapFileError, match="edge 0: name"):
        _load_bytes(tmp_path, _patch(small, "<I", off, 0xFFFFFFF))
    off, _ = _section(small, "LABL")
    with pytest.raises(HeapFileError, match="LABL"):
        _load_bytes(tmp_path, _patch(small, "<I", off, 3))
    with pytest.raises(HeapFileError, match="starts at"):
        _load_bytes(tmp_path, _patch(small, "<I", off + 8, 0xFFFFFFF))
    off, _ = _section(small, "REPR")
    with pytest.raises(HeapFileError, match="repr 0: node"):
        _load_bytes(tmp_path, _patch(small, "<I", off, 0xFFFFFFF))


def _exercise(snap):  # diff() of loaded snapshots is covered above
    """Everything a loaded snapshot answers: must not crash on any file that loads."""
    snap.summary()
    snap.summary(detail=True)
    if snap.nedges is not None:
        top = snap.top_retainers(1)
        for *_, addr in top:
            snap.retained_size(addr)
            snap.why_alive(addr)
    repr(snap)
    snap.reprs


def test_fuzz_random_mutations(tmp_path):
    """A few hundred seeded mutations of a small heap file: each loads (then
    answers everything) or raises HeapFileError, never anything else."""
    snap = heapscope.snapshot(graph=True, names=True)
    snap.save(tmp_path / "base.hsh")
    base = (tmp_path / "base.hsh").read_bytes()
    # forged checksums cost a Python hash of the section: the small sections
    # (rows, labels, roots, names, reprs) here, the big arrays in the test above
    sections = [s for s in directory(base) if 0 < s[2] <= 1 << 17]
    rng = random.Random(20261124)
    loaded = rejected = 0
    for i in range(250):
        data = bytearray(base)
        kind = rng.randrange(5)
        if kind == 0:
            data = data[: rng.randrange(len(data))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:  # change words inside a section (or the header) and forge the checksums
            if kind == 2:
                off, length = 24, HEADER - 32  # counts, flags, series, sizes
            else:
                _, off, length = rng.choice(sections)
            at = off + rng.randrange(max(length - 4, 1))
            value = rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 32)])
            struct.pack_into("<I", data, at, value)
            data = bytearray(rehash(bytes(data), only=at))
        try:
            s = _load_bytes(tmp_path, bytes(data), "f%d.hsh" % (i % 3))
        except HeapFileError:
            rejected += 1
            continue
        loaded += 1
        _exercise(s)
    assert rejected > 150 and loaded > 10


def test_repr_says_graph_names_and_origin(tmp_path):
    plain, graph, named = heapscope.snapshot(), heapscope.snapshot(graph=True), \
        heapscope.snapshot(graph=True, names=True)
    assert "graph" not in repr(plain)
    assert ", graph: %d references, %d roots>" % (graph.nedges, len(graph.roots)) in repr(graph)
    assert repr(named).endswith(", named>")
    named.save(tmp_path / "n.hsh")
    loaded = heapscope.load(tmp_path / "n.hsh")
    assert ", named, loaded, Python %d.%d.%d>" % sys.version_info[:3] in repr(loaded)
