"""How much garbage collection heapscope does before it looks at the heap."""
import gc

#: Default for every heapscope call that takes ``collect``: generations 0 and 1.
#: That frees the garbage a program just made at a cost proportional to the
#: young objects only.  ``collect=2`` is a full collection, as Pympler does
#: (about 100 ms per million objects); ``None`` does no collection at all.
DEFAULT_COLLECT = 1


def collect(generation=DEFAULT_COLLECT):
    """Run ``gc.collect(generation)`` unless generation is None."""
    if generation is None:
        return 0
    if generation not in (0, 1, 2):
        raise ValueError("collect must be 0, 1, 2 or None, not %r" % (generation,))
    return gc.collect(generation)
