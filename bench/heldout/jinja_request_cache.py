"""A Jinja2 renderer that "caches" the compiled template of every request
under the request id: templates come from strings (per-tenant overrides),
the cache key is unique per request, so every call keeps one compiled
Template (with its module code, globals and render function) forever."""
import itertools

from jinja2 import Environment

from _truth import grows

EXPECT = "leak"
CULPRIT = "Template"
CONTAINER = "RENDER_CACHE"

env = Environment()
RENDER_CACHE = {}
_ids = itertools.count(1)
SOURCE = "<h1>{{ title }}</h1><ul>{% for u in users %}<li>{{ u|title }}</li>{% endfor %}</ul>"


def handle(request_id, title, users):
    tpl = RENDER_CACHE.get(request_id)
    if tpl is None:
        tpl = RENDER_CACHE[request_id] = env.from_string(SOURCE)
    return tpl.render(title=title, users=users)


def setup():
    pass


def action():
    return handle("req-%06d" % next(_ids), "Team", ["ada", "grace"])


def truth(n):
    return grows(action, lambda: len(RENDER_CACHE), n, 1, "cached templates")
