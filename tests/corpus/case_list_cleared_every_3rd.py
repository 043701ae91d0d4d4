"""Not a leak: an event batcher collects events in a list and flushes it
(clear) every third call."""
EXPECT = "quiet"

_calls = [0]


class Event:
    def __init__(self, name, payload):
        self.name = name
        self.payload = payload


class EventBatcher:
    def __init__(self, size):
        self.size = size
        self.pending = []
        self.flushed = 0

    def add(self, event):
        self.pending.append(event)
        if len(self.pending) >= self.size:
            self.flushed += len(self.pending)
            self.pending.clear()


BATCHER = EventBatcher(3)


def setup():
    pass


def action():
    _calls[0] += 1
    BATCHER.add(Event("page_view", {"path": "/p/%d" % _calls[0], "ms": 12}))


def truth(n):
    lens = []
    for _ in range(max(n, 6)):
        action()
        lens.append(len(BATCHER.pending))
    return max(lens) < 3 and 0 in lens
