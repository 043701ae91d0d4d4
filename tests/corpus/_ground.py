"""Ground-truth helpers for the corpus cases, independent of heapscope.

Imported inside ``truth()`` only, after find_leaks has run."""
import gc
import tracemalloc


def traced_growth(action, n, warm=20):
    """Bytes per call that tracemalloc sees staying allocated over n calls
    (after ``warm`` calls under tracing), with a full collection before each
    measure."""
    tracemalloc.start()
    try:
        for _ in range(warm):
            action()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            action()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / n


def grows_by(size, action, n, per_call, slack=0):
    """Whether ``size()`` grows by ``per_call`` per call over n calls
    (within ``slack`` in total)."""
    before = size()
    for _ in range(n):
        action()
    return abs(size() - before - per_call * n) <= slack


def gc_objects_flat(action, n, warm=20, slack=2):
    """Whether the number of GC-tracked objects is the same (within ``slack``)
    before and after n calls, after ``warm`` calls."""
    for _ in range(warm):
        action()
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(n):
        action()
    gc.collect()
    return abs(len(gc.get_objects()) - before) <= slack
