"""A metrics helper that records each call's status code in a class-level
list that is never trimmed: ``Metrics.codes.append(200)``.  Small ints are
shared, so no new object is created; only the list grows."""
from _truth import grows

EXPECT = "leak"
CULPRIT = ("list", "int")   # nothing specific leaks: the generic type
CONTAINER = "codes"


class Metrics:
    codes = []

    @classmethod
    def record(cls, code):
        cls.codes.append(code)


def serve():
    code = 200
    Metrics.record(code)
    return code


def setup():
    pass


def action():
    return serve()


def truth(n):
    return grows(action, lambda: len(Metrics.codes), n, 1, "recorded codes")
