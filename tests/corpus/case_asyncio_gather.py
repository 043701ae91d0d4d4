"""Not a leak: a worker runs a small batch of coroutines with asyncio.run and
gather per call; every task finishes and the loop is closed."""
import asyncio
import weakref

EXPECT = "quiet"


async def fetch(i):
    await asyncio.sleep(0)
    return {"id": i, "ok": True}


async def batch(track=None):
    tasks = [asyncio.ensure_future(fetch(i)) for i in range(5)]
    if track is not None:
        track.extend(weakref.ref(t) for t in tasks)
        track.append(weakref.ref(asyncio.get_running_loop()))
    results = await asyncio.gather(*tasks)
    return sum(r["ok"] for r in results)


def setup():
    pass


def action():
    assert asyncio.run(batch()) == 5


def truth(n):
    import gc

    from _ground import gc_objects_flat

    track = []
    for _ in range(n):
        asyncio.run(batch(track))
    gc.collect()
    # Every task and every loop is gone, and the GC-tracked heap is flat
    # (tracemalloc shows a few bytes per call that converge: its own tables).
    return all(r() is None for r in track) and gc_objects_flat(action, max(n, 20))
