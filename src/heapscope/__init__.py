"""heapscope: find what leaks in a Python program, and why.

The heap walk, sizes, labels and summaries are C (heapscope._core); this
package is the thin Python layer users import:

- ``heapscope.tracker``, ``heapscope.summary``, ``heapscope.muppy``: drop-ins
  for Pympler's modules of the same names, exact and fast.
- ``heapscope.snapshot()``, ``Snapshot.diff()``: compact snapshots that know
  which objects are new; ``heapscope.label(obj, detail=True)``.
- ``heapscope.find_leaks(action)``: repeat an action, report what leaks.
- ``heapscope.why_alive(obj)``: the chains of references that keep it alive;
  ``heapscope.retained_size(obj)``: the bytes freed if it went away.
- ``Snapshot.save(path)``, ``heapscope.load(path)``: heap files for offline
  analysis (``heapscope summary|diff|top|why FILE``).
- ``heapscope.report.write_html``, ``LeakReport.to_html``: one self-contained
  HTML page of snapshots over time, leaks and their paths.
- ``heapscope.objgraph``: ``typestats``, ``most_common_types``,
  ``show_most_common_types``, ``growth``, ``show_growth``, ``count``,
  ``by_type``, objgraph's helpers over every live object, not only those the
  GC tracks, and ``find_backref_chain``, ``find_ref_chain``,
  ``show_backrefs``, ``show_refs`` (Graphviz DOT) over one heap walk (also
  importable from ``heapscope``).
- ``heapscope.refbrowser``: drop-in for Pympler's referrers trees.
- ``heapscope.dot.write_paths(why_alive(obj), "paths.dot")``: paths as DOT.
"""
import sys as _sys
import sysconfig as _sysconfig

__version__ = "0.1.0"

if _sys.implementation.name != "cpython":
    raise ImportError("heapscope walks CPython's heap; %s is not supported" % _sys.implementation.name)
if not ((3, 9) <= _sys.version_info[:2] <= (3, 13)):
    raise ImportError(
        "heapscope supports CPython 3.9 to 3.13; this interpreter is %d.%d" % _sys.version_info[:2]
    )
if _sysconfig.get_config_var("Py_GIL_DISABLED"):
    raise ImportError(
        "heapscope needs a GIL build of CPython: on a free-threaded build the heap "
        "cannot be walked safely from an extension"
    )

from heapscope import _core  # noqa: E402
from heapscope import summary as _summary  # noqa: E402,F401  (registers the label hooks)
from heapscope.snapshots import Snapshot, SnapshotDiff, diff, snapshot  # noqa: E402
from heapscope.leaks import Leak, LeakReport, find_leaks  # noqa: E402
from heapscope.paths import Path, Retainer, retained_size, why_alive  # noqa: E402
from heapscope.heapfile import HeapFileError, load  # noqa: E402
from heapscope.objgraph import (  # noqa: E402
    by_type,
    count,
    find_backref_chain,
    find_ref_chain,
    growth,
    most_common_types,
    show_backrefs,
    show_growth,
    show_most_common_types,
    show_refs,
    typestats,
)


def __getattr__(name):
    # heapscope.report (datetime, html, string) is imported on first use, so
    # that importing heapscope adds as few objects to the heap it looks at.
    if name == "report":
        import importlib

        return importlib.import_module("heapscope.report")
    raise AttributeError("module 'heapscope' has no attribute %r" % name)


def label(obj, detail=False):
    """The label heapscope gives obj: Pympler's, or with ``detail`` the detailed
    one (``method (Window.wakeup)``, ``dict of pkg.Window``, ...)."""
    return _core.label(obj, detail=detail)


__all__ = [
    "__version__",
    "snapshot",
    "diff",
    "Snapshot",
    "SnapshotDiff",
    "find_leaks",
    "LeakReport",
    "Leak",
    "label",
    "why_alive",
    "retained_size",
    "Path",
    "Retainer",
    "load",
    "HeapFileError",
    "typestats",
    "most_common_types",
    "show_most_common_types",
    "growth",
    "show_growth",
    "count",
    "by_type",
    "find_backref_chain",
    "find_ref_chain",
    "show_backrefs",
    "show_refs",
]
