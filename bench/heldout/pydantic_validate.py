"""A webhook handler validating each payload with a pydantic v2 model and
keeping only a running total: nothing is kept between calls."""
import itertools
from datetime import datetime
from typing import List, Optional

from pydantic import BaseModel, Field

from _truth import flat

EXPECT = "quiet"


class Item(BaseModel):
    sku: str
    qty: int = Field(gt=0)
    price: float


class OrderEvent(BaseModel):
    order_id: int
    customer: str
    created: datetime
    items: List[Item]
    note: Optional[str] = None


STATS = {"orders": 0, "revenue": 0.0}
_ids = itertools.count()


def handle(payload):
    ev = OrderEvent.model_validate(payload)
    STATS["orders"] += 1
    STATS["revenue"] = round(STATS["revenue"] + sum(i.qty * i.price for i in ev.items), 2) % 1e6


def setup():
    pass


def action():
    i = next(_ids)
    handle({"order_id": i, "customer": "cust-%d" % (i % 17), "created": "2026-12-07T10:00:00",
            "items": [{"sku": "A%d" % (i % 5), "qty": 1 + i % 3, "price": "9.5"}, {"sku": "B", "qty": 2, "price": 3}]})


def truth(n):
    return flat(action, n)
