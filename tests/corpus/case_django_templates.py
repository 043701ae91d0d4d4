"""Not a leak: Django renders an invoice page (extends a base layout) through
the cached template loader; templates are compiled once and reused."""
import django
from django.conf import settings

REQUIRES = ("django",)
EXPECT = "quiet"

TEMPLATES = {
    "base.html": "<html><title>{% block title %}Shop{% endblock %}</title>"
                 "<body>{% block content %}{% endblock %}</body></html>",
    "invoice.html": "{% extends 'base.html' %}{% block title %}Invoice {{ number }}{% endblock %}"
                    "{% block content %}<table>{% for line in lines %}"
                    "<tr><td>{{ line.sku|upper }}</td><td>{{ line.qty }}</td><td>{{ line.price }}</td></tr>"
                    "{% endfor %}</table><p>Total: {{ total }}</p>{% endblock %}",
}
_calls = [0]


def setup():
    settings.configure(
        DEBUG=False,
        USE_I18N=False,
        INSTALLED_APPS=[],
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.cached.Loader",
                                     [("django.template.loaders.locmem.Loader", TEMPLATES)])]},
        }],
    )
    django.setup()


def action():
    from django.template.loader import render_to_string

    _calls[0] += 1
    lines = [{"sku": "a-%d" % i, "qty": i, "price": "%.2f" % (i * 2.5)} for i in range(5)]
    return render_to_string("invoice.html", {"number": _calls[0], "lines": lines, "total": "37.50"})


def truth(n):
    from django.template import engines

    from _ground import traced_growth

    loader = engines["django"].engine.template_loaders[0]
    cached = len(loader.get_template_cache)
    growth = traced_growth(action, max(n, 20))
    return growth < 256 and len(loader.get_template_cache) == cached
