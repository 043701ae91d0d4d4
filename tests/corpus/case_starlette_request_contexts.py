"""Leak: a Starlette ASGI middleware keeps a RequestContext per request in a
dict keyed by the request id and never pops it (the cleanup is in a
``finally`` that was lost in a refactoring)."""
import itertools
import warnings

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # newer Starlette: "install httpx2 instead"
    from starlette.testclient import TestClient

REQUIRES = ("starlette", "httpx")
EXPECT = "leak"
CULPRIT = "RequestContext"
CONTAINER = "CONTEXTS"

CONTEXTS = {}
_ids = itertools.count(1)


class RequestContext:
    def __init__(self, request_id, path, headers):
        self.request_id = request_id
        self.path = path
        self.headers = headers
        self.user = None


class ContextMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            rid = headers.get(b"x-request-id", b"").decode()
            CONTEXTS[rid] = RequestContext(rid, scope["path"], headers)  # bug: never popped
        await self.app(scope, receive, send)


async def item(request):
    return JSONResponse({"id": int(request.path_params["item_id"]), "name": "widget"})


app = Starlette(routes=[Route("/items/{item_id:int}", item)])
app.add_middleware(ContextMiddleware)
client = None


def setup():
    global client
    client = TestClient(app)
    client.__enter__()


def action():
    r = client.get("/items/7", headers={"x-request-id": "req-%06d" % next(_ids)})
    assert r.status_code == 200


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(CONTEXTS), action, n, 1)
