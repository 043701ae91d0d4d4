"""The same SQLAlchemy report done right: the identity map lives in a
session that is closed at the end of each call, only the sum is kept."""
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from _truth import flat

EXPECT = "quiet"


class Base(DeclarativeBase):
    pass


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    total_cents: Mapped[int]


engine = None
TOTALS = {"open": 0}


def setup():
    global engine
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(Invoice(customer="c%d" % i, status="open" if i % 3 == 0 else "paid", total_cents=100 * i)
                  for i in range(9))
        s.commit()


def action():
    with Session(engine) as s:
        rows = s.scalars(select(Invoice).where(Invoice.status == "open").order_by(Invoice.id)).all()
        # the identity map returns the same object for the same row within the session
        assert s.get(Invoice, rows[0].id) is rows[0]
        TOTALS["open"] = sum(o.total_cents for o in rows)


def truth(n):
    return flat(action, max(n, 400), window=200)  # sqlite3 prunes its cursor weakrefs every 200 cursors
