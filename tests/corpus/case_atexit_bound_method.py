"""Leak: each job registers its scratch space's cleanup with atexit; the
interpreter's atexit table (C state, no Python container) keeps every bound
method and so every ScratchSpace alive until exit."""
import atexit

EXPECT = "leak"
CULPRIT = "ScratchSpace"
# atexit keeps its callbacks in interpreter state: no container on the heap.
CONTAINER = ("atexit", "outside")

_calls = [0]


class ScratchSpace:
    def __init__(self, job_id):
        self.job_id = job_id
        self.buffers = [bytearray(256) for _ in range(4)]

    def cleanup(self):
        self.buffers.clear()


def run_job(job_id):
    scratch = ScratchSpace(job_id)
    atexit.register(scratch.cleanup)  # bug: per job, not per process
    scratch.buffers[0][:5] = b"hello"
    return job_id


def setup():
    pass


def action():
    _calls[0] += 1
    run_job(_calls[0])


def truth(n):
    from _ground import grows_by

    return grows_by(atexit._ncallbacks, action, n, 1)
