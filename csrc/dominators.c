/*
 * dominators.c -- dominator tree and retained sizes over a compact graph (see dominators.h).
 *
 * Sections:
 *   1. dominators        Semi-NCA (Georgiadis et al.): iterative DFS, predecessors in
 *                        preorder numbers by counting sort, semidominators by eval with
 *                        iterative path compression, idoms as nearest common ancestors
 *   2. retained sizes    sizes summed up the dominator tree, leaves first; per group
 *                        (label) of nodes, the union of their dominator subtrees
 *   3. test entry point  Python lists -> CSR for _core._dominators (tests only)
 *
 * Sections 1 and 2 touch no Python object and never recurse.
 */
#include "dominators.h"
#include "bigmem.h"
#include <string.h>

/* ---- 1. dominators -------------------------------------------------------- */

/* Preorder numbers: 0 is the virtual root, reached nodes get 1 .. N-1 (N <= n + 1
 * < 2^32 - 1), so NIL can never be one. */
#define NIL UINT32_MAX

/* The path-compressed forest of eval, both fields read together. */
typedef struct {
    uint32_t anc;  /* ancestor in the forest (first the DFS parent)                    */
    uint32_t best; /* least semidominator on the tree path from here up to anc, anc excl. */
} hs_link;

/* The least semidominator number on the tree path from u (processed: u > i) up to
 * the forest root, which is a node not processed yet (<= i).  The path is
 * compressed in two passes without a stack: going up reverses the anc pointers,
 * coming down points every node at the root and carries the minimum. */
static inline uint32_t eval(hs_link *lk, uint32_t u, uint32_t i)
{
    uint32_t a = lk[u].anc;
    if (a <= i)
        return lk[u].best;
    uint32_t x = u, below = NIL;
    do {
        lk[x].anc = below;
        below = x;
        x = a;
        a = lk[x].anc;
    } while (a > i);
    uint32_t b = lk[x].best; /* x: top of the path; a: the forest root */
    while (below != NIL) {
        uint32_t next = lk[below].anc;
        lk[below].anc = a;
        if (lk[below].best > b)
            lk[below].best = b;
        else
            b = lk[below].best;
        below = next;
    }
    return b;
}

#define AHEAD 16 /* edges ahead that the predecessor fill prefetches for */

/* An edge waiting on the DFS stack: its head, and its tail's number. */
typedef struct {
    uint32_t head, from;
} hs_edge;

typedef struct {
    void *p;
    size_t cap;
} hs_bigarr;

static void *big(hs_bigarr *a, size_t bytes)
{
    a->p = hs_big_alloc(bytes, &a->cap);
    return a->p;
}

int hs_dominators(const hs_csr *g, const uint32_t *roots, size_t nroots, uint32_t *idom)
{
    const uint32_t n = g->n, *off = g->off, *succ = g->succ;
    /* node -> preorder number (0: not reached) lives in the output until the end
     * (after a failure the output holds these numbers) */
    uint32_t *pre = idom;
    memset(idom, 0, (size_t)n * sizeof *idom);

    enum { VERT, PARENT, SEMI, LINK, ROFF, RPRED, STACK, NARR };
    hs_bigarr arr[NARR] = {{0}};
    size_t slots = (size_t)n + 2;
    uint32_t *vert = big(&arr[VERT], slots * sizeof(uint32_t));     /* preorder -> node    */
    uint32_t *parent = big(&arr[PARENT], slots * sizeof(uint32_t)); /* DFS tree parent     */
    /* semidominator, then idom, as preorder numbers */
    uint32_t *semi = big(&arr[SEMI], slots * sizeof(uint32_t));
    hs_link *lk = big(&arr[LINK], slots * sizeof(hs_link));
    /* in-degree counts, then start of each node's predecessors in rpred */
    uint32_t *roff = big(&arr[ROFF], slots * sizeof(uint32_t));
    hs_edge *stack = big(&arr[STACK], ((size_t)off[n] + 1) * sizeof(hs_edge));
    uint32_t *rpred = NULL;
    int rc = -1;
    if (!vert || !parent || !semi || !lk || !roff || !stack)
        goto done;

    /* DFS from each root in turn.  Entering a node pushes all its edges (last
     * first, so they are explored in order) and prefetches their heads; an edge
     * popped leads to a new node or counts one predecessor of a known one.  The
     * stack holds at most every edge once; it only touches what it uses. */
    uint32_t N = 1;
    size_t m = 0, top = 0; /* m: edges out of reached nodes */
    for (size_t k = 0; k < nroots; k++) {
        uint32_t w = roots[k], from = 0, q;
        if (w >= n || pre[w])
            continue; /* out-of-range roots are ignored */
        for (;;) {
            /* enter w: number it, push its edges, prefetch their heads */
            q = N++;
            pre[w] = q;
            vert[q] = w;
            parent[q] = from;
            uint32_t b = off[w], e = off[w + 1];
            m += e - b;
            while (e-- > b) {
                uint32_t x = succ[e];
                __builtin_prefetch(&pre[x]);
                __builtin_prefetch(&off[x]);
                stack[top++] = (hs_edge){x, q};
            }
            /* pop edges until one leads to a new node */
            while (top && (q = pre[stack[top - 1].head]) != 0) {
                roff[q]++;
                top--;
            }
            if (!top)
                break;
            top--;
            w = stack[top].head;
            from = stack[top].from;
            roff[N]++;
        }
    }

    /* Predecessors by counting sort, as preorder numbers: roff[q] .. roff[q+1]-1.
     * Random reads and writes, so the edges a little ahead are prefetched. */
    rpred = big(&arr[RPRED], m * sizeof(uint32_t));
    if (!rpred)
        goto done;
    uint32_t sum = 0;
    for (uint32_t q = 1; q <= N; q++)
        roff[q] = sum += roff[q];
    roff[0] = 0;
    const uint32_t mall = off[n];
    for (uint32_t v = 0; v < n; v++) {
        uint32_t p = pre[v];
        if (!p)
            continue;
        for (uint32_t e = off[v], end = off[v + 1]; e < end; e++) {
            if ((size_t)e + 2 * AHEAD < mall) {
                __builtin_prefetch(&pre[succ[e + 2 * AHEAD]]);
                __builtin_prefetch(&roff[pre[succ[e + AHEAD]]], 1);
            }
            rpred[--roff[pre[succ[e]]]] = p;
        }
    }

    /* The virtual root's edges: every root hangs from it directly.  A root first
     * reached from another root keeps its DFS number, and its semidominator (0)
     * makes the rest of its old tree path irrelevant to eval and to step 2. */
    for (size_t k = 0; k < nroots; k++)
        if (roots[k] < n)
            parent[pre[roots[k]]] = 0;
    for (uint32_t p = 1; p < N; p++)
        lk[p].anc = parent[p];

    /* Step 1: semidominators, in reverse preorder. */
    for (uint32_t i = N; --i > 0;) {
        uint32_t s = parent[i];
        for (uint32_t k = roff[i], end = roff[i + 1]; s && k < end; k++) {
            uint32_t u = rpred[k];
            uint32_t t = u <= i ? u : eval(lk, u, i);
            if (t < s)
                s = t;
        }
        semi[i] = s;
        lk[i].best = s;
    }

    /* Step 2: idom(i) = nearest common ancestor of parent(i) and semi(i) in the
     * dominator tree so far, written over semi[] in preorder. */
    for (uint32_t i = 1; i < N; i++) {
        uint32_t s = semi[i], c = parent[i];
        while (c > s)
            c = semi[c];
        semi[i] = c;
    }

    for (uint32_t v = 0; v < n; v++) {
        uint32_t p = pre[v];
        if (!p) {
            idom[v] = HS_DOM_UNREACHABLE;
        } else {
            uint32_t d = semi[p];
            idom[v] = d ? vert[d] : HS_DOM_ROOT;
        }
    }
    rc = 0;
done:
    for (int a = 0; a < NARR; a++)
        hs_big_free(arr[a].p, arr[a].cap);
    return rc;
}

/* ---- 2. retained sizes ---------------------------------------------------- */

#define DONE UINT32_MAX

int hs_retained_sizes(const hs_csr *g, const uint32_t *idom, const uint64_t *size, uint64_t *retained)
{
    const uint32_t n = g->n;
    hs_bigarr a = {0};
    uint32_t *left = big(&a, (size_t)n * sizeof(uint32_t)); /* children not yet added */
    if (!left)
        return -1;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d = idom[v];
        retained[v] = d == HS_DOM_UNREACHABLE ? 0 : size[v];
        if (d < n)
            left[d]++;
    }
    /* From each leaf, climb while the dominator just got its last child: every
     * node is added to its dominator once, after all of its own children. */
    for (uint32_t v = 0; v < n; v++) {
        if (left[v] || idom[v] == HS_DOM_UNREACHABLE)
            continue;
        uint32_t x = v;
        for (;;) {
            left[x] = DONE;
            uint32_t d = idom[x];
            if (d >= n)
                break; /* the virtual root */
            retained[d] += retained[x];
            if (--left[d])
                break;
            x = d;
        }
    }
    hs_big_free(a.p, a.cap);
    return 0;
}

/* Per group: the dominator tree is walked in preorder from its roots (children
 * found by a counting sort of idom), keeping for every group how many nodes of
 * it are on the current tree path; a node adds its retained size to its group
 * only when none of its proper ancestors is in the group, so nested objects of
 * one group are counted once, through the outermost. */
int hs_group_retained(uint32_t n, const uint32_t *idom, const uint64_t *retained,
                      uint32_t (*group)(void *, uint32_t), void *ctx, size_t ngroups, uint64_t *out)
{
    memset(out, 0, ngroups * sizeof *out);
    enum { OFF, KIDS, STACK, GRP, OPEN, NARR };
    hs_bigarr arr[NARR] = {{0}};
    /* off[d] .. off[d+1]: children of d; slot n holds the tree roots (virtual root's children) */
    uint32_t *off = big(&arr[OFF], ((size_t)n + 2) * sizeof(uint32_t));
    uint32_t *kids = big(&arr[KIDS], ((size_t)n + 1) * sizeof(uint32_t));
    uint32_t *stack = big(&arr[STACK], ((size_t)n + 1) * sizeof(uint32_t)); /* node, top bit: leaving */
    uint32_t *grp = big(&arr[GRP], ((size_t)n + 1) * sizeof(uint32_t));
    uint32_t *open = big(&arr[OPEN], (ngroups + 1) * sizeof(uint32_t));
    int rc = -1;
    if (!off || !kids || !stack || !grp || !open || n >= 0x80000000u)
        goto done;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d = idom[v];
        if (d == HS_DOM_UNREACHABLE)
            continue;
        off[d < n ? d : n]++;
        uint32_t k = group(ctx, v);
        grp[v] = k < ngroups ? k : HS_NO_GROUP;
    }
    uint32_t sum = 0;
    for (uint32_t d = 0; d <= n; d++)
        off[d] = sum += off[d];
    off[n + 1] = sum;
    for (uint32_t v = n; v-- > 0;) {
        uint32_t d = idom[v];
        if (d != HS_DOM_UNREACHABLE)
            kids[--off[d < n ? d : n]] = v;
    }
    /* Every node is pushed once (entering) and replaced by its leave marker,
     * so the stack never holds more than n entries plus the pending ones,
     * which are distinct nodes: n in all. */
    size_t top = 0;
    for (uint32_t e = off[n + 1]; e-- > off[n];)
        stack[top++] = kids[e];
    while (top) {
        uint32_t x = stack[--top];
        if (x & 0x80000000u) { /* leaving */
            uint32_t k = grp[x & 0x7FFFFFFFu];
            if (k != HS_NO_GROUP)
                open[k]--;
            continue;
        }
        uint32_t k = grp[x];
        if (k != HS_NO_GROUP) {
            if (!open[k]++)
                out[k] += retained[x];
            stack[top++] = x | 0x80000000u;
        }
        for (uint32_t e = off[x + 1]; e-- > off[x];)
            stack[top++] = kids[e];
    }
    rc = 0;
done:
    for (int a = 0; a < NARR; a++)
        hs_big_free(arr[a].p, arr[a].cap);
    return rc;
}

/* ---- 3. test entry point -------------------------------------------------- */

/* A list or tuple item as an index below `limit`; -1 with an exception. */
static int64_t index_of(PyObject *o, uint64_t limit, const char *what)
{
    Py_ssize_t x = PyLong_AsSsize_t(o);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (x < 0 || (uint64_t)x >= limit) {
        PyErr_Format(PyExc_ValueError, "_dominators: %s %zd out of range", what, x);
        return -1;
    }
    return x;
}

static PyObject *result_lists(uint32_t n, const uint32_t *idom, const uint64_t *retained)
{
    PyObject *il = PyList_New(n), *rl = PyList_New(n);
    if (!il || !rl)
        goto fail;
    for (uint32_t v = 0; v < n; v++) {
        long d = idom[v] == HS_DOM_ROOT ? -1 : idom[v] == HS_DOM_UNREACHABLE ? -2 : (long)idom[v];
        PyObject *a = PyLong_FromLong(d), *b = PyLong_FromUnsignedLongLong(retained[v]);
        if (a)
            PyList_SET_ITEM(il, v, a);
        if (b)
            PyList_SET_ITEM(rl, v, b);
        if (!a || !b)
            goto fail;
    }
    PyObject *t = PyTuple_Pack(2, il, rl);
    Py_DECREF(il);
    Py_DECREF(rl);
    return t;
fail:
    Py_XDECREF(il);
    Py_XDECREF(rl);
    return NULL;
}

PyObject *hs_dominators_py(PyObject *args)
{
    Py_ssize_t nn;
    PyObject *edges_o, *roots_o, *sizes_o, *edges = NULL, *roots = NULL, *sizes = NULL, *res = NULL;
    if (!PyArg_ParseTuple(args, "nOOO:_dominators", &nn, &edges_o, &roots_o, &sizes_o))
        return NULL;
    if (nn < 0 || (uint64_t)nn >= HS_DOM_UNREACHABLE) {
        PyErr_SetString(PyExc_ValueError, "_dominators: n must be in [0, 2**32 - 2)");
        return NULL;
    }
    const uint32_t n = (uint32_t)nn;
    edges = PySequence_Fast(edges_o, "_dominators: edges must be a list of (u, v) pairs");
    roots = edges ? PySequence_Fast(roots_o, "_dominators: roots must be a list of ints") : NULL;
    sizes = roots ? PySequence_Fast(sizes_o, "_dominators: sizes must be a list of ints") : NULL;
    if (!sizes)
        goto out;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(edges), nr = PySequence_Fast_GET_SIZE(roots);
    if ((uint64_t)m >= UINT32_MAX || PySequence_Fast_GET_SIZE(sizes) != nn) {
        PyErr_SetString(PyExc_ValueError, "_dominators: too many edges, or len(sizes) != n");
        goto out;
    }

    enum { OFF, SUCC, TAIL, HEAD, ROOTS, IDOM, SIZE, RET, NARR };
    hs_bigarr arr[NARR] = {{0}};
    uint32_t *off = big(&arr[OFF], ((size_t)n + 1) * sizeof(uint32_t));
    uint32_t *succ = big(&arr[SUCC], ((size_t)m + 1) * sizeof(uint32_t));
    uint32_t *tail = big(&arr[TAIL], ((size_t)m + 1) * sizeof(uint32_t));
    uint32_t *head = big(&arr[HEAD], ((size_t)m + 1) * sizeof(uint32_t));
    uint32_t *rts = big(&arr[ROOTS], ((size_t)nr + 1) * sizeof(uint32_t));
    uint32_t *idom = big(&arr[IDOM], ((size_t)n + 1) * sizeof(uint32_t));
    uint64_t *size = big(&arr[SIZE], ((size_t)n + 1) * sizeof(uint64_t));
    uint64_t *ret = big(&arr[RET], ((size_t)n + 1) * sizeof(uint64_t));
    if (!off || !succ || !tail || !head || !rts || !idom || !size || !ret) {
        PyErr_NoMemory();
        goto release;
    }

    /* CSR by counting sort, keeping each node's edges in list order. */
    PyObject **items = PySequence_Fast_ITEMS(edges);
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *pair = items[k];
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "_dominators: every edge must be a (u, v) tuple");
            goto release;
        }
        int64_t u = index_of(PyTuple_GET_ITEM(pair, 0), n, "edge tail");
        int64_t v = u < 0 ? -1 : index_of(PyTuple_GET_ITEM(pair, 1), n, "edge head");
        if (v < 0)
            goto release;
        tail[k] = (uint32_t)u;
        head[k] = (uint32_t)v;
        off[u]++;
    }
    uint32_t sum = 0;
    for (uint32_t v = 0; v < n; v++)
        off[v] = sum += off[v];
    off[n] = sum;
    for (Py_ssize_t k = m; k-- > 0;)
        succ[--off[tail[k]]] = head[k];

    for (Py_ssize_t k = 0; k < nr; k++) {
        int64_t r = index_of(PySequence_Fast_GET_ITEM(roots, k), n, "root");
        if (r < 0)
            goto release;
        rts[k] = (uint32_t)r;
    }
    for (uint32_t v = 0; v < n; v++) {
        size[v] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(sizes, v));
        if (size[v] == (uint64_t)-1 && PyErr_Occurred())
            goto release;
    }

    hs_csr g = {n, off, succ};
    if (hs_dominators(&g, rts, (size_t)nr, idom) < 0 || hs_retained_sizes(&g, idom, size, ret) < 0) {
        PyErr_NoMemory();
        goto release;
    }
    res = result_lists(n, idom, ret);
release:
    for (int a = 0; a < NARR; a++)
        hs_big_free(arr[a].p, arr[a].cap);
out:
    Py_XDECREF(edges);
    Py_XDECREF(roots);
    Py_XDECREF(sizes);
    return res;
}
