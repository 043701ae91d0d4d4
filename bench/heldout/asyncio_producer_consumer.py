"""An asyncio pipeline run to completion per call: a producer puts 50 jobs
on a bounded Queue, two consumers process them, asyncio.run() closes the
loop.  Nothing is kept but the result."""
import asyncio

from _truth import flat

EXPECT = "quiet"
RESULTS = {"last": 0}


async def producer(q, n):
    for i in range(n):
        await q.put(i)
    for _ in range(2):
        await q.put(None)


async def consumer(q, out):
    while True:
        item = await q.get()
        if item is None:
            q.task_done()
            return
        await asyncio.sleep(0)
        out.append(item * item)
        q.task_done()


async def pipeline():
    q = asyncio.Queue(maxsize=10)
    out = []
    await asyncio.gather(producer(q, 50), consumer(q, out), consumer(q, out))
    return sum(out)


def setup():
    pass


def action():
    RESULTS["last"] = asyncio.run(pipeline())


def truth(n):
    return flat(action, n)
