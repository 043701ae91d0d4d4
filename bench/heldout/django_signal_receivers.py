"""A Django app's checkout view that connects a per-request listener to the
``order_placed`` signal with ``weak=False`` ("it got garbage collected, so
I made it strong") and never disconnects: the signal's ``receivers`` list
keeps one CartListener (through its bound method) per request."""
import itertools

import django
from django.conf import settings

if not settings.configured:
    settings.configure(DEBUG=False, USE_TZ=True, INSTALLED_APPS=[])
    django.setup()

from django.dispatch import Signal  # noqa: E402

from _truth import grows  # noqa: E402

EXPECT = "leak"
CULPRIT = "CartListener"
CONTAINER = "receivers"

order_placed = Signal()
_ids = itertools.count()


class CartListener:
    def __init__(self, cart_id):
        self.cart_id = cart_id
        self.events = []

    def on_order(self, sender, order_id, **kwargs):
        self.events.append(order_id)


def checkout(cart_id):
    listener = CartListener(cart_id)
    order_placed.connect(listener.on_order, weak=False, dispatch_uid="cart-%d" % cart_id)
    order_placed.send(sender=None, order_id=cart_id * 10)
    return len(listener.events)


def setup():
    pass


def action():
    return checkout(next(_ids))


def truth(n):
    return grows(action, lambda: len(order_placed.receivers), n, 1, "signal receivers")
