"""Leak without new objects: a status log appends the same small int (200,
a cached int) on every request and is never trimmed."""
EXPECT = "leak"
CULPRIT = "list"
CONTAINER = "_status_log"


class StatusLog:
    def __init__(self):
        self._status_log = []

    def record(self, status):
        self._status_log.append(status)


log = StatusLog()


def handle(path):
    status = 404 if path == "/missing" else 200
    log.record(status)
    return status


def setup():
    pass


def action():
    handle("/orders")


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(log._status_log), action, n, 1)
