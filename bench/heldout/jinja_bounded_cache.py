"""A Jinja2 mail renderer with 200 templates and the environment's own
bounded template cache (cache_size=50).  Every call renders the next three
templates: the cache is full from setup() on, so each call compiles three
templates and evicts three (Jinja's LRUCache re-appends its key tuples to a
deque); nothing accumulates."""
from jinja2 import DictLoader, Environment

from _truth import flat

EXPECT = "quiet"

TEMPLATES = {"mail_%03d.txt" % i: "Dear {{ name }}, notice %d: {%% for x in items %%}{{ x }} {%% endfor %%}" % i
             for i in range(200)}
env = Environment(loader=DictLoader(TEMPLATES), cache_size=50)
_next = [0]


def render_next():
    i = _next[0]
    _next[0] = (i + 1) % len(TEMPLATES)
    return env.get_template("mail_%03d.txt" % i).render(name="Ada", items=[1, 2, 3])


def setup():
    for _ in range(len(TEMPLATES)):
        render_next()


def action():
    out = [render_next() for _ in range(3)]
    return sum(map(len, out))


def truth(n):
    before = len(env.cache)
    ok, text = flat(action, n)
    after = len(env.cache)
    ok = ok and before == after == 50
    return ok, "env.cache %d -> %d entries (capacity %d); %s" % (before, after, env.cache.capacity, text)
