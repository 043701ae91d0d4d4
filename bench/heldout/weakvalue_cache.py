"""A document cache in a ``weakref.WeakValueDictionary``: each call opens a
few documents through the cache, uses them and drops them; the entries go
away with the documents, so the cache holds nothing between calls."""
import itertools
import weakref

from _truth import flat

EXPECT = "quiet"


class Document:
    def __init__(self, key):
        self.key = key
        self.body = "body of %s " % key * 8
        self.meta = {"words": 3 * 8}


DOC_CACHE = weakref.WeakValueDictionary()
_n = itertools.count()


def open_doc(key):
    doc = DOC_CACHE.get(key)
    if doc is None:
        doc = DOC_CACHE[key] = Document(key)
    return doc


def action():
    i = next(_n)
    docs = [open_doc("doc-%d" % (i * 4 + j)) for j in range(4)]
    again = open_doc(docs[0].key)
    assert again is docs[0]
    return sum(len(d.body) for d in docs)


def setup():
    pass


def truth(n):
    ok, text = flat(action, n)
    return ok and len(DOC_CACHE) == 0, "len(DOC_CACHE) = %d between calls; %s" % (len(DOC_CACHE), text)
