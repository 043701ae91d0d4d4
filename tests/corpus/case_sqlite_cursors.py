"""Not a leak: a stock query opens a cursor per call on one sqlite3
connection; the connection keeps a weak reference per cursor in a C-level
list that it prunes of dead references only every 200 cursors."""
import sqlite3

EXPECT = "quiet"
NOTE = ("lazily pruned",)

conn = None


def setup():
    global conn
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE stock (sku TEXT, qty INTEGER)")
    conn.executemany("INSERT INTO stock VALUES (?, ?)", [("sku-%d" % i, i % 17) for i in range(50)])
    conn.commit()


def action():
    cur = conn.cursor()
    cur.execute("SELECT sku, qty FROM stock WHERE qty > ?", (10,))
    rows = cur.fetchall()
    cur.close()
    return len(rows)


def truth(n):
    import gc
    import weakref

    cursors = [weakref.ref(conn.cursor()) for _ in range(n)]
    for _ in range(max(n, 420)):
        action()
    gc.collect()
    dead = all(r() is None for r in cursors)
    # The weakref lists: none past 200 entries (pruned); the cursors' one holds only
    # dead refs (3.10 also keeps a short list of live weakrefs to cached statements).
    lists = [o for o in gc.get_referents(conn) if isinstance(o, list) and o and isinstance(o[0], weakref.ref)]
    pruned = all(len(l) <= 200 for l in lists) and (
        not lists or any(all(r() is None for r in l) for l in lists))
    return dead and pruned
