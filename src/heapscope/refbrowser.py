"""Drop-in for Pympler's ``pympler.refbrowser``: trees of referrers.

``RefBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True,
stream=None)``, ``get_tree()`` (a ``_Node`` tree: ``.o``, ``.children``,
``str()``), ``StreamBrowser.print_tree(tree=None)``,
``ConsoleBrowser.print_tree()`` and ``FileBrowser.print_tree(filename,
tree=None)`` print Pympler's tree text byte for byte.

Where Pympler calls ``gc.get_referrers`` once per node (a scan of every
tracked object each time), heapscope finds every referrer of the whole tree
with one heap walk (C: ``csrc/refsearch.c``): a breadth-first search over the
reverse edges of a fresh reference graph, ``maxdepth`` levels deep, that takes
strong references to the objects it reaches while their addresses are valid.
Children are listed in the order ``gc.get_referrers`` gives them.

Where heapscope differs from Pympler, on purpose:

- heapscope's own objects never appear: not the browser, not the tree being
  built, not the frames running ``get_tree`` or the lists holding referrers.
  Pympler lists its own browser instance (3.11+), its ``_get_tree`` frames and
  the lists of referrers it is iterating among the referrers of the root.
- Containers the GC does not track (a dict or tuple holding only atomic
  objects: str, int, float, ...) are referrers too, listed after the tracked
  ones; ``gc.get_referrers`` never returns them, so Pympler does not show them.
  Likewise objects frozen with ``gc.freeze()`` are referrers (after the
  tracked ones); Pympler misses them.
- Frames still running on a thread are not referrers (their locals are roots
  of the heap, not objects on it); on 3.9/3.10 Pympler lists the caller's
  frames.
- ``repeat=False``: "already included" is per ``get_tree`` call; Pympler keeps
  the ids of earlier trees, so its second tree marks everything as included.
- The printer counts levels, not the ``+`` and ``|`` characters of the lines
  printed so far (Pympler's count goes wrong when a label holds them).

``InteractiveBrowser`` (Pympler's Tk GUI) is not offered: constructing it
raises ``NotImplementedError`` naming the alternatives.
"""
import sys

from heapscope import _core
from heapscope.summary import _repr

__all__ = ["RefBrowser", "StreamBrowser", "ConsoleBrowser", "FileBrowser", "InteractiveBrowser",
           "gui_default_str_function"]


class _Node:
    """A node of a referrers tree: the object ``o`` and its ``children``
    (other nodes, or strings for objects already included)."""

    __slots__ = ("o", "children", "str_func")

    def __init__(self, o, str_func=None):
        self.o = o
        self.children = []
        self.str_func = str_func

    def __str__(self):
        if self.str_func is not None:
            return self.str_func(self.o)
        return str(self.o)


class RefBrowser:
    """Tree of the referrers of ``rootobject``, ``maxdepth`` levels deep.

    maxdepth -- levels below the root
    str_func -- label of a node (default: Pympler's ``summary._repr``)
    repeat   -- whether an object may appear several times in one tree; if
                not, its later appearances are "<label> (already included, id N)"
    stream   -- where the subclasses print
    """

    __slots__ = ("root", "maxdepth", "str_func", "repeat", "stream", "__weakref__", "__dict__")

    def __init__(self, rootobject, maxdepth=3, str_func=_repr, repeat=True, stream=None):
        self.root = rootobject
        self.maxdepth = maxdepth
        self.str_func = str_func
        self.repeat = repeat
        self.stream = stream

    def get_tree(self):
        """The tree of referrers of the root object (a ``_Node``)."""
        maxdepth = self.maxdepth
        if not isinstance(maxdepth, int) or maxdepth < 0:
            raise ValueError("maxdepth must be an int >= 0, not %r" % (maxdepth,))
        # One walk: every referrer within maxdepth levels, held strongly.
        objs, adj = _core.neighbourhood((self.root,), maxdepth, True, (id(self),))
        return self._build(objs, adj, maxdepth)

    def _build(self, objs, adj, maxdepth):
        """Pympler's depth-first construction over the referrer lists found."""
        str_func, repeat = self.str_func, self.repeat
        included = set()
        root = _Node(objs[0], str_func)
        included.add(id(objs[0]))
        # explicit stack of (node, position, levels left, next child index)
        stack = [(root, 0, maxdepth)]
        while stack:
            node, p, left = stack.pop()
            if left == 0 or adj[p] is None:
                continue
            pending = []
            for q in adj[p]:
                o = objs[q]
                if not repeat and id(o) in included:
                    node.children.append("%s (already included, id %s)" % (str_func(o), id(o)))
                    continue
                child = _Node(o, str_func)
                included.add(id(o))
                node.children.append(child)
                pending.append((child, q, left - 1))
                if not repeat:
                    # Pympler builds each subtree before looking at the next
                    # referrer: ids met in it count as included for the rest.
                    self._fill(child, q, left - 1, objs, adj, included)
                    pending.pop()
            stack.extend(reversed(pending))
        return root

    def _fill(self, node, p, left, objs, adj, included):
        """Depth-first fill of one subtree (repeat=False), iteratively."""
        str_func = self.str_func
        stack = [(node, p, left, 0)]
        while stack:
            node, p, left, i = stack.pop()
            kids = adj[p] if left > 0 else None
            if kids is None or i >= len(kids):
                continue
            stack.append((node, p, left, i + 1))
            q = kids[i]
            o = objs[q]
            if id(o) in included:
                node.children.append("%s (already included, id %s)" % (str_func(o), id(o)))
                continue
            child = _Node(o, str_func)
            included.add(id(o))
            node.children.append(child)
            stack.append((child, q, left - 1, 0))


class StreamBrowser(RefBrowser):
    """Prints the tree to ``stream`` in Pympler's text format.

    The class attributes ``hline``, ``vline``, ``cross`` and ``space`` draw it.
    """

    hline = "-"
    vline = "|"
    cross = "+"
    space = " "

    def print_tree(self, tree=None):
        """Print ``tree``, or the tree of the root object."""
        if tree is None:
            tree = self.get_tree()
        self._print(tree, "", "", 0)

    def _print(self, tree, prefix, carryon, level):
        # Pympler's layout: the first child continues the parent's line, the
        # others start at the parent's column under a "+-"; a line of "|"s
        # closes a parent's last branch.  Depth is at most maxdepth.
        write = self.stream.write
        text = str(tree)
        children = tree.children if isinstance(tree, _Node) else []
        prefix += text
        carryon += self.space * len(text)
        if level == self.maxdepth or not children:
            write(prefix + "\n")
            return
        prefix += self.hline
        carryon += self.space
        if len(children) > 1:
            prefix += self.cross
            carryon += self.vline
        prefix += self.hline
        carryon += self.space
        self._print(children[0], prefix, carryon, level + 1)
        last = len(children) - 1
        for b in range(1, len(children)):
            prefix = carryon[:-2] + self.cross + self.hline
            if b == last:
                carryon = carryon[:-2] + 2 * self.space
            self._print(children[b], prefix, carryon, level + 1)
            if b == last:
                if len(carryon.strip(" ")) == 0:
                    return
                write(carryon[:-2].rstrip() + "\n")


class ConsoleBrowser(StreamBrowser):
    """Prints the tree to ``sys.stdout`` (or ``stream``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.stream:
            self.stream = sys.stdout


class FileBrowser(StreamBrowser):
    """Prints the tree to a file."""

    def print_tree(self, filename, tree=None):
        """Write ``tree``, or the tree of the root object, to ``filename``."""
        if tree is None:
            tree = self.get_tree()  # before the file exists: it is not a referrer
        old = self.stream
        try:
            with open(filename, "w") as self.stream:
                super().print_tree(tree=tree)
        finally:
            self.stream = old


def gui_default_str_function(o):
    """Pympler's label for the GUI browser: the default label and the id."""
    return _repr(o) + "(id=%s)" % id(o)


class InteractiveBrowser:
    """Pympler's Tk referrers browser is not part of heapscope."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "heapscope.refbrowser has no GUI browser: use ConsoleBrowser or FileBrowser "
            "(same trees), or pympler.refbrowser.InteractiveBrowser"
        )


for _cls in (_Node, RefBrowser):
    _core.own_type(_cls)  # instances (and subclasses') are never referrers
for _f in (RefBrowser.get_tree, StreamBrowser.print_tree, FileBrowser.print_tree):
    _core.hide_frames(_f.__code__)
