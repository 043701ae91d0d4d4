"""Leak: the checkout code "configures logging" on every call, adding one more
StreamHandler (with its Formatter and lock) to the same logger each time."""
import logging
import os

EXPECT = "leak"
CULPRIT = "StreamHandler"
CONTAINER = "handlers"

log = logging.getLogger("shop.checkout")
_SINK = open(os.devnull, "w")
_carts = [0]


def checkout(cart_id):
    handler = logging.StreamHandler(_SINK)  # bug: one more handler per call
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.info("checkout of cart %s", cart_id)
    return cart_id


def setup():
    log.propagate = False


def action():
    _carts[0] += 1
    checkout("cart-%d" % _carts[0])


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(log.handlers), action, n, 1)
