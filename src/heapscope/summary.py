"""Drop-in for ``pympler.summary``: summaries of objects by type label.

A summary is a list of ``[label, count, total_size]`` rows.  Labels are those
of Pympler 1.1's ``_repr`` at its default verbosity, computed in C; sizes are
``sys.getsizeof``.  ``print_`` and ``format_`` print Pympler's table byte for
byte (``print_`` also takes ``file=``).
"""
import re
import sys
import types

from heapscope import _core

__all__ = ["summarize", "get_diff", "format_", "print_"]

_SORTBY = ["type", "#", "size"]
_ORDERS = ["ascending", "descending"]
_type_repr = re.compile(r"^<(type|class) '(\S+)'>$")
_address = re.compile(r" at 0x[0-9a-f]+")


def _fix_label(label):
    """Pympler's two regexes (the C core does the same for the labels it makes)."""
    return _type_repr.sub(r"\2", _address.sub("", label))


def _module_label(m):
    return "module(%s)" % getattr(m, "__name__", getattr(m, "__file__", "nameless, id: %d" % id(m)))


_core.set_label_hooks(_module_label)


def summarize(objects, detail=False):
    """Summarize a list of objects: ``[[label, count, total_size], ...]``.

    One row per distinct label, in the order labels are first seen.  With
    ``detail``, detailed labels (``method (Window.wakeup)``, ...); a dict is
    labelled by its owner only when the owner is in ``objects`` too.
    """
    return _core.summarize(objects, detail)


def get_diff(left, right):
    """Rows of ``right`` minus ``left``, matched by label.

    Labels on both sides give ``[label, dcount, dsize]`` (zeros kept); labels
    on one side only give that side's row, negated when it is ``left``'s.
    """
    if isinstance(left, _core.Summary) and isinstance(right, _core.Summary):
        return right.diff(left)
    res = []
    right_by_key = {r[0]: r for r in right}
    left_by_key = {r[0]: r for r in left}
    for key, r in right_by_key.items():
        l = left_by_key.get(key)
        if l:
            res.append([key, r[1] - l[1], r[2] - l[2]])
        else:
            res.append(r if isinstance(r, list) else list(r))
    for key, l in left_by_key.items():
        if key not in right_by_key:
            res.append([key, -l[1], -l[2]])
    return res


def _pp(i, base=1024):
    """Pympler's ``util.stringutils.pp``: a size with a unit.

    Identical text; where Pympler raises IndexError (sizes of 1024**6 bytes
    and more, its unit list lacks PB) this stays in its largest unit.
    """
    degree = 0
    pattern = "%4d     %s"
    while i > base and degree < 5:
        pattern = "%7.2f %s"
        i = i / float(base)
        degree += 1
    scales = ["B", "KB", "MB", "GB", "TB", "EB"]
    return pattern % (i, scales[degree])


def format_(rows, limit=15, sort="size", order="descending"):
    """Format rows as Pympler's table; a generator of lines.

    limit -- the maximum number of rows listed (None: all)
    sort  -- 'size', 'type' or '#' ('retained' too for rows with a fourth
             column, ``Snapshot.summary(retained=True)``'s retained sizes,
             printed as a fourth column "retained size")
    order -- 'ascending' or 'descending'
    """
    localrows = [list(row) for row in rows]
    retained = bool(localrows) and len(localrows[0]) == 4
    sortby = _SORTBY + ["retained"] if retained else _SORTBY
    if sort not in sortby:
        raise ValueError("invalid sort, should be one of" + str(sortby))
    if order not in _ORDERS:
        raise ValueError("invalid order, should be one of" + str(_ORDERS))
    reverse = order == "descending"
    if sort == "type":
        # Pympler sorts on _repr(label), which is 'str' for every row: a no-op.
        localrows.sort(key=lambda x: _repr(x[0]), reverse=reverse)
    else:
        col = sortby.index(sort)
        localrows.sort(key=lambda x: x[col], reverse=reverse)
    localrows = localrows[0:limit]
    for row in localrows:
        row[2] = _pp(row[2])
        if retained:
            row[3] = _pp(row[3])
    header = ["types", "# objects", "total size"]
    localrows.insert(0, header + ["retained size"] if retained else header)
    return _format_table(localrows)


def _format_table(rows, header=True):
    cols = zip(*rows)
    widths = [max(len(str(item)) + 2 for item in col) for col in cols]
    borderline = " | ".join(w * "=" for w in widths)
    for row in rows:
        yield " | ".join(str(item).rjust(width) for item, width in zip(row, widths))
        if header:
            yield borderline
            header = False


def _write_lines(lines, file=None):
    """Write lines in one call and flush, so no pending text stays on the heap."""
    out = sys.stdout if file is None else file
    text = "".join(line + "\n" for line in lines)
    out.write(text)
    flush = getattr(out, "flush", None)
    if flush is not None:
        flush()


def print_(rows, limit=15, sort="size", order="descending", file=None):
    """Print rows as Pympler's table (to ``file``, default stdout)."""
    _write_lines(format_(rows, limit=limit, sort=sort, order=order), file)


_representations = {
    types.FrameType: [
        lambda f: "frame (codename: %s)" % (f.f_code.co_name),
        lambda f: "frame (codename: %s, codeline: %s)" % (f.f_code.co_name, f.f_code.co_firstlineno),
        lambda f: "frame (codename: %s, filename: %s, codeline: %s)"
        % (f.f_code.co_name, f.f_code.co_filename, f.f_code.co_firstlineno),
    ],
    dict: [lambda d: str(type(d)), lambda d: "dict, len=%s" % len(d)],
    types.FunctionType: [
        lambda f: "function (%s)" % f.__name__,
        lambda f: "function (%s.%s)" % (f.__module__, f.__name__),
    ],
    list: [lambda l: str(type(l)), lambda l: "list, len=%s" % len(l)],
    types.ModuleType: [_module_label],
    set: [lambda s: str(type(s)), lambda s: "set, len=%s" % len(s)],
}


def _repr(o, verbosity=1):
    """Pympler's label of one object (verbosity 1 is computed in C)."""
    if verbosity == 1:
        return _core.label(o)
    t = type(o)
    if verbosity == 0 or t not in _representations:
        res = str(t)
    else:
        reps = _representations[t]
        res = reps[min(verbosity - 1, len(reps) - 1)](o)
    return _fix_label(res)


def _sweep(summary):
    """Drop rows whose count and size are both zero."""
    return [row for row in summary if (row[2] != 0) or (row[1] != 0)]


def _subtract(summary, o):
    """Remove one object from a summary (Pympler's private helper)."""
    found = False
    row = [_repr(o), 1, _core.sizeof(o)]
    for r in summary:
        if r[0] == row[0]:
            r[1] -= row[1]
            r[2] -= row[2]
            found = True
    if not found:
        summary.append([row[0], -row[1], -row[2]])
    return summary


def _traverse(summary, function, *args):
    """Call function on the summary, each row and each row item."""
    function(summary, *args)
    for row in summary:
        function(row, *args)
        for item in row:
            function(item, *args)
