"""An activity feed that keeps the 50 most recent records in a
``collections.deque(maxlen=50)``.  setup() fills it; every call appends one
new Record and the deque drops the oldest: at capacity, nothing accumulates."""
import collections
import itertools
import time

from _truth import flat

EXPECT = "quiet"


class Record:
    __slots__ = ("seq", "user", "event", "at")

    def __init__(self, seq, user, event):
        self.seq = seq
        self.user = user
        self.event = event
        self.at = time.time()


RECENT = collections.deque(maxlen=50)
_seq = itertools.count()


def log_event(user, event):
    RECENT.append(Record(next(_seq), user, event))


def setup():
    for _ in range(60):
        log_event("setup", "fill")


def action():
    log_event("ada", "login")


def truth(n):
    ok, text = flat(action, n)
    return ok and len(RECENT) == 50, "len(RECENT) = %d (maxlen 50); %s" % (len(RECENT), text)
