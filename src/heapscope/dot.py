"""Graphviz DOT output: ``why_alive`` paths as a graph, and the file handling
shared with ``heapscope.objgraph.show_refs``/``show_backrefs``.

The DOT text itself is written by C (``csrc/dot.c``): every string quoted,
quotes and backslashes escaped, newlines as ``\\n``, other control
characters shown as the text ``\\xNN``, ``&`` as ``&amp;`` (Graphviz decodes
HTML entities in every string), lone surrogates as U+FFFD, and the rest as
UTF-8, Graphviz's default charset (not as entities: Graphviz 2.43 mangles
entities above U+FFFF).  Files are written in UTF-8.

- ``paths_to_dot(paths)``: DOT text of a list of ``heapscope.Path`` (as
  ``heapscope.why_alive(obj)`` returns): one chain of nodes per path, from its
  root (green for a module, blue for a frame, grey for "held outside") to the
  object, which all paths share (red text); each edge is labelled with how
  the parent refers to the child (``.attr``, ``['key']``, ``[3]``).
- ``write_paths(paths, filename_or_file)``: write it.  A file object gets
  the text; a filename ending in ``.dot`` gets the text; another extension
  (``.png``, ``.svg``, ``.pdf``, ...) is rendered by Graphviz's ``dot`` when it
  is on PATH, and otherwise the text is kept in a ``.dot`` file next to it and
  a message says so.  Returns the name of the file written (None for a file
  object).
"""
import os
import shutil
import subprocess
import tempfile

from heapscope import _core

__all__ = ["paths_to_dot", "write_paths"]

_ROOT_COLOURS = {"module": "0.3,0.4,1", "frame": "0.6,0.4,1", "outside": "0,0,0.85"}


def paths_to_dot(paths):
    """DOT text of ``why_alive`` paths (see the module docstring)."""
    nodes = [("target", [("fontcolor", "red")])]
    edges = []
    target_label = None
    for i, path in enumerate(paths):
        steps = list(path.steps)
        if not steps:
            continue
        target_label = steps[-1][0]
        prev = None
        for j, (name, edge) in enumerate(steps):
            last = j == len(steps) - 1
            nid = "target" if last else "p%d_%d" % (i, j)
            if not last:
                attrs = [("label", name)]
                if j == 0:
                    label = path.root if path.kind == "module" else "%s\n%s" % (path.root, name)
                    attrs = [("label", label),
                             ("fillcolor", _ROOT_COLOURS.get(path.kind, "white"))]
                nodes.append((nid, attrs))
            if prev is not None:
                edges.append(prev + (nid, [("label", steps[j - 1][1])] if steps[j - 1][1] else []))
            prev = (nid,)
    nodes[0] = ("target", [("label", target_label or "object"), ("fontcolor", "red")])
    return _core.dot("WhyAlive", [("node", [("shape", "box"), ("style", "filled"), ("fillcolor", "white")])],
                     nodes, [(a, b, attrs) for a, b, attrs in edges])


def write_paths(paths, filename_or_file):
    """Write ``paths_to_dot(paths)`` to a file object or a file (see the
    module docstring); the file's name, or None for a file object."""
    return _write(paths_to_dot(paths), filename_or_file)


def _temp_name(ext):
    """A fresh file name in the temporary directory (objgraph's default output)."""
    fd, name = tempfile.mkstemp(prefix="heapscope-", suffix=ext)
    os.close(fd)
    return name


def _write(text, target):
    """Write DOT text to a file object, a .dot file, or an image rendered by ``dot``."""
    if hasattr(target, "write"):
        target.write(text)
        return None
    filename = os.fspath(target)
    stem, ext = os.path.splitext(filename)
    if ext == ".dot":
        with open(filename, "w", encoding="utf-8") as f:
            f.write(text)
        return filename
    if not ext:
        raise ValueError("cannot tell the output format of %r: name it .dot, .png, .svg, .pdf, ..." % filename)
    dot = shutil.which("dot")
    if dot is None:
        dot_name = stem + ".dot"
        with open(dot_name, "w", encoding="utf-8") as f:
            f.write(text)
        print("Image renderer (dot) not found; the graph is in %s" % dot_name)
        return dot_name
    fd, tmp = tempfile.mkstemp(prefix="heapscope-", suffix=".dot")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        done = subprocess.run([dot, "-T" + ext[1:], "-o" + filename, tmp], capture_output=True, text=True)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if done.returncode != 0:
        raise RuntimeError("dot failed (exit code %d) making %s: %s"
                           % (done.returncode, filename, done.stderr.strip()))
    return filename
