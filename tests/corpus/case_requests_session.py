"""Not a leak: a client polls a stock endpoint through one reused
requests.Session (with a response hook); a custom transport adapter answers
locally, no network."""
import json

import requests
from requests.adapters import BaseAdapter

REQUIRES = ("requests",)
EXPECT = "quiet"


class LocalAdapter(BaseAdapter):
    """Answers every request from memory, as a test double of the service."""

    def send(self, request, **kwargs):
        resp = requests.Response()
        resp.status_code = 200
        resp._content = json.dumps({"sku": "A-100", "qty": 12}).encode()
        resp.headers["Content-Type"] = "application/json"
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        resp.reason = "OK"
        return resp

    def close(self):
        pass


def check_status(response, *args, **kwargs):
    response.raise_for_status()


SESSION = requests.Session()
SESSION.mount("http://inventory.local/", LocalAdapter())
SESSION.hooks["response"].append(check_status)
SESSION.headers["Authorization"] = "Bearer token-123"


def setup():
    pass


def action():
    r = SESSION.get("http://inventory.local/api/stock", params={"sku": "A-100"}, timeout=5)
    return r.json()["qty"]


def truth(n):
    from _ground import traced_growth

    adapters = len(SESSION.adapters)
    growth = traced_growth(action, max(n, 20))
    return growth < 64 and len(SESSION.adapters) == adapters and len(SESSION.cookies) == 0
