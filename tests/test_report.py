"""The HTML report: heapscope.report.write_html, LeakReport.to_html,
``heapscope report``; and the page in a real headless Chromium."""
import base64
import html
import html.parser
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import pytest

import heapscope
from heapscope import cli, report
from heapscope.report import render_html, write_html

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
SVG_VOID = {"line", "polyline", "circle", "path", "rect"}  # written self-closing


class Page(html.parser.HTMLParser):
    """A strict-enough parse: every element opened is closed, in order; keeps
    the elements (tag, attrs, text inside) and all the text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.elements = []
        self.text = []
        self.errors = []
        self.feed(text)
        self.close()
        assert not self.stack, "unclosed elements: %r" % [e[0] for e in self.stack]
        assert not self.errors, self.errors

    def handle_starttag(self, tag, attrs):
        el = [tag, dict(attrs), []]
        self.elements.append(el)
        for open_el in self.stack:
            open_el[2].append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        el = [tag, dict(attrs), []]
        self.elements.append(el)
        for open_el in self.stack:
            open_el[2].append(el)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> closes %r" % (tag, self.stack[-1][0] if self.stack else None))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for open_el in self.stack:
            open_el[2].append(data)

    def all_text(self):
        return "".join(self.text)

    def find(self, tag, **attrs):
        """Elements with this tag whose attributes include ``attrs`` (``class_`` for class)."""
        want = {k.rstrip("_"): v for k, v in attrs.items()}
        return [e for e in self.elements if e[0] == tag and all(e[1].get(k) == v for k, v in want.items())]


def text_of(el):
    return "".join(x for x in el[2] if isinstance(x, str))


def charts(page, metric, mode):
    found = page.find("svg", class_="chart", **{"data-metric": metric, "data-mode": mode})
    assert len(found) == 1
    return found[0]


def polylines(svg):
    return [e for e in svg[2] if isinstance(e, list) and e[0] == "polyline" and e[1].get("class") == "line"]


def points(line):
    return [tuple(map(float, p.split(","))) for p in line[1]["points"].split()]


SERIES = [
    (0, [["alpha", 10, 1000], ["beta", 5, 4000], ["gamma", 1, 100]]),
    (1.5, [["alpha", 20, 2000], ["beta", 5, 4000], ["gamma", 1, 100]]),
    (7, [["alpha", 40, 4000], ["beta", 6, 4100], ["gamma", 1, 100]]),
]


def tick_value(text):
    """The number an axis tick label stands for: "1.5 KB", "-200 B", "12k", "3"."""
    m = re.fullmatch(r"(-?[\d.]+) ?(B|KB|MB|GB|k|M)?", text)
    assert m, text
    return float(m.group(1)) * {None: 1, "B": 1, "KB": 1024, "MB": 1 << 20, "GB": 1 << 30,
                                "k": 1e3, "M": 1e6}[m.group(2)]


def check_linear(pairs):
    """(value, pixel) pairs lie on one line pixel = a + b * value, b != 0."""
    (v0, p0), (v1, p1) = pairs[0], next(p for p in pairs if p[0] != pairs[0][0])
    b = (p1 - p0) / (v1 - v0)
    assert b != 0
    for v, p in pairs:
        assert p == pytest.approx(p0 + b * (v - v0), abs=0.02), (v, p)
    return p0 - b * v0, b


# ---- the page from data -------------------------------------------------------


def test_chart_lines_points_and_proportional_values():
    text = render_html(SERIES, x_label="seconds")
    page = Page(text)
    for metric, col in (("count", 1), ("bytes", 2)):
        for mode in ("abs", "delta"):
            svg = charts(page, metric, mode)
            lines = polylines(svg)
            assert sorted(l[1]["data-label"] for l in lines) == ["alpha", "beta", "gamma"]
            ys, xs = [], []
            for line in lines:
                label = line[1]["data-label"]
                pts = points(line)
                assert len(pts) == len(SERIES)
                vals = [next(r[col] for r in rows if r[0] == label) for _, rows in SERIES]
                if mode == "delta":
                    vals = [v - vals[0] for v in vals]
                ys += list(zip(vals, (p[1] for p in pts)))
                xs += list(zip((x for x, _ in SERIES), (p[0] for p in pts)))
            # y is one linear map of the values for every line, with value 0 at data-y0:
            # the pixel height above the zero line is proportional to the value
            zero, slope = check_linear(ys)
            assert slope < 0  # larger values higher up
            assert zero == pytest.approx(float(svg[1]["data-y0"]), abs=0.02)
            # the y axis' tick labels sit where their values are drawn
            ticks = [e for e in svg[2] if isinstance(e, list) and e[0] == "text" and e[1].get("class") == "ytick"]
            assert len(ticks) >= 3
            for t in ticks:
                value = tick_value(text_of(t))
                assert float(t[1]["y"]) - 4 == pytest.approx(zero + slope * value, abs=0.06), text_of(t)
            assert min(tick_value(text_of(t)) for t in ticks) <= min(v for v, _ in ys)
            assert max(tick_value(text_of(t)) for t in ticks) >= max(v for v, _ in ys)
            # x is linear in x, even with uneven spacing
            check_linear(xs)
    # the first chart shown is bytes, change since the first snapshot
    shown = [s for s in page.find("svg", class_="chart") if "display:none" not in s[1].get("style", "")]
    assert [(s[1]["data-metric"], s[1]["data-mode"]) for s in shown] == [("bytes", "delta")]
    assert "seconds" in text_of(charts(page, "count", "abs")) or any(
        "seconds" in text_of(e) for e in charts(page, "count", "abs")[2] if isinstance(e, list))


def test_chart_picks_leaks_then_growth_and_limits_lines():
    rows0 = [["grow%02d" % i, 1, 10] for i in range(20)] + [["leaky", 1, 1], ["big", 1, 10 ** 6]]
    rows1 = [["grow%02d" % i, 1, 10 + 100 * i] for i in range(20)] + [["leaky", 2, 2], ["big", 1, 10 ** 6]]

    class FakeLeak:
        type = detail = "leaky"
        count, size, counts, sizes, samples, traceback, path, retained, accumulation = 1, 1, [1], [1], [], None, None, None, None

    page = Page(render_html([(0, rows0), (1, rows1)], leaks=[FakeLeak()]))
    labels = [l[1]["data-label"] for l in polylines(charts(page, "bytes", "delta"))]
    # the leak first, then the labels whose bytes grew most; never the large steady one
    assert labels == ["leaky"] + ["grow%02d" % i for i in range(19, 19 - report.CHART_LABELS + 1, -1)]
    assert len(page.find("li", **{"data-series": "0"})) == 1
    assert len([e for e in page.elements if e[0] == "li" and "data-series" in e[1]]) == report.CHART_LABELS


@pytest.mark.parametrize("n", [1, 2, 500])
def test_chart_any_number_of_points(n):
    series = [(i, [["a", i, 100 * i + 7], ["b", 2 * i, 50]]) for i in range(n)]
    page = Page(render_html(list(reversed(series))))  # any order: sorted by x
    for line in polylines(charts(page, "bytes", "abs")):
        pts = points(line)
        assert len(pts) == n
        assert [p[0] for p in pts] == sorted(p[0] for p in pts)
    for svg in page.find("svg", class_="chart"):
        for line in polylines(svg):
            for x, y in points(line):
                assert 0 <= x <= 900 and 0 <= y <= 360
    # markers with a tooltip only while they stay readable
    circles = [e for e in charts(page, "count", "abs")[2] if isinstance(e, list) and e[0] == "circle"]
    assert len(circles) == (2 * n if n <= 60 else 0)


def test_empty_series_and_no_leaks():
    page = Page(render_html([]))
    assert not page.find("svg", class_="chart")
    assert "No snapshots to chart." in page.all_text()
    assert "No leaks reported." in page.all_text() and page.find("p", class_="headline ok")
    # leaks=None: nothing looked for leaks, no section claims there are none
    page = Page(render_html(SERIES, leaks=None))
    assert not page.find("section", id="leaks") and "No leaks" not in page.all_text()


def test_bad_series_is_a_clear_error():
    with pytest.raises(TypeError, match="series point 0"):
        render_html([("x", [])])
    with pytest.raises(TypeError, match="series point 1"):
        render_html([(0, []), 5])
    with pytest.raises(ValueError, match="series point 0"):
        render_html([(float("nan"), [])])
    for rows in ([["a", 1]], [["a", "many", 3]], [5], None):
        with pytest.raises(TypeError, match=r"series point 1: rows must be \[\[label, count, size\]"):
            render_html([(0, []), (1, rows)])


def test_tables_meta_and_largest_default():
    top = [("dict", "dict of module(foo)", 123456, 1000, 0x7F00DEAD), ("list", "list", 2048, 88, 0x1000)]
    page = Page(render_html(SERIES, top_retainers=top, meta={"command": "python app.py", "duration": "12 s"}))
    text = page.all_text()
    for needle in ("python app.py", "12 s", "dict of module(foo)", "120.56 KB", "0x7f00dead", "2.00 KB"):
        assert needle in text, needle
    largest = page.find("section", id="largest")[0]
    cells = [text_of(e) for e in largest[2] if isinstance(e, list) and e[0] == "td"]
    # default: the last point's rows, largest first, Pympler's size text
    assert cells[:3] == ["beta", "6", "4.00 KB"] and cells[4:7] == ["alpha", "40", "3.91 KB"]
    assert text.index("beta") < text.index("gamma")


HOSTILE = '</code><script>alert("x")</script><img src=x onerror=alert(1)>&amp;"\''


def test_hostile_labels_are_escaped(tmp_path):
    class FakePath:
        kind, root, refs = "module", "sys.modules[%r]" % HOSTILE, 2
        steps = [("module m", "[%r]" % HOSTILE), (HOSTILE, "")]

        def __str__(self):
            return "sys.modules[%r] -> %s" % (HOSTILE, HOSTILE)

    class FakeLeak:
        type = detail = HOSTILE
        count, size, counts, sizes, retained = 1, 64, [1, 2], [64, 128], 64
        samples, traceback, path, accumulation = [HOSTILE], None, FakePath(), (HOSTILE, 1)

    out = write_html(tmp_path / "r.html", [(0, [[HOSTILE, 1, 64]]), (1, [[HOSTILE, 2, 128]])], leaks=[FakeLeak()],
                     top_retainers=[(HOSTILE, HOSTILE, 10, 10, 1)], title=HOSTILE, meta={HOSTILE: HOSTILE})
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert out == tmp_path / "r.html"
    page = Page(text)
    assert len(page.find("script")) == 1 and not page.find("img")
    assert HOSTILE not in text
    assert text.count("<script>") == 1
    assert HOSTILE in page.all_text()
    assert [l[1]["data-label"] for l in polylines(charts(page, "count", "abs"))] == [HOSTILE]


def assert_self_contained(text):
    assert not re.search(r"https?:|\bftp:|//[a-z0-9.-]+\.[a-z]", text, re.I)
    page = Page(text)
    for e in page.elements:
        assert "src" not in e[1], e
        assert e[0] not in ("link", "iframe", "object", "embed", "base", "img")
        if "href" in e[1]:
            assert e[1]["href"].startswith("#"), e
    assert "url(" not in text and "@import" not in text
    return page


# ---- find_leaks and LeakReport.to_html --------------------------------------

_CACHE = {}


class Hostile:
    def __repr__(self):
        raise RuntimeError("no repr")


Hostile.__name__ = Hostile.__qualname__ = "<b>Hostile</b><script>bad()</script>"


def test_to_html_of_a_real_leak_with_hostile_keys(tmp_path):
    _CACHE.clear()

    def leak():
        _CACHE["<script>k%d</script>" % len(_CACHE)] = Hostile()

    rep = heapscope.find_leaks(leak, repeat=4)
    try:
        by = {l.detail: l for l in rep.leaks}
        leak_label = "%s.%s" % (__name__, Hostile.__qualname__)
        assert leak_label in by, list(by)
        rep.to_html(tmp_path / "r.html", top_retainers=5)
        text = (tmp_path / "r.html").read_text(encoding="utf-8")
        page = assert_self_contained(text)
        assert text.count("<script>") == 1
        assert not [b for b in page.find("b") if "Hostile" in text_of(b)]
        body = page.all_text()
        for l in rep.leaks:
            assert l.detail in body
            if l.path is not None:
                assert str(l.path) in body
        the = by[leak_label]
        assert "<script>k" in str(the.path)  # a dict key on the path, escaped in the page
        assert "RuntimeError" in body  # the sample's raising repr, shown safely
        # the chain: one box per step after the root, edges on the arrows
        chain = page.find("div", id="path-%d" % rep.leaks.index(the))[0]
        boxes = [text_of(e) for e in chain[2] if isinstance(e, list) and e[0] == "div"
                 and e[1].get("class", "").startswith("box")]
        edges = [text_of(e) for e in chain[2] if isinstance(e, list) and e[0] == "span" and e[1].get("class") == "edge"]
        assert boxes[0].endswith(the.path.root) and boxes[-1] == the.path.steps[-1][0]
        assert edges == [e for _, e in the.path.steps[:-1]]
        # top retainers: a fresh graph snapshot's, at the time of to_html
        assert len(page.find("section", id="retainers")) == 1
        # the series: the leak's live count grows by one per repetition
        # (4 points of a steady leak are not yet significant: find_leaks ran more)
        n = rep.repeat
        assert n >= 4
        xs = [x for x, _ in rep.series]
        assert xs == list(range(n + 1))
        live = [next((r[1] for r in rows if r[0] == leak_label), 0) for _, rows in rep.series]
        assert [b - live[0] for b in live[1:]] == the.counts == list(range(1, n + 1))
        line = [l for l in polylines(charts(page, "count", "delta")) if l[1]["data-label"] == leak_label]
        assert len(line) == 1 and len(points(line[0])) == n + 1
    finally:
        _CACHE.clear()


def test_report_series_is_cheap_and_leak_free():
    """Keeping the summaries does not make find_leaks see a leak of its own."""
    rep = heapscope.find_leaks(lambda: None, repeat=6)
    assert not rep.leaks, rep
    assert [x for x, _ in rep.series] == list(range(7))
    assert 0 < len(rep.largest) <= 20
    assert rep.largest == sorted(rep.largest, key=lambda r: -r[2])


def test_write_html_is_reachable_from_the_package(tmp_path):
    out = tmp_path / "p.html"
    code = ("import heapscope, sys; heapscope.report.write_html(sys.argv[1], [(0, heapscope.snapshot().summary())],"
            " x_label='seconds')")
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, timeout=120)
    page = assert_self_contained(out.read_text(encoding="utf-8"))
    assert len(polylines(charts(page, "bytes", "abs"))) == report.CHART_LABELS


def test_demo_report_cli(tmp_path, capsys):
    out = tmp_path / "demo.html"
    assert cli.main(["report", "--demo", "--repeat", "3", "--out", str(out)]) == 0
    assert "wrote %s" % out in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    page = assert_self_contained(text)
    body = page.all_text()
    assert "method (ListedToplevel.wakeup)" in body and "heapscope._idle_demo.CallWrapper" in body
    assert "_idle_demo.py:" in body  # allocation sites: the demo traces allocations
    assert "Tcl.commands" in body


def test_report_cli_needs_files_or_demo(tmp_path, capsys, monkeypatch):
    assert cli.main(["report", "--out", str(tmp_path / "x.html")]) == 2
    assert "give heap files or --demo" in capsys.readouterr().err
    monkeypatch.delattr(heapscope, "load", raising=False)
    assert cli.main(["report", "--out", str(tmp_path / "x.html"), "a.heap"]) == 2
    assert "no heapscope.load" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_report_cli_heap_files(tmp_path, capsys, monkeypatch):
    """Against the heap files API (heapscope.load -> Snapshot), with snapshots
    taken here standing for loaded ones."""
    keep = []
    snaps = {}
    for name in ("a.heap", "b.heap", "c.heap"):
        keep.append([object() for _ in range(300)])
        snaps[name] = heapscope.snapshot(graph=name == "c.heap")

    def load(path):
        if path not in snaps:
            raise OSError("no such heap file: %r" % path)
        return snaps[path]

    monkeypatch.setattr(heapscope, "load", load, raising=False)
    out = tmp_path / "files.html"
    assert cli.main(["report", "-o", str(out), "a.heap", "b.heap", "c.heap"]) == 0
    page = assert_self_contained(out.read_text(encoding="utf-8"))
    svg = charts(page, "count", "delta")
    obj = [l for l in polylines(svg) if l[1]["data-label"] == "object"]
    assert len(obj) == 1
    deltas = [snaps[n].summary(detail=True) for n in ("a.heap", "b.heap", "c.heap")]
    counts = [next(r[1] for r in rows if r[0] == "object") for rows in deltas]
    assert counts[1] - counts[0] >= 300 and counts[2] - counts[1] >= 300
    assert len(points(obj[0])) == 3
    assert page.find("section", id="retainers")  # the last snapshot has a graph
    assert "a.heap, b.heap, c.heap" in page.all_text()
    assert not page.find("section", id="leaks")  # heap files: no leak analysis, no claim
    assert not page.find("p", class_="headline ok") and "No leak" not in page.all_text()
    assert cli.main(["report", "-o", str(out), "a.heap", "missing.heap"]) == 1
    assert "no such heap file" in capsys.readouterr().err
    del keep


# ---- real headless Chromium ---------------------------------------------------


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """The Chrome DevTools Protocol over a WebSocket, stdlib only (RFC 6455
    client: masked text frames out, unmasked frames in)."""

    def __init__(self, ws_url, timeout=30):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", ws_url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, "DevTools closed the connection during the handshake"
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.next_id = 0
        self.events = []

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            assert chunk, "DevTools closed the connection"
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            if b0 & 0x0F in (0x9, 0xA):  # ping/pong between fragments
                continue
            message += payload
            if b0 & 0x80:
                return json.loads(message.decode("utf-8"))

    def _send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(data)))

    def call(self, method, **params):
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        while True:
            msg = self._recv()
            if msg.get("id") == self.next_id:
                assert "error" not in msg, (method, msg["error"])
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for ev in self.events:
            if ev["method"] == method:
                return ev
        while time.monotonic() < deadline:
            msg = self._recv()
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg
        raise AssertionError("no %s event within %ss" % (method, timeout))

    def evaluate(self, expression):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in res, res
        return res["result"].get("value")


def decode_png(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


@pytest.fixture(scope="module")
def devtools():
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium fonts-dejavu-core)")
    profile = tempfile.mkdtemp(prefix="heapscope-chromium-")
    # The browser is not under test: not under the sanitizer build's preloaded runtime either
    # (.ci/run's ASan step sets LD_PRELOAD for the Python process, and Chromium hangs under it).
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--remote-debugging-port=0",
         "--window-size=1200,1600", "--hide-scrollbars", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("chromium did not start (exit status %r)" % proc.poll())
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=30) as f:
            targets = json.load(f)
        page = next(t for t in targets if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Page", "Log"):
            dt.call(domain + ".enable")
        yield dt
        dt.sock.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _load(dt, path):
    dt.events.clear()
    dt.call("Page.navigate", url="file://" + str(path))
    dt.wait_event("Page.loadEventFired")
    dt.evaluate("new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); })")
    errors = [e for e in dt.events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning", "assert"))
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))]
    assert not errors, errors


def _chart_pixels(dt, shot_path=None):
    """The visible chart's box and its screenshot's pixels."""
    rect = dt.evaluate("""(function () {
        var v = Array.prototype.filter.call(document.querySelectorAll("svg.chart"),
            function (s) { return s.style.display !== "none"; });
        if (v.length !== 1) { return v.length; }
        var r = v[0].getBoundingClientRect();
        return {x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height,
                metric: v[0].getAttribute("data-metric"), mode: v[0].getAttribute("data-mode")};
    })()""")
    assert isinstance(rect, dict), "visible charts: %r" % rect
    assert rect["w"] > 600 and rect["h"] > 200, rect
    shot = dt.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                   clip={"x": rect["x"], "y": rect["y"], "width": rect["w"], "height": rect["h"], "scale": 1})
    data = base64.b64decode(shot["data"])
    if shot_path is not None:
        with open(shot_path, "wb") as f:
            f.write(data)
    return rect, decode_png(data)


def _near(c, ref, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c, ref))


def _hex(color):
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_chromium_loads_without_errors_and_draws_the_chart(devtools, tmp_path):
    _CACHE.clear()

    def leak():
        _CACHE["<script>k%d</script>" % len(_CACHE)] = Hostile()

    rep = heapscope.find_leaks(leak, repeat=5)
    path = tmp_path / "leaks.html"
    rep.to_html(path)
    _CACHE.clear()
    _load(devtools, path)
    # the page's own script ran: the toolbar switches the chart
    rect, (w, h, rows) = _chart_pixels(devtools, os.environ.get("HEAPSCOPE_REPORT_SHOT"))
    assert (rect["metric"], rect["mode"]) == ("bytes", "delta")
    pixels = [p for row in rows for p in row]
    background = sum(1 for p in pixels if min(p) >= 245)
    drawn = len(pixels) - background
    assert background > len(pixels) // 2  # mostly white: a chart, not a blank or black box
    assert drawn > len(pixels) // 100, (drawn, len(pixels))
    # the lines are drawn in their colors (the first series is the largest leak)
    first = _hex(report._COLORS[0])
    assert sum(1 for p in pixels if _near(p, first)) > 200
    assert devtools.evaluate('document.querySelector(\'button[data-metric="count"]\').click(); 1') == 1
    rect2, _ = _chart_pixels(devtools)
    assert (rect2["metric"], rect2["mode"]) == ("count", "delta")
    # no script ran from the hostile labels
    assert devtools.evaluate("document.scripts.length") == 1
    assert devtools.evaluate("document.querySelectorAll('img').length") == 0
    assert "Hostile</b>" in devtools.evaluate("document.body.textContent")
    assert not [e for e in devtools.events if e["method"] == "Runtime.exceptionThrown"]


def test_chromium_500_points_and_legend(devtools, tmp_path):
    series = [(i * 2.0, [["grows", 100 + i, 1000 + 64 * i], ["steady", 50, 5000], ["shrinks", 600 - i, 9000 - 8 * i]])
              for i in range(500)]
    path = tmp_path / "many.html"
    write_html(path, series, x_label="seconds", meta={"command": "heapscope run app.py"})
    _load(devtools, path)
    rect, (w, h, rows) = _chart_pixels(devtools)
    pixels = [p for row in rows for p in row]
    for color in report._COLORS[:3]:
        assert sum(1 for p in pixels if _near(p, _hex(color))) > 100, color
    # clicking a legend entry hides its line in every chart
    assert devtools.evaluate("document.querySelector('#legend li[data-series=\"1\"]').click(); "
                             "document.querySelectorAll('.series.off').length") == 4
    _, (_, _, rows) = _chart_pixels(devtools)
    second = _hex(report._COLORS[1])
    assert sum(1 for row in rows for p in row if _near(p, second, 25)) < 20
