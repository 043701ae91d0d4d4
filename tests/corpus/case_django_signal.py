"""Leak: an order service connects a receiver per order to a Django signal with
``weak=False`` and never disconnects it; each closure keeps its OrderNotifier
(and the orders it was sent) alive in ``Signal.receivers``."""
import itertools

from django.dispatch import Signal

REQUIRES = ("django",)
EXPECT = "leak"
CULPRIT = "OrderNotifier"
CONTAINER = "receivers"

order_placed = Signal()
_order_ids = itertools.count(1000)


class OrderNotifier:
    def __init__(self, order_id, email):
        self.order_id = order_id
        self.email = email
        self.sent = []

    def notify(self, order):
        self.sent.append({"to": self.email, "subject": "Order %d confirmed" % order["id"]})


def place_order(order_id, items):
    notifier = OrderNotifier(order_id, "customer%d@example.com" % order_id)

    def on_placed(sender, order, **kwargs):
        if order["id"] == notifier.order_id:
            notifier.notify(order)

    # Bug: a strong receiver per order, never disconnected.
    order_placed.connect(on_placed, weak=False)
    order = {"id": order_id, "items": items, "total": sum(price for _, price in items)}
    order_placed.send(sender=None, order=order)
    return order["total"]


def setup():
    pass


def action():
    place_order(next(_order_ids), [("book", 12), ("pen", 2)])


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(order_placed.receivers), action, n, 1)
