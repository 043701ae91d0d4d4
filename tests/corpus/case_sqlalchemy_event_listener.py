"""Leak: each request attaches its RequestAudit's bound method to the engine's
``before_cursor_execute`` event and never calls ``event.remove``; the
engine's listener collection keeps every audit alive."""
import itertools

from sqlalchemy import create_engine, event, text

REQUIRES = ("sqlalchemy",)
EXPECT = "leak"
CULPRIT = "RequestAudit"
CONTAINER = ("engine", "before_cursor_execute")

engine = None
_ids = itertools.count(1)


class RequestAudit:
    def __init__(self, request_id, user):
        self.request_id = request_id
        self.user = user
        self.statements = 0

    def on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1


def setup():
    global engine
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT INTO users VALUES (1, 'ann'), (2, 'bob')"))


def handle(request_id):
    audit = RequestAudit(request_id, "user-%d" % request_id)
    event.listen(engine, "before_cursor_execute", audit.on_execute)  # bug: never removed
    with engine.connect() as conn:
        return conn.execute(text("SELECT name FROM users WHERE id = :id"), {"id": 1}).scalar()


def action():
    handle(next(_ids))


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(engine.dispatch.before_cursor_execute), action, n, 1)
