"""Not a leak: a router compiles a regex per (new) route prefix; the ``re``
module's pattern cache is already full from setup, so each call evicts the
oldest patterns and the cache stays at its cap."""
import itertools
import re

EXPECT = "quiet"

_prefixes = itertools.count(1)


def route_matcher(prefix):
    return re.compile(r"^/%s/(?P<id>\d+)(?:/(?P<action>[a-z]+))?/?$" % re.escape(prefix))


def setup():
    for _ in range(re._MAXCACHE + 100):
        route_matcher("tenant%d" % next(_prefixes))


def action():
    for _ in range(5):
        m = route_matcher("tenant%d" % next(_prefixes)).match("/x/1")
        assert m is None


def _sizes():
    return len(re._cache), len(getattr(re, "_cache2", ()))


def truth(n):
    before = _sizes()
    for _ in range(n):
        action()
    return _sizes() == before and before[0] <= re._MAXCACHE
