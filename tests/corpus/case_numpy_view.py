"""Leak of native memory: a signal pipeline keeps a 16-sample preview (a view)
of each 400 KB frame; the view's base is held only by numpy's C struct, so
each 112-byte view pins 400 KB."""
import numpy as np

REQUIRES = ("numpy",)
EXPECT = "leak"
CULPRIT = "ndarray"
CONTAINER = "PREVIEWS"
NATIVE = 400_000  # bytes per repetition the allocator sees and no object accounts for (the base)

PREVIEWS = []
_calls = [0]


def process_frame(i):
    frame = np.linspace(0.0, float(i), 50_000)  # 400 KB of float64
    frame *= 0.5
    PREVIEWS.append(frame[:16])  # bug: a view keeps the whole frame
    return float(frame.mean())


def setup():
    pass


def action():
    _calls[0] += 1
    process_frame(_calls[0])


def truth(n):
    from _ground import traced_growth

    before = len(PREVIEWS)
    per_call = traced_growth(action, n, warm=0)
    return len(PREVIEWS) - before == n and per_call > 0.9 * 400_000
