"""Ground-truth helpers for the held-out cases, independent of heapscope.

Each case's ``truth(n)`` calls its action ``n`` more times and checks what
really happens: the length of the container it fills (``grows``), a cache's
``cache_info()``, or, for programs that should not leak, the number of
GC-tracked objects and of live objects (``flat``).
Every helper returns ``(ok, text)``.
"""
import array
import gc
import sys
import tracemalloc


def grows(action, length, n, per_call=1.0, what="entries"):
    """``length()`` must grow by ``per_call`` per call (within half an entry overall)."""
    before = length()
    for _ in range(n):
        action()
    gc.collect()
    after = length()
    want = per_call * n
    ok = abs((after - before) - want) <= max(0.5, 0.1 * want)
    return ok, "%s %d -> %d after %d calls (+%.2f/call, expected +%.2f)" % (
        what, before, after, n, (after - before) / n, per_call)


def live_objects():
    """Objects alive now: the GC-tracked ones and every object they refer to
    directly (strs, ints and other untracked objects), counted once."""
    gc.collect()
    seen = set()
    add = seen.add
    for o in gc.get_objects():
        add(id(o))
        for r in gc.get_referents(o):
            add(id(r))
    return len(seen)


def flat(action, n, window=None):
    """No sustained growth over n calls (after 10 warm-up calls).

    After every call (and a full collection) it records the GC-tracked
    objects, and for information the pymalloc blocks in use
    (``sys.getallocatedblocks()``, which also counts what freelists keep) and
    the bytes tracemalloc traces.  The largest count of GC-tracked objects over
    the last ``window`` calls (default n // 2) is compared with the largest of
    the window before (a leak of one object per call adds ``window``; a cache
    at capacity, or a list pruned every <= window calls, none), and the live
    objects, untracked ones included (``live_objects()``), are counted at the
    end of the two windows."""
    window = window or n // 2
    for _ in range(10):
        action()
    blocks = array.array("q", bytes(8 * n))  # C arrays: no int object per figure
    objs = array.array("q", bytes(8 * n))
    mem = array.array("q", bytes(8 * n))
    live = [0, 0]
    tracemalloc.start()
    try:
        for i in range(n):
            action()
            gc.collect()
            mem[i] = tracemalloc.get_traced_memory()[0]
            objs[i] = len(gc.get_objects())
            blocks[i] = sys.getallocatedblocks()
            if i == n - window - 1:
                live[0] = live_objects()
    finally:
        tracemalloc.stop()
    live[1] = live_objects()
    a, b = slice(n - 2 * window, n - window), slice(n - window, n)
    do = max(objs[b]) - max(objs[a])
    dl = live[1] - live[0]
    db = max(blocks[b]) - max(blocks[a])
    dm = max(mem[b]) - max(mem[a])
    ok = do <= 2 + 0.02 * window and dl <= 3 + 0.05 * window
    return ok, ("last %d calls vs the %d before: GC objects (peak) %+d, live objects %+d; "
                "pymalloc blocks (peak) %+d, traced %+d B" % (window, window, do, dl, db, dm))


def traced_growth(action, n):
    """Bytes per call that tracemalloc sees staying alive over n calls (2 calls after tracing starts)."""
    tracemalloc.start()
    try:
        for _ in range(2):
            action()  # the objects it replaces are traced from here on
        gc.collect()
        m0 = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            action()
        gc.collect()
        m1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (m1 - m0) / n
