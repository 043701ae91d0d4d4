"""The self-contained HTML report: ``write_html``, ``LeakReport.to_html``,
``heapscope report``.

One file, no network: inline CSS, inline SVG drawn here, a few lines of
inline JavaScript (count/bytes and absolute/change toggles, legend
highlighting; the page reads fine without it).  Sections: a header of
key/values, the chart of live count and bytes per label over the snapshots,
the leak table, the retaining paths drawn as chains of boxes with the edge on
each arrow, the top retainers, the largest types.  Every text that comes from
the heap (labels, reprs, paths, dict keys) is HTML-escaped: a class may be
named ``<script>``.

This module only formats what it is given; the heap walks, summaries and
graphs are C (``heapscope._core``).
"""
import datetime
import html
import math
import os
import string
import sys

import heapscope
from heapscope.summary import _pp

__all__ = ["write_html", "render_html"]

#: Lines drawn in the chart (leaks first, then the labels that grew most).
CHART_LABELS = 8
#: Rows of the largest types table.
LARGEST_ROWS = 20
#: Tableau 10: distinguishable, readable on white.
_COLORS = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1",
           "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac")

_W, _H = 900, 360                      # chart viewBox
_ML, _MR, _MT, _MB = 78, 18, 14, 44     # margins: left (y ticks), right, top, bottom (x ticks)


def _e(text):
    """HTML-escape any value's text (quotes too: it goes in attributes)."""
    return html.escape(str(text), quote=True)


def _bytes(n):
    """A size with a unit, one space: ``1.32 MB``, ``56 B``."""
    return " ".join(_pp(n).split())


def _signed(n, fmt):
    return ("+" if n > 0 else "-" if n < 0 else "") + fmt(abs(n))


def _count(n):
    if n != int(n):
        return "{:,.1f}".format(n)
    return "{:,}".format(int(n))


def _short_bytes(n):
    """Axis tick text: 0, 512 B, 1.5 KB, 12 MB (no padding)."""
    a = abs(n)
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if a >= scale:
            v = a / scale
            text = ("%.1f" % v).rstrip("0").rstrip(".") + " " + unit
            break
    else:
        text = "%d B" % a
    return ("-" if n < 0 else "") + text


def _short_count(n):
    a = abs(n)
    if a >= 10 ** 6:
        text = ("%.1f" % (a / 1e6)).rstrip("0").rstrip(".") + "M"
    elif a >= 10 ** 4:
        text = ("%.1f" % (a / 1e3)).rstrip("0").rstrip(".") + "k"
    else:
        text = "%d" % a if a == int(a) else "%.2g" % a
    return ("-" if n < 0 else "") + text


def _x_text(x):
    return "%d" % x if x == int(x) else ("%.1f" % x if abs(x) >= 10 else "%.2f" % x)


def _nice_step(span, ticks=5):
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about
    ``ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _ticks(lo, hi, integer=True):
    """Tick values covering [lo, hi]: (ticks, lo, hi) widened to round values."""
    step = _nice_step(hi - lo)
    if integer:
        step = max(1.0, math.ceil(step))
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    if hi <= lo:
        hi = lo + step
    n = int(round((hi - lo) / step))
    return [lo + i * step for i in range(n + 1)], lo, hi


# ---- input normalisation ---------------------------------------------------

def _norm_series(series):
    """[(x, {label: (count, size)})] sorted by x; labels are str."""
    points = []
    for i, point in enumerate(series):
        try:
            x, rows = point
            x = float(x)
        except (TypeError, ValueError):
            raise TypeError("series point %d: expected (x, rows) with a number x, got %r"
                            % (i, type(point).__name__)) from None
        if not math.isfinite(x):
            raise ValueError("series point %d: x is %r" % (i, x))
        table = {}
        try:
            for row in rows:
                label, count, size = row[0], row[1], row[2]
                table[str(label)] = (int(count), int(size))
        except (TypeError, ValueError, IndexError):
            raise TypeError("series point %d: rows must be [[label, count, size], ...] "
                            "(Snapshot.summary()'s format)" % i) from None
        points.append((x, table))
    points.sort(key=lambda p: p[0])
    return points


def _chart_labels(points, leaks, n=CHART_LABELS):
    """The labels drawn: leak labels present in the series first, then the
    labels whose bytes changed most from the first point to the last (then
    the largest), ``n`` in all."""
    if not points:
        return []
    first, last = points[0][1], points[-1][1]
    every = set()
    for _, table in points:
        every.update(table)
    chosen = []
    for leak in leaks:
        for name in (getattr(leak, "detail", None), getattr(leak, "type", None)):
            if name is not None and str(name) in every and str(name) not in chosen:
                chosen.append(str(name))
                break
        if len(chosen) >= n:
            return chosen

    def key(label):
        c0, s0 = first.get(label, (0, 0))
        c1, s1 = last.get(label, (0, 0))
        return (-abs(s1 - s0), -abs(c1 - c0), -s1, label)

    for label in sorted(every - set(chosen), key=key):
        if len(chosen) >= n:
            break
        chosen.append(label)
    return chosen


# ---- the chart --------------------------------------------------------------

def _chart_svg(points, labels, metric, mode, x_label, visible):
    """One chart: ``metric`` "count" or "bytes", ``mode`` "abs" (live values)
    or "delta" (change since the first point).  One polyline per label,
    ``data-series`` its index in ``labels``."""
    col = 0 if metric == "count" else 1
    values = []
    for label in labels:
        v = [table.get(label, (0, 0))[col] for _, table in points]
        if mode == "delta":
            v = [a - v[0] for a in v]
        values.append(v)
    flat = [a for v in values for a in v] or [0]
    lo, hi = min(0, min(flat)), max(0, max(flat))
    if hi == lo:
        hi = lo + 1
    if metric == "bytes":
        # round steps in the unit of the largest value: 0, 0.5 KB, 1 KB, 1.5 KB
        k = 0
        while k < 3 and max(-lo, hi) >= 1024 ** (k + 1):
            k += 1
        unit = 1024 ** k
        ticks, lo, hi = _ticks(lo / unit, hi / unit, integer=k == 0)
        ticks, lo, hi = [t * unit for t in ticks], lo * unit, hi * unit
        name = ("B", "KB", "MB", "GB")[k]

        def fmt_tick(t):
            return "0" if t == 0 else ("%.2f" % (t / unit)).rstrip("0").rstrip(".") + " " + name
    else:
        ticks, lo, hi = _ticks(lo, hi, integer=True)
        fmt_tick = _short_count
    xs = [p[0] for p in points]
    x0, x1 = (xs[0], xs[-1]) if xs else (0.0, 1.0)
    if x1 == x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    pw, ph = _W - _ML - _MR, _H - _MT - _MB

    def px(x):
        return _ML + pw * (x - x0) / (x1 - x0)

    def py(y):
        return _MT + ph * (1 - (y - lo) / (hi - lo))

    fmt = _short_count if metric == "count" else _short_bytes
    title = {"count": "live objects", "bytes": "live bytes"}[metric]
    if mode == "delta":
        title = "change in " + title + " since the first snapshot"
    out = ['<svg class="chart" role="img" viewBox="0 0 %d %d" data-metric="%s" data-mode="%s" '
           'data-y0="%.2f" data-ymin="%g" data-ymax="%g"%s>'
           % (_W, _H, metric, mode, py(0), lo, hi, "" if visible else ' style="display:none"'),
           "<title>%s</title>" % _e(title)]
    out.append('<g class="grid">')
    for t in ticks:
        y = py(t)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"%s/>'
                   % (_ML, _W - _MR, y, y, ' class="zero"' if t == 0 else ""))
        out.append('<text class="ytick" x="%d" y="%.1f">%s</text>' % (_ML - 8, y + 4, _e(fmt_tick(t))))
    xticks, xlo, xhi = _ticks(x0, x1, integer=all(x == int(x) for x in xs))
    for t in xticks:
        if t < x0 - 1e-9 or t > x1 + 1e-9:
            continue
        x = px(t)
        out.append('<line class="xgrid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>' % (x, x, _MT, _MT + ph))
        out.append('<text class="xtick" x="%.1f" y="%d">%s</text>' % (x, _MT + ph + 18, _e(_x_text(t))))
    out.append("</g>")
    out.append('<text class="axis-title" x="%.1f" y="%d">%s</text>' % (_ML + pw / 2, _H - 4, _e(x_label)))
    out.append('<text class="axis-title" transform="rotate(-90)" x="%.1f" y="14">%s</text>'
               % (-(_MT + ph / 2), _e("objects" if metric == "count" else "bytes")))
    out.append('<g class="lines">')
    for i, (label, v) in enumerate(zip(labels, values)):
        color = _COLORS[i % len(_COLORS)]
        pts = " ".join("%.2f,%.2f" % (px(x), py(a)) for x, a in zip(xs, v))
        out.append('<g class="series" data-series="%d"><title>%s</title>' % (i, _e(label)))
        out.append('<polyline class="line" data-label="%s" points="%s" stroke="%s"/>' % (_e(label), pts, color))
        if len(xs) <= 60:
            for x, a in zip(xs, v):
                out.append('<circle cx="%.2f" cy="%.2f" r="3.2" fill="%s"><title>%s: %s at %s %s</title></circle>'
                           % (px(x), py(a), color, _e(label), _e(_signed(a, fmt) if mode == "delta" else fmt(a)),
                              _e(x_label), _e(_x_text(x))))
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)


def _chart_section(points, leaks, x_label):
    labels = _chart_labels(points, leaks)
    if not points or not labels:
        return ('<section id="chart"><h2>Live objects over time</h2>'
                '<p class="empty">No snapshots to chart.</p></section>')
    charts = []
    for metric in ("count", "bytes"):
        for mode in ("delta", "abs"):
            charts.append(_chart_svg(points, labels, metric, mode, x_label,
                                     visible=(metric, mode) == ("bytes", "delta")))
    first, last = points[0][1], points[-1][1]
    legend = []
    for i, label in enumerate(labels):
        c0, s0 = first.get(label, (0, 0))
        c1, s1 = last.get(label, (0, 0))
        legend.append('<li data-series="%d"><span class="swatch" style="background:%s"></span>'
                      '<span class="lname">%s</span><span class="lval">%s objects, %s</span></li>'
                      % (i, _COLORS[i % len(_COLORS)], _e(label), _e(_signed(c1 - c0, _count)),
                         _e(_signed(s1 - s0, _bytes))))
    return ("""<section id="chart"><h2>Live objects over time</h2>
<div class="toolbar"><span class="group"><button type="button" data-metric="bytes" aria-pressed="true">bytes</button>\
<button type="button" data-metric="count" aria-pressed="false">objects</button></span>
<span class="group"><button type="button" data-mode="delta" aria-pressed="true">change since first</button>\
<button type="button" data-mode="abs" aria-pressed="false">live totals</button></span>
<span class="hint">%d snapshots; %d labels drawn. Hover or click the legend.</span></div>
<div class="chartbox" id="chartbox">%s</div>
<ul class="legend" id="legend">%s</ul></section>"""
            % (len(points), len(labels), "".join(charts), "".join(legend)))


# ---- leaks, paths, tables ---------------------------------------------------

def _safe_repr(obj):
    from heapscope.leaks import _safe_repr as r

    return r(obj)


def _sparkline(values, width=110, height=26):
    if not values:
        return ""
    hi = max(max(values), 1)
    n = len(values)
    pts = " ".join("%.1f,%.1f" % (2 + (width - 4) * (i / (n - 1) if n > 1 else 0.5),
                                  height - 2 - (height - 4) * v / hi) for i, v in enumerate(values))
    return ('<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d"><polyline points="%s"/></svg>'
            % (width, height, width, height, pts))


def _site(tb):
    if tb is None:
        return ""
    try:
        if not len(tb):
            return ""
        fr = tb[-1]
        return "%s:%d" % (fr.filename, fr.lineno)
    except Exception:  # noqa: BLE001 -- any traceback-like value
        return ""


def _leak_table(leaks, per="repetition"):
    if not leaks:
        return '<p class="empty ok">No leaks reported.</p>'
    rows = []
    for i, leak in enumerate(leaks):
        samples = "".join("<li><code>%s</code></li>" % _e(_safe_repr(s)) for s in getattr(leak, "samples", ()) or ())
        retained = getattr(leak, "retained", None)
        site = _site(getattr(leak, "traceback", None))
        counts = list(getattr(leak, "counts", ()) or ())
        path = getattr(leak, "path", None)
        sub = []
        if leak.type != leak.detail:
            sub.append(_e(leak.type))
        chain = list(getattr(leak, "chain", ()) or ())
        if len(chain) > 1:
            sub.append("held by " + " &rarr; ".join(_e(c) for c in chain))
        acc = getattr(leak, "accumulation", None)
        if acc is not None:
            sub.append("accumulates in <code>%s</code> (+%s entr%s/%s)"
                       % (_e(str(acc[0])), _e(_count(round(acc[1], 1))), "y" if acc[1] == 1 else "ies",
                          _e(_PER_SHORT.get(per, per))))
        others = [r for r in (getattr(leak, "labels", ()) or ()) if r[1] != leak.detail]
        if others:
            sub.append("with " + ", ".join("%s (%s)" % (_e(r[1]), _e(_count(round(r[2], 1))) if r[2] else
                                                      "+" + _e(_bytes(int(round(r[3]))))) for r in others[:6])
                       + (" and %d more" % (len(others) - 6) if len(others) > 6 else ""))
        native = getattr(leak, "native", None)
        if native:
            sub.append("native memory +%s/%s" % (_e(_bytes(native)), _e(_PER_SHORT.get(per, per))))
        rows.append(
            "<tr><td class=\"label\">%s%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
            "<td class=\"num\">%s</td><td>%s</td><td><ul class=\"samples\">%s</ul></td><td>%s</td></tr>"
            % ('<a href="#path-%d">%s</a>' % (i, _e(leak.detail)) if path is not None else _e(leak.detail),
               "".join('<div class="sub">%s</div>' % x for x in sub),
               _count(leak.count), _e(_bytes(leak.size)),
               _e(_bytes(retained)) if retained is not None else "&ndash;",
               _sparkline(counts), samples, "<code>%s</code>" % _e(site) if site else "&ndash;"))
    u = _e(_PER_SHORT.get(per, per))
    return ('<table class="leaks"><thead><tr><th>label</th><th>objects/%s</th><th>bytes/%s</th>'
            '<th>retained/%s</th><th>new objects alive</th><th>samples</th><th>allocated at</th></tr></thead>'
            "<tbody>%s</tbody></table>" % (u, u, u, "".join(rows)))


def _chain(path):
    """A Path as boxes: the root, then each object, an arrow labelled with the
    reference between each two."""
    kind = str(getattr(path, "kind", ""))
    root = str(getattr(path, "root", ""))
    steps = list(getattr(path, "steps", ()) or ())
    parts = ['<div class="chain">']
    if kind == "module" and steps:
        parts.append('<div class="box root kind-module"><span class="kind">module</span>%s</div>' % _e(root))
        edge = steps[0][1]
        steps = steps[1:]
    else:
        parts.append('<div class="box root kind-%s"><span class="kind">%s</span>%s</div>'
                     % (_e(kind or "root"), _e(kind or "root"), _e(root)))
        edge = None
    for j, (name, next_edge) in enumerate(steps):
        if edge is not None:
            parts.append('<div class="arrow"><span class="edge">%s</span></div>' % _e(edge or "refers to"))
        else:
            parts.append('<div class="arrow"><span class="edge">holds</span></div>')
        last = j == len(steps) - 1
        parts.append('<div class="box%s">%s</div>' % (" leaked" if last else "", _e(name)))
        edge = next_edge
    parts.append("</div>")
    return "".join(parts)


def _paths_section(leaks, per="repetition"):
    items = []
    for i, leak in enumerate(leaks):
        path = getattr(leak, "path", None)
        if path is None:
            continue
        acc = getattr(leak, "accumulation", None)
        extra = ""
        if acc is not None:
            where, grows = acc
            extra = ('<p class="acc">accumulates in <code>%s</code> (+%s per %s)</p>'
                     % (_e(where), _e("%d" % grows if grows == int(grows) else "%.1f" % grows), _e(per)))
        items.append('<div class="path" id="path-%d"><h3>%s</h3>%s<p class="pathtext"><code>%s</code></p>%s</div>'
                     % (i, _e(leak.detail), _chain(path), _e(str(path)), extra))
    if not items:
        return ""
    return ('<section id="paths"><h2>What keeps them alive</h2>'
            '<p class="note">The shortest chain of references from a root to one leaked object.</p>%s</section>'
            % "".join(items))


def _retainers_section(top):
    top = list(top or ())
    if not top:
        return ""
    hi = max(max(int(r[2]) for r in top), 1)
    rows = []
    for r in top:
        label, detail, retained, size, address = r[0], r[1], int(r[2]), int(r[3]), r[4]
        rows.append('<tr><td class="label">%s%s</td><td class="num">%s</td><td class="bar"><span style="width:%.1f%%">'
                    '</span></td><td class="num">%s</td><td><code>%s</code></td></tr>'
                    % (_e(detail), "" if label == detail else '<div class="sub">%s</div>' % _e(label),
                       _e(_bytes(retained)), 100.0 * retained / hi, _e(_bytes(size)),
                       _e("0x%x" % address if isinstance(address, int) else address)))
    return ('<section id="retainers"><h2>Top retainers</h2><p class="note">Objects whose removal would free '
            'the most memory (their dominator subtree).</p><table class="tbl"><thead><tr><th>object</th>'
            '<th>retained</th><th></th><th>own size</th><th>address</th></tr></thead><tbody>%s</tbody></table>'
            "</section>" % "".join(rows))


def _largest_section(largest):
    rows = sorted(([str(r[0]), int(r[1]), int(r[2])] for r in largest or ()), key=lambda r: (-r[2], r[0]))
    rows = rows[:LARGEST_ROWS]
    if not rows:
        return ""
    hi = max(rows[0][2], 1)
    body = "".join('<tr><td class="label">%s</td><td class="num">%s</td><td class="num">%s</td>'
                   '<td class="bar"><span style="width:%.1f%%"></span></td></tr>'
                   % (_e(label), _count(n), _e(_bytes(size)), 100.0 * size / hi) for label, n, size in rows)
    return ('<section id="largest"><h2>Largest types</h2><table class="tbl"><thead><tr><th>types</th>'
            '<th># objects</th><th>total size</th><th></th></tr></thead><tbody>%s</tbody></table></section>' % body)


def _meta_section(meta):
    items = "".join("<div><dt>%s</dt><dd>%s</dd></div>" % (_e(k), _e(v)) for k, v in (meta or {}).items())
    return '<dl class="meta">%s</dl>' % items if items else ""


def _headline(leaks, per="repetition"):
    if not leaks:
        return '<p class="headline ok">No leaks.</p>'
    n = sum(int(l.count) for l in leaks)
    b = sum(int(l.size) for l in leaks)
    return ('<p class="headline bad"><b>%d</b> leak%s: <b>%s</b> object%s, <b>%s</b> per %s.</p>'
            % (len(leaks), "s"[: len(leaks) != 1], _count(n), "s"[: n != 1], _e(_bytes(b)), _e(per)))


# ---- the page ---------------------------------------------------------------

_CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa; --accent:#4e79a7; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { background:#24292f; color:#fff; padding:18px 32px 14px; }
header h1 { margin:0 0 6px; font-size:22px; font-weight:600; }
header .by { color:#afb8c1; font-size:12px; }
main { padding:8px 32px 40px; max-width:1400px; }
h2 { font-size:18px; margin:28px 0 10px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { font-size:14px; margin:14px 0 6px; }
code { font:12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap:anywhere; }
.meta { display:flex; flex-wrap:wrap; gap:6px 28px; margin:10px 0 0; }
.meta div { display:flex; gap:6px; } .meta dt { color:#afb8c1; } .meta dd { margin:0; }
.headline { font-size:16px; padding:10px 14px; border-radius:6px; margin:18px 0 0; }
.headline.bad { background:#ffebe9; border:1px solid #ffcecb; } .headline.ok, .empty.ok { background:#dafbe1; border:1px solid #aceebb; padding:10px 14px; border-radius:6px; }
.empty { color:var(--muted); }
.note { color:var(--muted); margin:0 0 8px; }
.toolbar { display:flex; flex-wrap:wrap; gap:14px; align-items:center; margin-bottom:6px; }
.group button { font:inherit; border:1px solid var(--line); background:var(--panel); padding:3px 10px; cursor:pointer; }
.group button:first-child { border-radius:6px 0 0 6px; } .group button:last-child { border-radius:0 6px 6px 0; border-left:0; }
.group button[aria-pressed="true"] { background:var(--accent); color:#fff; border-color:var(--accent); }
.hint { color:var(--muted); font-size:12px; }
.chartbox { border:1px solid var(--line); border-radius:6px; padding:6px; background:#fff; }
svg.chart { width:100%; height:auto; display:block; }
svg.chart .grid line { stroke:#eaeef2; stroke-width:1; } svg.chart .grid line.zero { stroke:#8c959f; }
svg.chart .grid line.xgrid { stroke:#f3f5f7; }
svg.chart text { font-size:12px; fill:#57606a; font-family:inherit; }
svg.chart .ytick { text-anchor:end; } svg.chart .xtick { text-anchor:middle; }
svg.chart .axis-title { text-anchor:middle; fill:#24292f; font-weight:600; }
svg.chart .line { fill:none; stroke-width:2.4; stroke-linejoin:round; stroke-linecap:round; }
svg.chart .series { transition:opacity .15s; }
.chartbox.focus svg.chart .series { opacity:.15; } .chartbox.focus svg.chart .series.hl { opacity:1; }
svg.chart .series.hl .line { stroke-width:4; } svg.chart .series.off { display:none; }
.legend { list-style:none; padding:0; margin:8px 0 0; display:grid; grid-template-columns:repeat(auto-fill, minmax(330px, 1fr)); gap:2px 18px; }
.legend li { display:flex; align-items:center; gap:8px; cursor:pointer; padding:2px 4px; border-radius:4px; }
.legend li:hover { background:var(--panel); } .legend li.off { opacity:.4; text-decoration:line-through; }
.swatch { width:14px; height:14px; border-radius:3px; flex:none; }
.lname { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; flex:1; }
.lval { color:var(--muted); font-size:12px; white-space:nowrap; }
table { border-collapse:collapse; width:100%; }
.tbl td { vertical-align:middle; }
th, td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
th { background:var(--panel); font-weight:600; font-size:13px; white-space:nowrap; }
td.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
td.label { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; word-break:break-all; }
td.label a { color:#0550ae; }
.sub { color:var(--muted); }
ul.samples { margin:0; padding-left:16px; max-width:420px; }
svg.spark polyline { fill:none; stroke:#e15759; stroke-width:2; }
td.bar { width:22%; } td.bar span { display:block; height:12px; background:#76b7b2; border-radius:2px; min-width:1px; margin-top:3px; }
.path { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:4px 14px 8px; margin:10px 0; }
.chain { display:flex; flex-wrap:wrap; align-items:center; gap:6px 0; margin:6px 0; }
.box { border:1px solid #8c959f; background:#fff; border-radius:6px; padding:5px 10px; font:12px ui-monospace, "DejaVu Sans Mono", monospace; max-width:360px; word-break:break-all; }
.box .kind { display:block; font:10px system-ui, sans-serif; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.box.root { border-color:#4e79a7; background:#eaf1f8; } .box.kind-frame { border-color:#59a14f; background:#eef7ec; }
.box.kind-outside { border-color:#b07aa1; background:#f6eef4; }
.box.leaked { border-color:#e15759; background:#ffebe9; font-weight:600; }
.arrow { display:flex; flex-direction:column; align-items:center; min-width:64px; padding:0 4px; position:relative; }
.arrow::after { content:""; display:block; width:100%; height:2px; background:#57606a; margin-top:2px; }
.arrow::before { content:""; position:absolute; right:0; bottom:-4px; border:5px solid transparent; border-left:8px solid #57606a; border-right:0; }
.edge { font:11px ui-monospace, "DejaVu Sans Mono", monospace; color:#0550ae; white-space:nowrap; max-width:240px; overflow:hidden; text-overflow:ellipsis; }
.pathtext { color:var(--muted); margin:2px 0; } .acc { margin:2px 0; }
footer { color:var(--muted); font-size:12px; padding:0 32px 24px; }
"""

_JS = """
(function () {
  "use strict";
  var state = { metric: "bytes", mode: "delta" };
  var box = document.getElementById("chartbox");
  if (!box) { return; }
  function each(list, f) { for (var i = 0; i < list.length; i++) { f(list[i]); } }
  function show() {
    each(box.querySelectorAll("svg.chart"), function (svg) {
      var on = svg.getAttribute("data-metric") === state.metric && svg.getAttribute("data-mode") === state.mode;
      svg.style.display = on ? "" : "none";
    });
    each(document.querySelectorAll(".toolbar button"), function (b) {
      var on = b.getAttribute("data-metric") === state.metric || b.getAttribute("data-mode") === state.mode;
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  each(document.querySelectorAll(".toolbar button"), function (b) {
    b.addEventListener("click", function () {
      if (b.hasAttribute("data-metric")) { state.metric = b.getAttribute("data-metric"); }
      if (b.hasAttribute("data-mode")) { state.mode = b.getAttribute("data-mode"); }
      show();
    });
  });
  function series(i) { return box.querySelectorAll('.series[data-series="' + i + '"]'); }
  each(document.querySelectorAll("#legend li"), function (li) {
    var i = li.getAttribute("data-series");
    li.addEventListener("mouseenter", function () {
      box.classList.add("focus");
      each(series(i), function (g) { g.classList.add("hl"); });
    });
    li.addEventListener("mouseleave", function () {
      box.classList.remove("focus");
      each(series(i), function (g) { g.classList.remove("hl"); });
    });
    li.addEventListener("click", function () {
      var off = li.classList.toggle("off");
      each(series(i), function (g) { g.classList.toggle("off", off); });
    });
  });
  show();
})();
"""

_PAGE = string.Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header><h1>$title</h1><div class="by">heapscope $version &middot; $date</div>$meta</header>
<main>
$headline
$chart
$leaks
$paths
$retainers
$largest
</main>
<footer>Generated by heapscope $version. Self-contained: no network, no external files.</footer>
<script>$js</script>
</body>
</html>
""")


_PER_SHORT = {"repetition": "rep", "minute": "min", "call": "call"}


def render_html(series, *, leaks=(), top_retainers=(), largest=None, title="heapscope report",
                meta=None, x_label="repetition", per="repetition"):
    """The report as a str; the arguments are those of ``write_html``."""
    points = _norm_series(series)
    leak_section = leaks is not None
    leaks = list(leaks or ())
    if largest is None:
        largest = [[label, c, s] for label, (c, s) in points[-1][1].items()] if points else []
    return _PAGE.substitute(
        title=_e(title),
        css=_CSS,
        js=_JS,
        version=_e(heapscope.__version__),
        date=_e(datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        meta=_meta_section(meta),
        headline=_headline(leaks, per) if leak_section else "",
        chart=_chart_section(points, leaks, x_label),
        leaks='<section id="leaks"><h2>Leaks</h2>%s</section>' % _leak_table(leaks, per) if leak_section else "",
        paths=_paths_section(leaks, per),
        retainers=_retainers_section(top_retainers),
        largest=_largest_section(largest),
    )


def write_html(path, series, *, leaks=(), top_retainers=(), largest=None, title="heapscope report",
               meta=None, x_label="repetition", per="repetition"):
    """Write the self-contained HTML report to ``path``; return ``path``.

    series        -- the chart's data: a list of ``(x, rows)`` points, ``x``
                     a number (seconds since the start, a repetition number...)
                     and ``rows`` ``[[label, count, size], ...]``, the format
                     of ``Snapshot.summary()`` (detailed labels are fine).  The
                     chart draws the leak labels first, then the labels whose
                     bytes changed most, as objects or bytes, live totals or
                     change since the first point.  Any number of points,
                     in any order (sorted by x); a label missing from a point
                     counts 0 there.
    leaks         -- ``heapscope.Leak`` objects (``find_leaks``' report):
                     the leak table (label, objects and bytes per repetition,
                     retained bytes, new objects alive after each repetition,
                     sample reprs, allocation site) and each ``.path`` drawn as
                     a chain root -> ... -> leaked object, with its
                     ``.accumulation``; None: no leak section (nothing
                     looked for leaks), where ``()`` says none were found
    top_retainers -- ``(label, detail, retained, size, address)`` tuples, the
                     format of ``Snapshot.top_retainers()``
    largest       -- the largest types table, rows ``[label, count, size]``;
                     default: the rows of the last series point
    title         -- the page's title
    meta          -- a dict shown as key/values in the header (command,
                     Python version, duration...), in its order
    x_label       -- the name of the x axis, e.g. ``"repetition"``,
                     ``"seconds"``
    per           -- the unit of the leaks' rates: ``"repetition"``
                     (find_leaks), ``"minute"`` (heapscope run), ``"call"``

    The file is UTF-8 and self-contained: inline CSS, SVG and JavaScript, no
    URL.  Every text from the heap is HTML-escaped.
    """
    text = render_html(series, leaks=leaks, top_retainers=top_retainers, largest=largest, title=title,
                       meta=meta, x_label=x_label, per=per)
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write(text)
    return path


def python_meta():
    """The header entries every report shows: Python version and platform."""
    return {"python": "%s %s" % (sys.implementation.name, sys.version.split()[0]), "platform": sys.platform}


# ---- heapscope report -------------------------------------------------------

def _positive_int(text):
    from heapscope.cli_files import int_at_least

    return int_at_least(2)(text)


def _add_report(subparsers):
    """``heapscope report``: the cli.py entry (listed in its _SUBCOMMANDS)."""
    p = subparsers.add_parser(
        "report",
        help="write the self-contained HTML report of heap files, or of the IDLE demo",
        description=(
            "Write one self-contained HTML file (no network): the chart of live objects and bytes per "
            "label over the snapshots, the leaks and the chains of references keeping them alive, the "
            "top retainers, the largest types.  Give heap files (heapscope.load) in the order they were "
            "taken, or --demo for the report of find_leaks on the IDLE leak of Pympler's tutorial."
        ),
    )
    p.add_argument("files", nargs="*", metavar="HEAPFILE", help="snapshots saved by heapscope, oldest first")
    p.add_argument("-o", "--out", default="heapscope-report.html", metavar="PATH",
                   help="the HTML file to write (default: heapscope-report.html)")
    p.add_argument("--demo", action="store_true",
                   help="report find_leaks on the headless IDLE model's Path Browser leak")
    p.add_argument("--repeat", type=_positive_int, default=8, metavar="N",
                   help="with --demo: repetitions of the leaking action (default: 8)")
    p.add_argument("--title", default=None, help="the page title")
    p.set_defaults(run=_run_report)


def _run_report(args):
    if args.demo == bool(args.files):
        sys.stderr.write("heapscope report: give heap files or --demo (one of them)\n")
        return 2
    if args.demo:
        report = _demo_report(args.repeat)
        report.to_html(args.out, title=args.title)
        print("heapscope report: %d leak%s in %d repetitions; wrote %s"
              % (len(report.leaks), "s"[: len(report.leaks) != 1], report.repeat, args.out))
        return 0
    load = getattr(heapscope, "load", None)
    if load is None:
        sys.stderr.write("heapscope report: this heapscope cannot read heap files (no heapscope.load)\n")
        return 2
    try:
        snaps = [load(f) for f in args.files]
    except (OSError, ValueError) as e:
        sys.stderr.write("heapscope report: %s\n" % e)
        return 1
    write_html(args.out, **_files_report(snaps, args.files, args.title))
    print("heapscope report: %d snapshots; wrote %s" % (len(snaps), args.out))
    return 0


def _files_report(snaps, names, title=None):
    """write_html's arguments for loaded snapshots, oldest first: x is the
    seconds since the first when every snapshot knows its time (``.time``),
    else its position; the top retainers are the last one's, if it has a
    graph."""
    times = [getattr(s, "time", None) for s in snaps]
    if all(isinstance(t, (int, float)) for t in times):
        xs, x_label = [t - times[0] for t in times], "seconds"
    else:
        xs, x_label = list(range(len(snaps))), "snapshot"
    series = [(x, s.summary(detail=True)) for x, s in zip(xs, snaps)]
    try:
        top = snaps[-1].top_retainers(10)
    except ValueError:  # no graph in that snapshot
        top = []
    meta = {"snapshots": ", ".join(os.path.basename(str(n)) for n in names)}
    meta.update(python_meta())
    return dict(series=series, leaks=None, top_retainers=top, largest=snaps[-1].summary(LARGEST_ROWS), meta=meta,
                x_label=x_label, title=title or "heapscope report")


def _demo_report(repeat=8):
    """find_leaks on the headless IDLE model (``heapscope._idle_demo``):
    opening and closing the Path Browser leaks its window each time.  Traces
    allocations (tracemalloc) for the allocation sites."""
    import tracemalloc

    from heapscope._idle_demo import Idle, Menu, Tcl

    app = Idle(Menu(Tcl()))

    def open_and_close_path_browser():
        app.path_browser()

    open_and_close_path_browser.__qualname__ = "open_and_close_path_browser"
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        return heapscope.find_leaks(open_and_close_path_browser, repeat=repeat)
    finally:
        if started:
            tracemalloc.stop()
