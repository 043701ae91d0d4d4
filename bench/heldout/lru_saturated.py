"""A price lookup memoised with functools.lru_cache(maxsize=64).  setup()
fills the cache; every call then asks for 8 SKUs never seen before, so the
cache stays at 64 entries and evicts 8 per call (churn at capacity)."""
import functools
import itertools

from _truth import flat

EXPECT = "quiet"


class Quote:
    __slots__ = ("sku", "cents", "currency")

    def __init__(self, sku, cents, currency):
        self.sku = sku
        self.cents = cents
        self.currency = currency


@functools.lru_cache(maxsize=64)
def quote(sku):
    return Quote(sku, (hash(sku) % 10000) + 99, "EUR")


_skus = itertools.count()


def setup():
    for _ in range(200):
        quote("sku-%06d" % next(_skus))


def action():
    return sum(quote("sku-%06d" % next(_skus)).cents for _ in range(8))


def truth(n):
    before = quote.cache_info()
    ok, text = flat(action, n)
    after = quote.cache_info()
    ok = ok and after.currsize == before.currsize == 64 and after.misses > before.misses
    return ok, "cache_info currsize %d -> %d (maxsize 64), misses +%d; %s" % (
        before.currsize, after.currsize, after.misses - before.misses, text)
