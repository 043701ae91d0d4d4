"""Not a leak: a site with more pages than Jinja2's default template cache
(an LRU of 400); the cache is full from setup and each call loads a page not
in it, evicting the least recently used one."""
import itertools

from jinja2 import DictLoader, Environment

REQUIRES = ("jinja2",)
EXPECT = "quiet"

PAGES = 440
SOURCES = {"page%d.html" % i: "<h1>{{ title }} %d</h1>{{ body }}" % i for i in range(PAGES)}
env = Environment(loader=DictLoader(SOURCES), autoescape=True)
_next = itertools.count(0)


def render(i):
    return env.get_template("page%d.html" % (i % PAGES)).render(title="Page", body="text")


def setup():
    for _ in range(400):
        render(next(_next))


def action():
    render(next(_next))


def truth(n):
    before = len(env.cache)
    for _ in range(n):
        action()
    # the mapping and its LRU queue both stay at capacity
    return before == len(env.cache) == len(env.cache._queue) == env.cache.capacity == 400
