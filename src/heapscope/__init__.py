"""heapscope: find what leaks in a Python program, and why.

The heap walk, sizes, labels and summaries are C (heapscope._core); this
package is the thin Python layer users import:

- ``heapscope.tracker``, ``heapscope.summary``, ``heapscope.muppy``: drop-ins
  for Pympler's modules of the same names, exact and fast.
- ``typestats``, ``most_common_types``, ``show_most_common_types``, ``growth``,
  ``show_growth``, ``count``, ``by_type``: objgraph's helpers over every live
  object, not only those the GC tracks (module ``heapscope.growth``).
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
from heapscope.growth import (  # noqa: E402
    by_type,
    count,
    growth,
    most_common_types,
    show_growth,
    show_most_common_types,
    typestats,
)

__all__ = ["__version__", "typestats", "most_common_types", "show_most_common_types", "growth",
           "show_growth", "count", "by_type"]
