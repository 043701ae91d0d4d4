/*
 * refsearch.c -- searches around given objects on a live reference graph, for
 * the objgraph (find_ref_chain, find_backref_chain, show_refs, show_backrefs)
 * and Pympler refbrowser drop-ins (see refsearch.h).
 *
 * Sections:
 *   1. ball     breadth-first search from the seed objects over the reverse
 *               (referrers) or forward (referents) edges of a fresh graph, up
 *               to a depth; runs as the snapshot's graph hook, so every
 *               address is valid, and takes a strong reference to every
 *               object reached before any Python code runs
 *   2. neighbourhood  the objects reached and the adjacency between them
 *   3. chain    objgraph's shortest chain: the predicate called on the
 *               objects reached, in breadth-first order, after the walk
 *
 * Referrers are listed in the order gc.get_referrers gives them (GC lists
 * youngest first, list order within one), then the permanent generation, then
 * untracked containers (which gc.get_referrers never returns), so that trees
 * and chains come out as Pympler's and objgraph's do.  One walk, one graph;
 * heapscope's own objects and running frames are never nodes (walk.c); the
 * caller's sequence of seeds, and objects whose id is in `ignore`, are never
 * entered.
 */
#include "refsearch.h"
#include "records.h"
#include "graph.h"
#include "bigmem.h"
#include "vec.h"
#include <string.h>

#define UNSEEN 0xFFFFFFFFu
#define IGNORED 0xFFFFFFFEu

/* ---- 1. ball ---------------------------------------------------------------------- */

typedef struct {
    /* in */
    PyObject **seeds;     /* borrowed */
    Py_ssize_t nseeds;
    PyObject *seq;        /* the caller's container of seeds: never entered */
    uintptr_t *ignore;    /* sorted addresses never entered */
    size_t nignore;
    int backwards, max_depth, cull_modules;
    /* out, by position in breadth-first order (seeds first) */
    size_t n;             /* positions used */
    uint32_t *parent;     /* position of the discoverer (itself for seeds) */
    uint32_t *adj_off;    /* neighbours of position p: adj[adj_off[p] .. adj_off[p+1]) */
    int *expanded;        /* whether position p was expanded */
    uint32_t *adj;
    size_t nadj, capadj;
    PyObject *objs;       /* list: the object at every position (strong) */
} ball_ctx;

static int cmp_addr(const void *x, const void *y)
{
    uintptr_t a = *(const uintptr_t *)x, b = *(const uintptr_t *)y;
    return a < b ? -1 : a > b;
}

static int in_sorted(const uintptr_t *v, size_t n, uintptr_t a)
{
    return n && bsearch(&a, v, n, sizeof(uintptr_t), cmp_addr) != NULL;
}

/* The order gc.get_referrers lists referrers in: generations 0, 1, 2, then
 * (not listed by it) the permanent generation and untracked objects. */
static uint64_t referrer_key(const rec_t *recs, uint32_t node)
{
    int l = rec_list(&recs[node]);
    return ((uint64_t)(l < 0 ? 4 : l) << 32) | node;
}

typedef struct {
    uint64_t key;
    uint32_t node;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    uint64_t a = ((const keyed *)x)->key, b = ((const keyed *)y)->key;
    return a < b ? -1 : a > b;
}

static int ball_hook(void *vctx, const uintptr_t *addrs, size_t stride, hs_graph *g)
{
    ball_ctx *c = (ball_ctx *)vctx;
    const rec_t *recs = (const rec_t *)addrs; /* snapshot.c passes &recs[0].addr */
    size_t pb = 0, ob = 0, parb = 0, offb = 0, expb = 0;
    uint32_t *pos = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &pb);
    uint32_t *order = hs_big_alloc(((size_t)g->n + (size_t)c->nseeds + 1) * sizeof(uint32_t), &ob);
    uint32_t *parent = hs_big_alloc(((size_t)g->n + (size_t)c->nseeds + 1) * sizeof(uint32_t), &parb);
    uint32_t *off = hs_big_alloc(((size_t)g->n + (size_t)c->nseeds + 2) * sizeof(uint32_t), &offb);
    int *expanded = hs_big_alloc(((size_t)g->n + (size_t)c->nseeds + 1) * sizeof(int), &expb);
    uint32_t *depth = NULL;
    keyed *tmp = NULL;
    size_t captmp = 0;
    size_t db = 0;
    int rc = -1;
    if (!pos || !order || !parent || !off || !expanded)
        goto oom;
    depth = hs_big_alloc(((size_t)g->n + (size_t)c->nseeds + 1) * sizeof(uint32_t), &db);
    if (!depth)
        goto oom;
    memset(pos, 0xFF, (size_t)g->n * sizeof(uint32_t));

    /* Seeds and ignored objects, found by one pass over the nodes. */
    size_t nsa = (size_t)c->nseeds;
    keyed *sa = malloc((nsa + 1) * sizeof(keyed));
    if (!sa)
        goto oom;
    for (size_t k = 0; k < nsa; k++) {
        sa[k].key = (uintptr_t)c->seeds[k];
        sa[k].node = UNSEEN;
    }
    qsort(sa, nsa, sizeof(keyed), cmp_keyed);
    for (uint32_t i = 0; i < g->n; i++) {
        uintptr_t a = addrs[(size_t)i * stride];
        if (a == (uintptr_t)c->seq || in_sorted(c->ignore, c->nignore, a))
            pos[i] = IGNORED;
        keyed probe = {a, 0};
        keyed *hit = nsa ? bsearch(&probe, sa, nsa, sizeof(keyed), cmp_keyed) : NULL;
        if (hit)
            hit->node = i;
    }
    /* Positions 0 .. nseeds-1 are the seeds in the caller's order (a seed
     * given twice, or not on the heap, keeps its own position, unexpanded). */
    size_t n = 0;
    for (Py_ssize_t k = 0; k < c->nseeds; k++) {
        keyed probe = {(uintptr_t)c->seeds[k], 0};
        keyed *hit = nsa ? bsearch(&probe, sa, nsa, sizeof(keyed), cmp_keyed) : NULL;
        uint32_t node = hit ? hit->node : UNSEEN;
        if (node != UNSEEN && pos[node] == UNSEEN)
            pos[node] = (uint32_t)n;
        else
            node = UNSEEN; /* duplicate, ignored, or not a node */
        order[n] = node;
        parent[n] = (uint32_t)n;
        depth[n] = 0;
        n++;
    }
    free(sa);

    size_t head = 0;
    off[0] = 0;
    for (; head < n; head++) {
        uint32_t v = order[head];
        expanded[head] = 0;
        if (v != UNSEEN && (int)depth[head] < c->max_depth &&
            !(c->cull_modules && PyModule_Check((PyObject *)addrs[(size_t)v * stride]))) {
            expanded[head] = 1;
            const uint32_t *nb = c->backwards ? &g->rev[g->rev_off[v]] : &g->fwd[g->fwd_off[v]];
            size_t nn = c->backwards ? g->rev_off[v + 1] - g->rev_off[v] : g->fwd_off[v + 1] - g->fwd_off[v];
            if (nn + 1 > captmp) {
                keyed *t = realloc(tmp, (nn + 1) * sizeof(keyed));
                if (!t)
                    goto oom;
                tmp = t;
                captmp = nn + 1;
            }
            size_t m = 0;
            for (size_t j = 0; j < nn; j++) {
                if (pos[nb[j]] == IGNORED)
                    continue;
                tmp[m].key = c->backwards ? referrer_key(recs, nb[j]) : j;
                tmp[m].node = nb[j];
                m++;
            }
            if (c->backwards) { /* one entry per referrer, in gc.get_referrers' order */
                qsort(tmp, m, sizeof(keyed), cmp_keyed);
                size_t u = 0;
                for (size_t j = 0; j < m; j++)
                    if (u == 0 || tmp[u - 1].node != tmp[j].node)
                        tmp[u++] = tmp[j];
                m = u;
            }
            for (size_t j = 0; j < m; j++) {
                uint32_t u = tmp[j].node;
                if (pos[u] == UNSEEN) {
                    pos[u] = (uint32_t)n;
                    order[n] = u;
                    parent[n] = (uint32_t)head;
                    depth[n] = depth[head] + 1;
                    n++;
                }
                if (hs_vec_grow((void **)&c->adj, c->nadj, &c->capadj, sizeof(uint32_t), 1024) < 0)
                    goto oom;
                c->adj[c->nadj++] = pos[u];
            }
        }
        off[head + 1] = (uint32_t)c->nadj;
    }

    /* Strong references to everything reached, while the addresses are valid. */
    c->objs = PyList_New((Py_ssize_t)n);
    if (!c->objs)
        goto done;
    for (size_t p = 0; p < n; p++) {
        PyObject *o = order[p] == UNSEEN ? c->seeds[p] : (PyObject *)addrs[(size_t)order[p] * stride];
        Py_INCREF(o);
        PyList_SET_ITEM(c->objs, (Py_ssize_t)p, o);
    }
    c->n = n;
    c->parent = malloc((n + 1) * sizeof(uint32_t));
    c->adj_off = malloc((n + 1) * sizeof(uint32_t));
    c->expanded = malloc((n + 1) * sizeof(int));
    if (!c->parent || !c->adj_off || !c->expanded)
        goto oom;
    memcpy(c->parent, parent, n * sizeof(uint32_t));
    memcpy(c->adj_off, off, (n + 1) * sizeof(uint32_t));
    memcpy(c->expanded, expanded, n * sizeof(int));
    rc = 0;
    goto done;
oom:
    PyErr_NoMemory();
done:
    free(tmp);
    hs_big_free(pos, pb);
    hs_big_free(order, ob);
    hs_big_free(parent, parb);
    hs_big_free(off, offb);
    hs_big_free(expanded, expb);
    hs_big_free(depth, db);
    return rc;
}

static void ball_free(ball_ctx *c)
{
    Py_CLEAR(c->objs);
    free(c->parent);
    free(c->adj_off);
    free(c->expanded);
    free(c->adj);
    free(c->ignore);
    c->parent = c->adj_off = c->adj = NULL;
    c->expanded = NULL;
    c->ignore = NULL;
}

/* The ids of `ignore` (an iterable of ints), sorted; 0 or -1 with exception. */
static int read_ignore(ball_ctx *c, PyObject *ignore)
{
    if (!ignore || ignore == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(ignore, "extra_ignore must be a sequence of object ids");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    c->ignore = malloc(((size_t)n + 1) * sizeof(uintptr_t));
    if (!c->ignore) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyLong_Check(v)) {
            PyErr_Format(PyExc_TypeError, "extra_ignore must hold object ids (ints), not %.100s",
                         Py_TYPE(v)->tp_name);
            Py_DECREF(seq);
            return -1;
        }
        uintptr_t a = (uintptr_t)PyLong_AsUnsignedLongLongMask(v);
        if (a == (uintptr_t)-1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        c->ignore[c->nignore++] = a;
    }
    Py_DECREF(seq);
    qsort(c->ignore, c->nignore, sizeof(uintptr_t), cmp_addr);
    return 0;
}

/* Run the walk and the search; 0, or -1 with an exception (c freed). */
static int run_ball(ball_ctx *c)
{
    PyObject *snap = hs_snapshot_take(0, 1, 0, ball_hook, c);
    if (!snap) {
        ball_free(c);
        return -1;
    }
    Py_DECREF(snap);
    return 0;
}

/* ---- 2. neighbourhood -------------------------------------------------------------- */

PyObject *hs_neighbourhood(PyObject *seeds, int max_depth, int backwards, PyObject *ignore, int cull_modules)
{
    PyObject *seq = PySequence_Fast(seeds, "expected a sequence of objects");
    if (!seq)
        return NULL;
    ball_ctx c;
    memset(&c, 0, sizeof(c));
    c.seeds = PySequence_Fast_ITEMS(seq);
    c.nseeds = PySequence_Fast_GET_SIZE(seq);
    c.seq = seeds;
    c.backwards = backwards;
    c.max_depth = max_depth < 0 ? 0 : max_depth;
    c.cull_modules = cull_modules;
    PyObject *out = NULL;
    if (read_ignore(&c, ignore) < 0 || run_ball(&c) < 0) {
        ball_free(&c);
        Py_DECREF(seq);
        return NULL;
    }
    PyObject *adj = PyList_New((Py_ssize_t)c.n);
    for (size_t p = 0; adj && p < c.n; p++) {
        PyObject *l;
        if (!c.expanded[p]) {
            l = Py_None;
            Py_INCREF(l);
        } else {
            l = PyList_New(c.adj_off[p + 1] - c.adj_off[p]);
            for (uint32_t j = c.adj_off[p]; l && j < c.adj_off[p + 1]; j++) {
                PyObject *i = PyLong_FromUnsignedLong(c.adj[j]);
                if (!i)
                    Py_CLEAR(l);
                else
                    PyList_SET_ITEM(l, j - c.adj_off[p], i);
            }
        }
        if (!l)
            Py_CLEAR(adj);
        else
            PyList_SET_ITEM(adj, (Py_ssize_t)p, l);
    }
    if (adj)
        out = PyTuple_Pack(2, c.objs, adj);
    Py_XDECREF(adj);
    ball_free(&c);
    Py_DECREF(seq);
    return out;
}

/* ---- 3. chain ------------------------------------------------------------------------ */

PyObject *hs_find_chain(PyObject *obj, PyObject *predicate, int max_depth, int backwards, PyObject *ignore)
{
    if (!PyCallable_Check(predicate)) {
        PyErr_SetString(PyExc_TypeError, "predicate must be callable");
        return NULL;
    }
    ball_ctx c;
    memset(&c, 0, sizeof(c));
    c.seeds = &obj;
    c.nseeds = 1;
    c.backwards = backwards;
    c.max_depth = max_depth < 0 ? 0 : max_depth;
    if (read_ignore(&c, ignore) < 0 || run_ball(&c) < 0) {
        ball_free(&c);
        return NULL;
    }
    /* Python code runs from here on: only the strong references are used. */
    PyObject *out = NULL;
    size_t p;
    for (p = 0; p < c.n; p++) {
        PyObject *r = PyObject_CallFunctionObjArgs(predicate, PyList_GET_ITEM(c.objs, (Py_ssize_t)p), NULL);
        int t = r ? PyObject_IsTrue(r) : -1;
        Py_XDECREF(r);
        if (t < 0) {
            ball_free(&c);
            return NULL;
        }
        if (t)
            break;
    }
    if (p == c.n) { /* none: objgraph answers [obj] */
        out = PyList_New(1);
        if (out) {
            Py_INCREF(obj);
            PyList_SET_ITEM(out, 0, obj);
        }
    } else { /* [found, ..., obj] */
        out = PyList_New(0);
        for (size_t q = p; out; q = c.parent[q]) {
            if (PyList_Append(out, PyList_GET_ITEM(c.objs, (Py_ssize_t)q)) < 0)
                Py_CLEAR(out);
            if (c.parent[q] == q)
                break;
        }
    }
    ball_free(&c);
    return out;
}
