"""An API client on one shared requests.Session that registers a response
hook per call (to audit that call) and never removes it: the session's
``hooks['response']`` list keeps one ResponseAudit per call, and every later
response runs all of them.  A local transport adapter answers (no network)."""
import itertools

import requests
from requests.adapters import BaseAdapter
from requests.models import Response

from _truth import grows

EXPECT = "leak"
CULPRIT = "ResponseAudit"
CONTAINER = "hooks"


class LocalAdapter(BaseAdapter):
    def send(self, request, **kwargs):
        r = Response()
        r.status_code = 200
        r._content = b'{"ok": true}'
        r.headers["Content-Type"] = "application/json"
        r.url = request.url
        r.request = request
        r.encoding = "utf-8"
        return r

    def close(self):
        pass


class ResponseAudit:
    def __init__(self, call_id):
        self.call_id = call_id
        self.seen = 0

    def on_response(self, response, *args, **kwargs):
        self.seen += 1
        return response


SESSION = requests.Session()
SESSION.mount("http://api.local/", LocalAdapter())
_ids = itertools.count()


def fetch_user(uid):
    audit = ResponseAudit(next(_ids))
    SESSION.hooks["response"].append(audit.on_response)
    return SESSION.get("http://api.local/users/%d" % uid).json()


def setup():
    pass


def action():
    return fetch_user(42)


def truth(n):
    return grows(action, lambda: len(SESSION.hooks["response"]), n, 1, "session response hooks")
