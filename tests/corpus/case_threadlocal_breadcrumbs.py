"""Leak: an error reporter keeps breadcrumbs in a threading.local that is meant
to be reset at the end of each request; the worker thread (here the main
thread) lives forever, so its list grows."""
import threading

EXPECT = "leak"
CULPRIT = "Breadcrumb"
CONTAINER = "breadcrumbs"

_ctx = threading.local()
_calls = [0]


class Breadcrumb:
    def __init__(self, category, message, data):
        self.category = category
        self.message = message
        self.data = data


def handle(request_id):
    crumbs = getattr(_ctx, "breadcrumbs", None)
    if crumbs is None:
        crumbs = _ctx.breadcrumbs = []
    crumbs.append(Breadcrumb("http", "GET /orders/%d" % request_id, {"status": 200}))
    return len(crumbs)


def setup():
    pass


def action():
    _calls[0] += 1
    handle(_calls[0])


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(_ctx.breadcrumbs), action, n, 1)
