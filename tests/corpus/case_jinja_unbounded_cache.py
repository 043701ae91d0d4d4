"""Leak: per-customer e-mail templates are loaded by name through a Jinja2
Environment created with ``cache_size=-1`` (unbounded): one compiled Template
per customer, forever."""
import itertools

from jinja2 import Environment, FunctionLoader

REQUIRES = ("jinja2",)
EXPECT = "leak"
CULPRIT = "Template"
CONTAINER = "cache"

_ids = itertools.count(1)


def load_customer_template(name):
    customer = name.split("/")[1].split(".")[0]
    source = (
        "<p>Hello {{ user.name }},</p>\n"
        "<p>your order {{ order.id }} from shop " + customer + " is on its way.</p>\n"
        "{% for item in order['items'] %}<li>{{ item }}</li>{% endfor %}"
    )
    return source, None, lambda: True


env = Environment(loader=FunctionLoader(load_customer_template), cache_size=-1, autoescape=True)


def setup():
    pass


def action():
    customer = next(_ids)
    env.get_template("email/%d.html" % customer).render(
        user={"name": "Ann"}, order={"id": customer, "items": ["pen", "book"]})


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(env.cache), action, n, 1)
