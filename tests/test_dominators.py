"""Dominator tree and retained sizes (csrc/dominators.c) through the test-only
binding _core._dominators(n, edges, roots, sizes) -> (idom, retained), where
idom[v] is -1 for the virtual root (joined to every root) and -2 for unreachable.
"""
import itertools
import random

import pytest

from heapscope import _core

ROOT, UNREACHABLE = -1, -2
R = "R"  # the virtual root in the brute force


def dominators(n, edges, roots, sizes=None):
    sizes = [1] * n if sizes is None else sizes
    idom, retained = _core._dominators(n, edges, roots, sizes)
    assert len(idom) == len(retained) == n
    return idom, retained


# ---- brute force, from the definition -------------------------------------------

def reachable(n, adj, roots, removed=None):
    seen = set()
    stack = [r for r in roots if r != removed]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        stack.extend(w for w in adj[v] if w != removed and w not in seen)
    return seen


def brute_force(n, edges, roots, sizes):
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
    live = reachable(n, adj, roots)
    # strict dominators: d dominates v iff v is unreachable once d is removed
    sdom = {v: {R} for v in live}
    for d in live:
        after = reachable(n, adj, roots, removed=d)
        for v in live - after - {d}:
            sdom[v].add(d)

    def dominates(a, b):  # a dominates b (a == b counts)
        return a == b or a == R or (b != R and a in sdom[b])

    idom, retained = [UNREACHABLE] * n, [0] * n
    for v in live:
        cands = [d for d in sdom[v] if all(dominates(e, d) for e in sdom[v])]
        assert len(cands) == 1, (v, sdom[v])
        idom[v] = ROOT if cands[0] == R else cands[0]
        retained[v] = sum(sizes[w] for w in live if dominates(v, w))
    return idom, retained


def random_graph(rng, n):
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randrange(3 * n + 1))]
    for _ in range(rng.randrange(3)):
        v = rng.randrange(n)
        edges.append((v, v))  # self-loops
    if edges:
        edges += rng.sample(edges, rng.randrange(min(len(edges), 4) + 1))  # multi-edges
    rng.shuffle(edges)
    roots = [rng.randrange(n) for _ in range(rng.choice([0, 1, 1, 1, 2, 3, 5]))]
    if roots and rng.random() < 0.2:
        roots.append(roots[0])  # a root given twice
    sizes = [rng.randrange(1000) for _ in range(n)]
    return edges, roots, sizes


def test_random_small_graphs_against_brute_force():
    rng = random.Random(20240613)
    for k in range(300):
        n = rng.randint(1, 40)
        edges, roots, sizes = random_graph(rng, n)
        want = brute_force(n, edges, roots, sizes)
        got = dominators(n, edges, roots, sizes)
        assert got == want, "graph %d: n=%d edges=%r roots=%r" % (k, n, edges, roots)


def test_random_sparse_graphs_against_brute_force():
    # about one edge per node: long paths, many unreachable nodes, idom far from the DFS parent
    rng = random.Random(7)
    for k in range(200):
        n = rng.randint(2, 40)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(n // 2, n + 3))]
        edges += [(i, i + 1) for i in range(n - 1) if rng.random() < 0.3]
        roots = rng.sample(range(n), rng.randint(1, 2))
        sizes = [rng.randrange(1, 50) for _ in range(n)]
        assert dominators(n, edges, roots, sizes) == brute_force(n, edges, roots, sizes), (k, n, edges, roots)


# ---- an independent algorithm for bigger graphs (Cooper, Harvey, Kennedy) --------

def iterative_dominators(n, edges, roots, sizes):
    adj = [[] for _ in range(n + 1)]
    preds = [[] for _ in range(n + 1)]
    for u, v in itertools.chain(edges, ((n, r) for r in roots)):  # n = the virtual root
        adj[u].append(v)
        preds[v].append(u)
    post, seen, stack = [], {n}, [(n, iter(adj[n]))]
    while stack:
        v, it = stack[-1]
        for w in it:
            if w not in seen:
                seen.add(w)
                stack.append((w, iter(adj[w])))
                break
        else:
            stack.pop()
            post.append(v)
    po = {v: i for i, v in enumerate(post)}
    dom = {n: n}

    def intersect(a, b):
        while a != b:
            while po[a] < po[b]:
                a = dom[a]
            while po[b] < po[a]:
                b = dom[b]
        return a

    changed = True
    while changed:
        changed = False
        for v in reversed(post[:-1]):
            new = None
            for p in preds[v]:
                if p in dom:
                    new = p if new is None else intersect(p, new)
            if dom.get(v) != new:
                dom[v] = new
                changed = True
    idom, retained = [UNREACHABLE] * n, [0] * n
    for v in post[:-1]:  # children before their dominators
        idom[v] = ROOT if dom[v] == n else dom[v]
        retained[v] += sizes[v]
        if dom[v] != n:
            retained[dom[v]] += retained[v]
    return idom, retained


@pytest.mark.parametrize("shape, seed", [("random", 1), ("heaplike", 2), ("deep", 3)])
def test_bigger_graphs_against_iterative_algorithm(shape, seed):
    rng = random.Random(seed)
    for k in range(6):
        n = rng.randint(500, 4000)
        if shape == "random":
            edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(n, 3 * n))]
        elif shape == "heaplike":  # a random tree plus a few cross and back references
            edges = [(rng.randrange(v), v) for v in range(1, n)]
            edges += [(rng.randrange(n), rng.randrange(n)) for _ in range(n // 5)]
        else:  # long chains with back edges: long eval paths
            edges = [(v - 1, v) for v in range(1, n) if rng.random() < 0.97]
            edges += [(rng.randrange(n), rng.randrange(n)) for _ in range(n // 20)]
        rng.shuffle(edges)
        roots = rng.sample(range(n), rng.randint(1, 4))
        sizes = [rng.randrange(1, 100) for _ in range(n)]
        want = iterative_dominators(n, edges, roots, sizes)
        assert dominators(n, edges, roots, sizes) == want, (shape, k)


# ---- shapes --------------------------------------------------------------------

def test_chain_a_million_long():
    n = 1_000_000
    sizes = [v % 7 + 1 for v in range(n)]
    idom, retained = dominators(n, [(v, v + 1) for v in range(n - 1)], [0], sizes)
    assert idom[0] == ROOT
    assert all(idom[v] == v - 1 for v in range(1, n))
    assert retained == list(itertools.accumulate(reversed(sizes)))[::-1]


def test_million_long_path_compression():
    # 0 -> 1 -> ... -> n-1 -> 1, and 0 -> m: node 1 is reached through m and the
    # back edge too, so its semidominator comes from a path n-1 .. 2 a million long.
    n, m = 1_000_000, 600_000
    edges = [(v, v + 1) for v in range(n - 1)] + [(n - 1, 1), (0, m)]
    sizes = [v % 5 + 1 for v in range(n)]
    idom, retained = dominators(n, edges, [0], sizes)
    want = [ROOT, 0] + list(range(1, n - 1))
    want[m] = 0
    assert idom == want
    assert retained[0] == sum(sizes)
    assert retained[1] == sum(sizes[1:m])
    assert retained[m] == sum(sizes[m:])
    assert retained[n - 1] == sizes[n - 1]


def test_diamond_shared_object_belongs_to_the_common_dominator():
    #   0 -> 1 -> 2 -> 4,  1 -> 3 -> 4
    edges = [(0, 1), (1, 2), (1, 3), (2, 4), (3, 4)]
    idom, retained = dominators(5, edges, [0], [1, 10, 100, 1000, 10000])
    assert idom == [ROOT, 0, 1, 1, 1]
    assert retained == [11111, 11110, 100, 1000, 10000]
    # at the top, the shared object belongs to the root
    idom, retained = dominators(4, [(0, 1), (0, 2), (1, 3), (2, 3)], [0], [1, 10, 100, 1000])
    assert idom == [ROOT, 0, 0, 0]
    assert retained == [1111, 10, 100, 1000]


def test_shared_between_roots_belongs_to_the_virtual_root():
    idom, retained = dominators(3, [(0, 2), (1, 2)], [0, 1], [1, 10, 100])
    assert idom == [ROOT, ROOT, ROOT]
    assert retained == [1, 10, 100]


def test_cycle_reachable_from_a_root():
    # 0 -> 1 -> 2 -> 3 -> 1, 3 -> 3; 4 -> 1 is never reached
    edges = [(0, 1), (1, 2), (2, 3), (3, 1), (3, 3), (4, 1)]
    idom, retained = dominators(5, edges, [0], [1, 10, 100, 1000, 10000])
    assert idom == [ROOT, 0, 1, 2, UNREACHABLE]
    assert retained == [1111, 1110, 1100, 1000, 0]
    # entered at two points: nobody inside holds the other alone
    idom, retained = dominators(3, [(0, 1), (0, 2), (1, 2), (2, 1)], [0], [1, 10, 100])
    assert idom == [ROOT, 0, 0]
    assert retained == [111, 10, 100]


def test_a_cycle_of_roots():
    idom, retained = dominators(3, [(0, 1), (1, 2), (2, 0)], [0, 1, 2], [1, 10, 100])
    assert idom == [ROOT, ROOT, ROOT]
    assert retained == [1, 10, 100]


def test_multiple_roots_sharing_nodes():
    #  roots 0 and 3:  0 -> 1 -> 2,  3 -> 2,  3 -> 4 -> 5,  1 -> 5
    edges = [(0, 1), (1, 2), (3, 2), (3, 4), (4, 5), (1, 5)]
    sizes = [1, 10, 100, 1000, 10000, 100000]
    idom, retained = dominators(6, edges, [0, 3], sizes)
    assert idom == [ROOT, 0, ROOT, ROOT, 3, ROOT]
    assert retained == [11, 10, 100, 11000, 10000, 100000]


@pytest.mark.parametrize("roots", [[0, 1], [1, 0], [0, 1, 0]])
def test_a_root_reached_from_another_root_hangs_from_the_virtual_root(roots):
    idom, retained = dominators(4, [(0, 1), (1, 2), (0, 3)], roots, [1, 10, 100, 1000])
    assert idom == [ROOT, ROOT, 1, 0]
    assert retained == [1001, 110, 100, 1000]


def test_no_roots_and_empty_graphs():
    assert dominators(3, [(0, 1), (1, 2)], [], [5, 6, 7]) == ([UNREACHABLE] * 3, [0, 0, 0])
    assert dominators(0, [], [], []) == ([], [])
    assert dominators(1, [(0, 0), (0, 0)], [0], [42]) == ([ROOT], [42])


def test_sizes_up_to_64_bits():
    big = 2 ** 62
    assert dominators(3, [(0, 1), (1, 2)], [0], [big, big - 1, 1]) == ([ROOT, 0, 1], [2 ** 63, big, 1])


@pytest.mark.parametrize("args, exc", [
    ((3, [(0, 3)], [0], [1, 1, 1]), ValueError),
    ((3, [(-1, 0)], [0], [1, 1, 1]), ValueError),
    ((3, [(0, 1)], [3], [1, 1, 1]), ValueError),
    ((3, [(0, 1)], [0], [1, 1]), ValueError),
    ((3, [(0, 1, 2)], [0], [1, 1, 1]), TypeError),
    ((3, [(0, 1)], [0], [1, -1, 1]), OverflowError),
    ((-1, [], [], []), ValueError),
])
def test_bad_input_raises(args, exc):
    with pytest.raises(exc):
        _core._dominators(*args)
