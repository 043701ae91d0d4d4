"""Leak: an order API keeps every validated pydantic OrderIn (with its line
items) in an in-memory audit list."""
import itertools
from typing import List

from pydantic import BaseModel

REQUIRES = ("pydantic",)
EXPECT = "leak"
CULPRIT = "OrderIn"
CONTAINER = "HISTORY"

HISTORY = []
_ids = itertools.count(1)


class LineItem(BaseModel):
    sku: str
    qty: int
    price: float


class OrderIn(BaseModel):
    order_id: int
    customer: str
    items: List[LineItem]


def create_order(payload):
    order = OrderIn.model_validate(payload)
    HISTORY.append(order)  # bug: audit trail kept in memory
    return sum(i.qty * i.price for i in order.items)


def setup():
    pass


def action():
    oid = next(_ids)
    create_order({"order_id": oid, "customer": "c-%d" % oid,
                  "items": [{"sku": "A-1", "qty": 2, "price": 9.5}, {"sku": "B-7", "qty": 1, "price": 20}]})


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(HISTORY), action, n, 1)
