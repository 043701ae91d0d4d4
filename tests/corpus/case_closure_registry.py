"""Leak: an upload handler registers a cleanup closure per upload on the
"shutdown" hook (instead of "request_finished"); every closure keeps its
UploadJob and the job's chunks alive."""
EXPECT = "leak"
CULPRIT = "UploadJob"
CONTAINER = "_hooks"


class HookRegistry:
    def __init__(self):
        self._hooks = {"request_finished": [], "shutdown": []}

    def on(self, event, fn):
        self._hooks[event].append(fn)

    def fire(self, event):
        for fn in self._hooks[event]:
            fn()


class UploadJob:
    def __init__(self, name, data):
        self.name = name
        self.chunks = [data[i:i + 256] for i in range(0, len(data), 256)]
        self.done = False


HOOKS = HookRegistry()
DATA = bytes(range(256)) * 4
_calls = [0]


def upload(name, data):
    job = UploadJob(name, data)
    HOOKS.on("shutdown", lambda: job.chunks.clear())  # bug: wrong hook, never removed
    job.done = True
    HOOKS.fire("request_finished")
    return len(job.chunks)


def setup():
    pass


def action():
    _calls[0] += 1
    upload("upload-%d.bin" % _calls[0], DATA)


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(HOOKS._hooks["shutdown"]), action, n, 1)
