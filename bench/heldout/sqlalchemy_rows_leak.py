"""An SQLAlchemy ORM report job that keeps every row it ever loaded.

Each call opens a session, loads the three open orders and appends them to
``LOADED_ORDERS`` "to compare with the next run": the session is closed, but
the detached ``Order`` instances (and their InstanceState) stay alive.
"""
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from _truth import grows

EXPECT = "leak"
CULPRIT = "Order"
CONTAINER = "LOADED_ORDERS"


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    total_cents: Mapped[int]


engine = None
LOADED_ORDERS = []


def setup():
    global engine
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(Order(customer="c%d" % i, status="open" if i % 3 == 0 else "paid", total_cents=100 * i)
                  for i in range(9))
        s.commit()


def action():
    with Session(engine) as s:
        rows = s.scalars(select(Order).where(Order.status == "open").order_by(Order.id)).all()
        LOADED_ORDERS.extend(rows)
        return sum(o.total_cents for o in rows)


def truth(n):
    return grows(action, lambda: len(LOADED_ORDERS), n, 3, "loaded orders kept")
