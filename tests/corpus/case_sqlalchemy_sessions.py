"""Leak: a request handler opens a SQLAlchemy Session per request and parks it
in a list meant to be closed by a teardown hook that is never registered."""
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

REQUIRES = ("sqlalchemy",)
EXPECT = "leak"
CULPRIT = "Session"
CONTAINER = "_open_sessions"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    visits: Mapped[int] = mapped_column(default=0)


engine = None
_open_sessions = []  # closed "at teardown": never
_calls = [0]


def setup():
    global engine
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([User(id=i, name="user%d" % i) for i in range(1, 21)])
        s.commit()


def profile_view(user_id):
    session = Session(engine)
    _open_sessions.append(session)
    user = session.get(User, user_id)
    name = user.name
    user.visits += 1
    session.commit()
    return name


def action():
    _calls[0] += 1
    profile_view(_calls[0] % 20 + 1)


def truth(n):
    from _ground import grows_by

    return grows_by(lambda: len(_open_sessions), action, n, 1)
