"""A small Starlette app that keeps every user's requests in a history dict.

The view stores the whole ``Request`` (scope, receive channel, headers...) in
``USER_HISTORY[user]`` "for the audit page": one Request kept per call.
Requests are driven straight through the ASGI interface on one event loop.
"""
import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _truth import grows

EXPECT = "leak"
CULPRIT = "Request"
CONTAINER = "USER_HISTORY"

USER_HISTORY = {}


async def profile(request):
    user = request.path_params["user"]
    USER_HISTORY.setdefault(user, []).append(request)
    return JSONResponse({"user": user, "visits": len(USER_HISTORY[user])})


app = Starlette(routes=[Route("/users/{user}", profile)])
_loop = None
_seen = []


async def _call(path):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver"), (b"user-agent", b"bench")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message["type"])

    await app(scope, receive, send)
    return sent


def setup():
    global _loop
    _loop = asyncio.new_event_loop()


def action():
    _loop.run_until_complete(_call("/users/alice"))


def truth(n):
    return grows(action, lambda: sum(len(v) for v in USER_HISTORY.values()), n, 1, "stored requests")
