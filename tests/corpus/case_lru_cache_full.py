"""Not a leak: a price-quote function behind ``functools.lru_cache(maxsize=128)``,
filled in setup; every call asks for a new product, so the cache evicts one
entry per call and stays at 128."""
import functools
import itertools

EXPECT = "quiet"

_products = itertools.count(128)


@functools.lru_cache(maxsize=128)
def price_quote(product_id):
    return {"product": "P-%05d" % product_id, "price": round(9.99 + product_id * 0.5, 2), "currency": "EUR"}


def setup():
    for i in range(128):
        price_quote(i)


def action():
    price_quote(next(_products))


def truth(n):
    misses = price_quote.cache_info().misses
    for _ in range(n):
        action()
    info = price_quote.cache_info()
    return info.currsize == info.maxsize == 128 and info.misses - misses == n
