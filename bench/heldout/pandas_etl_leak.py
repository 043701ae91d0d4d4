"""A pandas ETL step that keeps each intermediate frame "for debugging":
every call cleans, enriches and aggregates a batch and appends the
intermediate DataFrames to ``DEBUG_FRAMES``."""
import numpy as np
import pandas as pd

from _truth import grows

EXPECT = "leak"
CULPRIT = "DataFrame"
CONTAINER = "DEBUG_FRAMES"

DEBUG_FRAMES = []
_rng = np.random.default_rng(7)


def etl_step(batch):
    raw = pd.DataFrame({"store": batch % 5, "qty": batch % 7 + 1, "price": batch * 0.25})
    clean = raw[raw.qty > 1]
    enriched = clean.assign(revenue=clean.qty * clean.price)
    DEBUG_FRAMES.append(enriched)
    return enriched.groupby("store")["revenue"].sum()


def setup():
    pass


def action():
    return etl_step(_rng.integers(0, 1000, size=200)).sum()


def truth(n):
    return grows(action, lambda: len(DEBUG_FRAMES), n, 1, "kept frames")
