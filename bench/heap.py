"""The synthetic heap of the Pympler baseline (shared/reference/pympler.md, section 5).

The heap is made of 6-object units:

    n = <a fresh int >= 10**9>          int    (untracked)
    s = <a fresh str>                   str    (untracked)
    o = Small(n, s)                     Small  (GC-tracked; 2 attributes, inline values)
    d = {'k': n}                        dict   (untracked: its only value is an int)
    l = [s, n]                          list   (GC-tracked)
    t = (n, s)                          tuple  (untracked by the first collection)

``build(n)`` returns one flat list ``[o, d, l, t, s, n, o, d, ...]`` holding
n // 6 units (n objects).  The caller keeps it in a module-level variable, so
the live heap is the interpreter's own ~30k objects plus exactly n objects, of
which only the instances and the lists (about a third) are GC-tracked once a
collection has untracked the tuples.

Every str and int is distinct and freshly allocated: the ints start at 10**9
(far from the small-int cache) and the strs are built by formatting, so none
is interned or shared.  Values keep increasing across calls, so a second
``build`` (the "+10k objects" of the tracker scenario) never reuses a value.
"""
import gc

__all__ = ["Small", "build", "UNIT"]

#: Objects per unit.
UNIT = 6

_BASE = 10**9
_next = 0  # first value of the next build()


class Small:
    """A plain 2-attribute instance (3.11: values inline, no __dict__ object)."""

    def __init__(self, a, b):
        self.a = a
        self.b = b


def build(n):
    """Return a flat list holding n // 6 units of the synthetic heap (n objects).

    The collector is paused while building (so building 3M objects does not
    run hundreds of collections); the caller should gc.collect() afterwards if
    it wants the tuples untracked right away.
    """
    global _next
    units = n // UNIT
    start = _next
    _next += units
    out = []
    append = out.extend
    was = gc.isenabled()
    gc.disable()
    try:
        for i in range(start, start + units):
            num = _BASE + i          # a new int object (not cached)
            s = "u%d" % i            # a new, non-interned str
            append((Small(num, s), {"k": num}, [s, num], (num, s), s, num))
    finally:
        if was:
            gc.enable()
    return out


def parse_size(text):
    """'100k' -> 100000, '1M' -> 1000000, '2.5M' -> 2500000, '50000' -> 50000."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1000000, t[:-1]
    value = float(t) * mult
    if value <= 0 or value != int(value):
        raise ValueError("bad size %r" % text)
    return int(value)


if __name__ == "__main__":
    # Self-check: object counts and GC tracking of one small heap.
    import sys

    n = parse_size(sys.argv[1]) if len(sys.argv) > 1 else 60000
    before = len(gc.get_objects())
    HEAP = build(n)
    gc.collect()
    kinds = {}
    for o in HEAP:
        k = type(o).__name__
        tracked, total = kinds.get(k, (0, 0))
        kinds[k] = (tracked + gc.is_tracked(o), total + 1)
    for k, (tracked, total) in sorted(kinds.items()):
        print("%-6s %8d objects, %8d GC-tracked" % (k, total, tracked))
    print("GC-tracked objects: %d before, %d after" % (before, len(gc.get_objects())))
