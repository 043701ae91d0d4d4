"""Heap files: a Snapshot saved for offline analysis, and read back.

``snap.save(path)`` (C: ``csrc/heapfile.c``) writes a compact binary file:
records, labels, the graph and its roots, edge names, a few short reprs and
the Python version.  ``load(path)`` reads it into a Snapshot that answers
``summary``, ``print``, ``diff``, ``retained_size(address)``,
``top_retainers`` and ``why_alive(address)`` in any process; nothing in it
refers to the reading process's heap.  A truncated, corrupt or foreign file
raises ``HeapFileError`` (a ``ValueError``) naming the problem.
"""
from heapscope import _core

__all__ = ["load", "HeapFileError", "offline_paths"]

HeapFileError = _core.HeapFileError


def load(path):
    """The Snapshot saved at ``path`` (``Snapshot.save``)."""
    return _core.load_heapfile(path)


def offline_paths(snap, address, max_paths=3):
    """why_alive of the object at ``address`` from the snapshot's stored graph
    only: a list of Path (steps named by detailed label, references by the
    stored edge names, ``[?]`` when the graph has none)."""
    from heapscope.paths import Path

    return [Path.stored(*p) for p in snap.paths_at(address, max_paths)]
