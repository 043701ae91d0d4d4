"""Subcommands over heap files (``Snapshot.save``): ``summary``, ``diff``,
``top`` and ``why``.  Each reads its files with ``heapscope.load`` and prints
what the loaded Snapshot answers; a file that cannot be read is a one-line
error and exit status 1.
"""
import sys
import time

from heapscope.heapfile import HeapFileError, load
from heapscope.summary import _pp

__all__ = ["add_summary", "add_diff", "add_top", "add_why"]


def _address(text):
    """argparse type: an address, 0x-prefixed hex or decimal."""
    import argparse

    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("not an address: %r (expected e.g. 0x7f3a5c2b1e40)" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("not an address: %r" % text)
    return value


def int_at_least(minimum):
    """argparse type: an int of at least ``minimum``."""
    import argparse

    def parse(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError("must be at least %d, not %d" % (minimum, value))
        return value

    parse.__name__ = "int"  # argparse: "invalid int value: 'x'"
    return parse


_nonneg = int_at_least(0)


def _load(path):
    """The snapshot at path, or None after printing why not."""
    try:
        return load(path)
    except (HeapFileError, OSError) as e:
        print("heapscope: error: %s" % e, file=sys.stderr)
        return None


def _describe(path, snap):
    graph = "no graph"
    if snap.nedges is not None:
        graph = "graph: %d references, %d roots%s" % (
            snap.nedges, len(snap.roots), ", named" if snap.has_names else "")
    return "%s: %d objects, %s, Python %s, taken %s; %s" % (
        path, len(snap), _pp(snap.total_size), snap.python_version,
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.created)), graph)


def _needs_graph(path, snap):
    if snap.nedges is None:
        print("heapscope: error: %s has no graph: save a heapscope.snapshot(graph=True)" % path, file=sys.stderr)
        return False
    return True


# ---- summary FILE ------------------------------------------------------------------

def add_summary(subparsers):
    p = subparsers.add_parser("summary", help="the summary of a heap file",
                              description="Print the per-label summary (Pympler's table) of a heap file.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--limit", type=_nonneg, default=15, metavar="N", help="rows to print (default: 15)")
    p.add_argument("--detail", action="store_true", help="detailed labels (dict of Cls, method (Cls.m), ...)")
    p.set_defaults(run=_run_summary)


def _run_summary(args):
    snap = _load(args.file)
    if snap is None:
        return 1
    print(_describe(args.file, snap))
    snap.print(limit=args.limit, detail=args.detail, file=sys.stdout)
    return 0


# ---- diff OLD NEW ----------------------------------------------------------------

def add_diff(subparsers):
    p = subparsers.add_parser("diff", help="what changed between two heap files",
                              description="Per-label deltas from OLD to NEW (Pympler's table) and the objects "
                                          "of NEW that were not in OLD.")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--limit", type=_nonneg, default=15, metavar="N", help="rows to print (default: 15)")
    p.add_argument("--detail", action="store_true", help="detailed labels")
    p.set_defaults(run=_run_diff)


def _run_diff(args):
    old = _load(args.old)
    new = old and _load(args.new)
    if new is None:
        return 1
    d = new.diff(old)
    print("old " + _describe(args.old, old))
    print("new " + _describe(args.new, new))
    d.print(limit=args.limit, detail=args.detail, file=sys.stdout)
    print("new objects: %d, %s" % (d.new_count, _pp(d.new_size)))
    for label, detail, count, size in d.new_rows()[: args.limit]:
        print("  %10d  %10s  %s" % (count, _pp(size), detail))
    return 0


# ---- top FILE ----------------------------------------------------------------------

def add_top(subparsers):
    p = subparsers.add_parser("top", help="the objects of a heap file that retain the most",
                              description="The largest retained sizes (bytes freed with the object) of a "
                                          "heap file saved with a graph.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-n", type=_nonneg, default=10, metavar="N", help="objects to list (default: 10)")
    p.set_defaults(run=_run_top)


def _run_top(args):
    snap = _load(args.file)
    if snap is None:
        return 1
    if not _needs_graph(args.file, snap):
        return 1
    print(_describe(args.file, snap))
    print("%12s  %10s  %-18s  %s" % ("retained", "size", "address", "object"))
    reprs = snap.reprs
    for label, detail, retained, size, address in snap.top_retainers(args.n):
        line = "%12s  %10s  %-18s  %s" % (_pp(retained), _pp(size), "0x%x" % address, detail)
        if address in reprs:
            line += "  " + reprs[address]
        print(line)
    return 0


# ---- why FILE 0xADDRESS -------------------------------------------------------------

def add_why(subparsers):
    p = subparsers.add_parser("why", help="why an object of a heap file was alive",
                              description="The shortest chains of references from the roots to the object at "
                                          "ADDRESS in a heap file saved with a graph (edge names need "
                                          "heapscope.snapshot(graph=True, names=True)).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("address", type=_address, metavar="ADDRESS", help="the object's address, e.g. 0x7f3a5c2b1e40")
    p.add_argument("--max-paths", type=int, default=3, metavar="N", help="paths to print (default: 3)")
    p.set_defaults(run=_run_why)


def _run_why(args):
    from heapscope.paths import Path

    snap = _load(args.file)
    if snap is None:
        return 1
    if not _needs_graph(args.file, snap):
        return 1
    try:
        paths = [Path.stored(*p) for p in snap.why_alive(args.address, args.max_paths)]
        retained = snap.retained_size(args.address)
    except ValueError as e:
        print("heapscope: error: %s" % e, file=sys.stderr)
        return 1
    r = snap.repr_at(args.address)
    print("0x%x: retains %s%s" % (args.address, _pp(retained), ("; " + r) if r else ""))
    if not paths:
        print("  nothing on the heap referred to it")
    for p in paths:
        print("  " + str(p))
    return 0


# ---- export FILE --------------------------------------------------------------------

def add_export(subparsers):
    p = subparsers.add_parser("export", help="convert a heap file for other tools",
                              description="Write a heap file as a Chrome DevTools .heapsnapshot (open it in "
                                          "Chrome's Memory tab: retainers and retained sizes; needs a graph) "
                                          "and/or as JSON lines, one object a line, for scripts.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--devtools", metavar="OUT.heapsnapshot", help="write the Chrome DevTools heap snapshot")
    p.add_argument("--jsonl", metavar="OUT.jsonl", help="write JSON lines")
    p.set_defaults(run=_run_export, parser=p)


def _run_export(args):
    if not args.devtools and not args.jsonl:
        args.parser.error("give --devtools OUT.heapsnapshot and/or --jsonl OUT.jsonl")
    snap = _load(args.file)
    if snap is None:
        return 1
    if args.devtools and not _needs_graph(args.file, snap):
        return 1
    try:
        if args.devtools:
            snap.export_devtools(args.devtools)
            print("heapscope: wrote %s" % args.devtools, file=sys.stderr)
        if args.jsonl:
            snap.export_jsonl(args.jsonl)
            print("heapscope: wrote %s" % args.jsonl, file=sys.stderr)
    except (OSError, ValueError) as e:
        print("heapscope: error: %s" % e, file=sys.stderr)
        return 1
    return 0
