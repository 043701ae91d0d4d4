"""Not a leak: each call parses a document into a tree whose nodes point to
their parents (reference cycles): refcounting never frees it, a full
collection does."""
EXPECT = "quiet"

DOC = [("section", [("title", []), ("para", [("em", []), ("link", [])]), ("para", [])])] * 4


class Node:
    def __init__(self, tag, parent=None):
        self.tag = tag
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)


def build(spec, parent):
    for tag, kids in spec:
        build(kids, Node(tag, parent))


def parse(doc):
    root = Node("document")
    build(doc, root)
    return root


def count(node):
    return 1 + sum(count(c) for c in node.children)


def handle():
    tree = parse(DOC)
    count(tree)
    return tree


def setup():
    pass


def action():
    handle()


def truth(n):
    import gc
    import weakref

    was = gc.isenabled()
    gc.disable()
    try:
        refs = [weakref.ref(handle()) for _ in range(n)]
        alive = all(r() is not None for r in refs)  # cycles: refcounting keeps them
        gc.collect()
        dead = all(r() is None for r in refs)
    finally:
        if was:
            gc.enable()
    return alive and dead
