"""Leak: every login schedules its session's expiry an hour ahead with
loop.call_later; the long-lived loop keeps each TimerHandle, its bound method
and the UserSession in ``loop._scheduled``."""
import asyncio
import itertools

EXPECT = "leak"
# The TimerHandle is the first label below the accumulating heap list; the
# UserSession is what it keeps.
CULPRIT = ("UserSession", "TimerHandle")
CONTAINER = "_scheduled"

LOOP = None
_ids = itertools.count(1)


class UserSession:
    def __init__(self, user_id):
        self.user_id = user_id
        self.data = {"cart": ["sku-%d" % user_id], "csrf": "tok-%08d" % user_id}

    def expire(self):
        self.data.clear()


async def login(user_id):
    session = UserSession(user_id)
    asyncio.get_running_loop().call_later(3600, session.expire)
    await asyncio.sleep(0)
    return session.user_id


def setup():
    global LOOP
    LOOP = asyncio.new_event_loop()


def action():
    LOOP.run_until_complete(login(next(_ids)))


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(LOOP._scheduled), action, n, 1)
