"""Slow leak: every third request fails validation and its ErrorReport is kept
in a module-level list "for the admin page", never trimmed."""
EXPECT = "leak"
CULPRIT = "ErrorReport"
CONTAINER = "ERRORS"

ERRORS = []
_calls = [0]


class ErrorReport:
    def __init__(self, exc, request):
        self.kind = type(exc).__name__
        self.message = str(exc)
        self.request = request


def handle(request):
    try:
        if request["qty"] % 3 == 0:
            raise ValueError("bad quantity %r for %s" % (request["qty"], request["sku"]))
        return {"ok": True}
    except ValueError as exc:
        ERRORS.append(ErrorReport(exc, request))
        return {"ok": False}


def setup():
    pass


def action():
    _calls[0] += 1
    handle({"sku": "A-100", "qty": _calls[0]})


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(ERRORS), action, n, 1 / 3, slack=1)
