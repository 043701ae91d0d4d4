"""Leak without new objects: a connection queues 4 KB frames into its outbox
bytearray, but this code path never flushes it; the bytearray keeps its
identity and grows by 4096 bytes per call."""
EXPECT = "leak"
CULPRIT = "bytearray"
CONTAINER = "_outbox"


class Connection:
    def __init__(self, peer):
        self.peer = peer
        self._outbox = bytearray()
        self.frames = 0

    def send_frame(self, payload):
        self._outbox += len(payload).to_bytes(4, "big") + payload  # bug: no flush()
        self.frames += 1

    def flush(self, sock):
        sock.sendall(self._outbox)
        del self._outbox[:]


CONN = Connection("10.0.0.7:5432")
PAYLOAD = bytes(range(256)) * 15 + bytes(252)  # 4092 bytes + 4 of header


def setup():
    pass


def action():
    CONN.send_frame(PAYLOAD)


def truth(n):
    from _ground import grows_by

    ident = id(CONN._outbox)
    return grows_by(lambda: len(CONN._outbox), action, n, 4096) and id(CONN._outbox) == ident
