"""``why_alive``: the chains of references that keep an object alive.

One heap walk builds the reference graph (C: ``csrc/graph.c``) with its
roots: modules in ``sys.modules``, locals of frames running on every thread,
and objects held from outside the Python heap.  A breadth-first search over
the reverse edges (``csrc/paths.c``) finds the shortest chains from roots to
the object; each step is then named by looking at the two objects only (a
dict key, an index, an attribute, a closure cell...), never materializing an
instance ``__dict__``.  A ``Path`` keeps only its text, no objects.
"""
from heapscope import _core

__all__ = ["why_alive", "retained_size", "Path", "Retainer"]


def _short(obj):
    """A short name for an object on a path (never raises: objects can be hostile)."""
    try:
        tp = type(obj)
        if tp.__name__ == "method" and hasattr(obj, "__func__"):
            return "method %s" % obj.__func__.__name__
        if tp.__name__ == "function":
            return "function %s" % obj.__qualname__
        if tp.__name__ == "module":
            return "module %s" % obj.__name__
        if tp.__name__ == "cell":
            return "cell"
        if isinstance(obj, type):
            return "class %s" % type.__dict__["__qualname__"].__get__(obj)
        return type.__dict__["__qualname__"].__get__(tp)
    except Exception:  # noqa: BLE001 -- hostile __getattr__, metaclasses and friends
        return _core.label(obj)


def _key(k):
    """repr of a dict key, cut to 60 characters; never raises."""
    try:
        r = repr(k)
    except Exception as e:  # noqa: BLE001 -- any __repr__ may raise anything
        return "<%s key; repr() raised %s>" % (type(k).__name__, type(e).__name__)
    return r if len(r) <= 60 else r[:57] + "..."


def _edge(e):
    kind, what = e
    if kind == "attr":
        return "." + what
    if kind == "key":
        return "[%s]" % _key(what)
    if kind == "index":
        return "[%d]" % what
    return what


def _plain_key(text):
    """Whether a stored edge name is a whole str key without escapes (``['name']``),
    so that ``.__dict__['name']`` reads ``.name`` as it does for live paths."""
    inner = text[2:-2]
    return (len(text) > 4 and text.startswith("['") and text.endswith("']")
            and "\\" not in inner and "'" not in inner)


class Path:
    """One chain of references from a root to an object.

    kind  -- ``"module"``, ``"frame"`` or ``"outside"`` (held by C code or
             interpreter state, with no module or frame retaining it)
    root  -- the root: ``sys.modules['pkg.mod']``, ``thread 0, f(), local x``,
             ``held outside the Python heap (1 reference)``
    steps -- [(object name, how it refers to the next one)], root first
    """

    __slots__ = ("kind", "root", "steps", "refs")

    def __init__(self, kind, root, objs, edges):
        self.kind = kind
        self.root = root
        self.refs = len(edges)
        steps = []
        i = 0
        while i < len(objs):
            name = _short(objs[i])
            edge = _edge(edges[i]) if i < len(edges) else ""
            # obj.__dict__['name'] reads obj.name: skip the dict (never materialized here)
            if (edge == ".__dict__" and i + 1 < len(edges) and edges[i + 1][0] == "key"
                    and isinstance(edges[i + 1][1], str)):
                edge = "." + edges[i + 1][1]
                i += 1
            steps.append((name, edge))
            i += 1
        self.steps = steps

    @classmethod
    def stored(cls, kind, root, nodes, edges):
        """A Path from a snapshot's stored graph (heap files): nodes are
        (detailed label, address), edges the stored names (None: unnamed)."""
        self = cls.__new__(cls)
        self.kind = kind
        self.root = root
        self.refs = len(edges)
        names = [label for label, _ in nodes]
        texts = ["[?]" if e is None else e for e in edges]  # an unnamed reference
        steps = []
        i = 0
        while i < len(names):
            name = names[i]
            edge = texts[i] if i < len(texts) else ""
            # obj.__dict__['name'] reads obj.name, as for live paths
            if edge == ".__dict__" and i + 1 < len(texts) and _plain_key(texts[i + 1]):
                edge = "." + texts[i + 1][2:-2]
                i += 1
            steps.append((name, edge))
            i += 1
        self.steps = steps
        return self

    def __len__(self):
        """References from the root to the object (a collapsed ``.name`` step
        through a ``__dict__`` is two)."""
        return self.refs

    def __str__(self):
        parts = []
        for i, (name, edge) in enumerate(self.steps):
            if i == 0 and self.kind == "module":
                parts.append(self.root + edge)
            elif i == 0:
                parts.append("%s: %s%s" % (self.root, name, edge))
            else:
                parts.append(name + edge)
        return " -> ".join(parts)

    def __repr__(self):
        return "<Path %s>" % self


def why_alive(obj, max_paths=3, snap=None):
    """The shortest chains of references keeping ``obj`` alive, shortest first:
    a list of Path (empty when nothing on the Python heap refers to it).

    snap -- a ``heapscope.snapshot(graph=True)`` to search instead of walking
            the heap again; its paths are checked against the live heap, and
            a fresh walk answers when they no longer hold.  A loaded one
            (``heapscope.load``) takes the object's address instead, and
            answers from its stored graph and edge names only

    With ``max_paths=1`` and no snapshot, the one shortest path from a
    module or frame root is found by a forward search from the roots,
    without building the reference graph (``csrc/pathfind.c``: about a
    third of the time and a tenth of the memory); the graph is built only
    when no module or frame root reaches the object.
    """
    if snap is not None and snap.loaded:
        return [Path.stored(*p) for p in snap.why_alive(obj, max_paths)]
    if snap is not None:
        return [Path(*p) for p in snap.why_alive(obj, max_paths)]
    return [Path(*p) for p in _core.why_alive((obj,), max_paths)[0]]


def retained_size(obj):
    """Bytes freed if ``obj`` went away: its own size and the sizes of every
    object that only it keeps alive (``sys.getsizeof`` sizes), or None when
    ``obj`` is not on the Python heap (heapscope's own objects).

    Only what ``obj`` reaches is examined (``csrc/retain.c``): an object it
    reaches that also has a reference from anywhere else (a module, a frame's
    variable, another object, a C extension) is kept alive without it, with
    everything that object reaches.  No snapshot or graph of the heap is
    built; ``Snapshot.retained_size`` gives the same figure from a graph
    snapshot, and ``top_retainers`` ranks every object.
    """
    return _core.retained_size(obj)


class Retainer:
    """One of ``Snapshot.top_retainers(n, paths=k)``: an object of the
    snapshot with a large retained size, and why it is alive.

    label, detail -- its label and detailed label
    retained      -- bytes freed with it (its dominator subtree)
    size          -- its own size (``sys.getsizeof``)
    address       -- its address when the snapshot was taken (a number only)
    paths         -- up to k shortest Paths from roots to it ([] when none is
                     found, e.g. it is no longer alive)
    path          -- the shortest of them, or None

    Paths come from the snapshot's graph, checked against the live heap
    (followed forward from live module roots); objects whose stored paths no
    longer hold, or start at a frame or outside root, are found again by one
    fresh walk as the live object at the same address with the same type.
    """

    __slots__ = ("label", "detail", "retained", "size", "address", "paths")

    def __init__(self, label, detail, retained, size, address, raw):
        self.label = label
        self.detail = detail
        self.retained = retained
        self.size = size
        self.address = address
        self.paths = [Path(*p) for p in raw] if raw else []

    @property
    def path(self):
        return self.paths[0] if self.paths else None

    def __iter__(self):
        """The tuple of ``top_retainers(n)``: (label, detail, retained, size, address)."""
        return iter((self.label, self.detail, self.retained, self.size, self.address))

    def __repr__(self):
        return "<Retainer %s retains %d bytes (%d own) via %s>" % (
            self.detail, self.retained, self.size, self.path if self.paths else "no path")


def _retainers(rows):
    """Snapshot.top_retainers(paths=k) rows (label, detail, retained, size, address, raw paths) as Retainers."""
    return [Retainer(*row) for row in rows]


def _paths_of(objs, max_paths=1):
    """why_alive for several objects with one heap walk:
    [(raw paths (kind, root, objects, edges), retained size)]."""
    return _core.why_alive(objs, max_paths, True)


for _f in (why_alive, retained_size, _paths_of):
    _core.hide_frames(_f.__code__)
