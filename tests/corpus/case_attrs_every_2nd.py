"""Slow leak: a sampling tracer keeps one attrs TraceSample for every second
request in a list nobody drains (0, 1, 1, 2, 2, ... new objects)."""
import attrs

REQUIRES = ("attrs",)
EXPECT = "leak"
CULPRIT = "TraceSample"
CONTAINER = "kept"


@attrs.define
class TraceSample:
    route: str
    duration_ms: float
    spans: list = attrs.Factory(list)


class Sampler:
    def __init__(self, every):
        self.every = every
        self.seen = 0
        self.kept = []

    def record(self, route, duration_ms):
        self.seen += 1
        if self.seen % self.every == 0:
            self.kept.append(TraceSample(route, duration_ms, [("db", duration_ms / 2)]))


SAMPLER = Sampler(2)


def setup():
    pass


def action():
    SAMPLER.record("/api/orders", 12.5)


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(SAMPLER.kept), action, n, 1 / 2, slack=1)
