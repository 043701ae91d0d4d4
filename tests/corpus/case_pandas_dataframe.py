"""Not a leak: a report endpoint builds a pandas DataFrame from rows, groups
and aggregates it, returns plain dicts and drops the frame."""
import pandas as pd

REQUIRES = ("pandas",)
EXPECT = "quiet"

ROWS = [{"region": ("north", "south", "east", "west")[i % 4], "amount": i * 1.5, "units": i % 7}
        for i in range(200)]


def sales_report(rows):
    df = pd.DataFrame(rows)
    summary = df.groupby("region")["amount"].agg(["sum", "mean"])
    return summary.round(2).to_dict()


def setup():
    pass


def action():
    sales_report(ROWS)


def truth(n):
    from _ground import gc_objects_flat

    # GC-tracked objects flat (tracemalloc shows a few bytes per call at
    # first, which converge: sys.getallocatedblocks stops moving after ~1000
    # calls).
    return gc_objects_flat(action, max(n, 20))
