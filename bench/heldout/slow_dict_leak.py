"""A rate limiter that records a Visit for every third request (sampling)
in ``SAMPLED_VISITS`` and never expires them: the dict gains one key every
third call, a slow leak (0, 1, 1, 1, 2, 2, 2, ... new entries)."""
import itertools

from _truth import grows

EXPECT = "leak"
CULPRIT = "Visit"
CONTAINER = "SAMPLED_VISITS"


class Visit:
    def __init__(self, n, path):
        self.n = n
        self.path = path
        self.headers = {"user-agent": "bench/%d" % n}


SAMPLED_VISITS = {}
_n = itertools.count(1)


def handle(path):
    n = next(_n)
    if n % 3 == 0:
        SAMPLED_VISITS["visit-%d" % n] = Visit(n, path)
    return len(path)


def setup():
    pass


def action():
    return handle("/api/items")


def truth(n):
    n -= n % 3  # whole periods of 3 calls: exactly n/3 new keys
    return grows(action, lambda: len(SAMPLED_VISITS), n, 1 / 3, "sampled visits")
