"""A report writer that appends each call's 1 KB status block to one
module-level string, ``JOURNAL_TEXT += block``: no new object survives a
call (the string is replaced, or resized in place), but it grows by 1 KB
per call."""
import itertools

from _truth import grows, traced_growth

EXPECT = "leak"
CULPRIT = "str"
CONTAINER = "JOURNAL_TEXT"

JOURNAL_TEXT = ""
_n = itertools.count()


def write_status():
    global JOURNAL_TEXT
    i = next(_n)
    block = ("status %08d: " % i).ljust(1023, ".") + "\n"
    JOURNAL_TEXT += block


def setup():
    pass


def action():
    write_status()


def truth(n):
    ok, text = grows(action, lambda: len(JOURNAL_TEXT), n, 1024, "characters")
    per = traced_growth(action, n)
    return ok and 900 < per < 1200, "%s; tracemalloc +%.0f B/call" % (text, per)
