"""The same pandas ETL step without the debug list: intermediate frames die
at the end of each call, only the running totals (a fixed 5-row Series) stay."""
import numpy as np
import pandas as pd

from _truth import flat

EXPECT = "quiet"

_rng = np.random.default_rng(7)
STATE = {"totals": pd.Series(0.0, index=range(5))}


def etl_step(batch):
    raw = pd.DataFrame({"store": batch % 5, "qty": batch % 7 + 1, "price": batch * 0.25})
    clean = raw[raw.qty > 1]
    enriched = clean.assign(revenue=clean.qty * clean.price)
    return enriched.groupby("store")["revenue"].sum()


def setup():
    pass


def action():
    by_store = etl_step(_rng.integers(0, 1000, size=200))
    STATE["totals"] = STATE["totals"].add(by_store, fill_value=0.0)


def truth(n):
    return flat(action, n)
