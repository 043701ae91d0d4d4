/*
 * verdict.c -- the core of find_leaks' verdicts (see verdict.h).
 *
 * Sections:
 *   1. arguments      addresses and snapshots from Python
 *   2. old_changes    old objects whose size or length changed (diff.c's
 *                     matching pass with a relaxed identity)
 *   3. record_series  (size, length) of a few addresses over many snapshots
 *   4. leak_groups    new objects grouped by their accumulation point: the
 *                     nearest old node on their dominator chain (or, when the
 *                     chain is all new up to the roots, the nearest old
 *                     referrer found backwards through new objects)
 *   5. native_memory  malloc's bytes in use and CPython's allocated blocks
 *   6. objects_at     live objects at addresses, by one fresh walk
 */
#include "verdict.h"
#include "records.h"
#include "addrmap.h"
#include "bigmem.h"
#include "dominators.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. arguments ------------------------------------------------------------------ */

/* An address (an int >= 0); 0, or -1 with an exception. */
static int addr_arg(PyObject *o, uintptr_t *addr)
{
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "an address must be an int, not %.100s", Py_TYPE(o)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "not an address (an int from 0 to 2**64-1)");
        return -1;
    }
    *addr = (uintptr_t)v;
    return 0;
}

/* Addresses from a sequence of ints into a malloc'ed array (*n of them); NULL
 * with an exception. */
static uintptr_t *addrs_arg(PyObject *seq, const char *what, size_t *n)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast)
        return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(fast);
    uintptr_t *v = malloc(((size_t)m + 1) * sizeof(uintptr_t));
    if (!v) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        if (addr_arg(PySequence_Fast_GET_ITEM(fast, i), &v[i]) < 0) {
            free(v);
            Py_DECREF(fast);
            return NULL;
        }
    Py_DECREF(fast);
    *n = (size_t)m;
    return v;
}

/* A map of distinct nonzero addresses to their first position in v, and
 * uidx[k] = that position for every k (SIZE_MAX for address 0).  0 or -1. */
static int addr_index(const uintptr_t *v, size_t n, hs_addrmap *m, size_t *uidx)
{
    if (hs_addrmap_reserve(m, n + 1) < 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        uint64_t at;
        if (!v[k]) {
            uidx[k] = SIZE_MAX;
        } else if (hs_addrmap_get(m, v[k], &at)) {
            uidx[k] = (size_t)at;
        } else {
            hs_addrmap_put(m, v[k], k); /* reserved: cannot fail */
            uidx[k] = k;
        }
    }
    return 0;
}

static SnapshotObject *snap_arg(PyObject *o, const char *fn)
{
    if (!PyObject_TypeCheck(o, &HS_SnapshotType)) {
        PyErr_Format(PyExc_TypeError, "%s() expects Snapshots, not %.100s", fn, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return (SnapshotObject *)o;
}

static uintptr_t rec_type(const SnapshotObject *s, size_t i) { return s->rows[rec_row(&s->recs[i])].type; }
static long long rec_len(const SnapshotObject *s, size_t i) { return s->lens ? (long long)s->lens[i] : -1; }

/* ---- 2. old_changes ------------------------------------------------------------------ */

/*
 * Alive in both, relaxed: same address and type and, with creation serials
 * of one series, the same serial; without them a GC-tracked object must have
 * been found in the permanent generation in both (find_leaks freezes the old
 * heap: a young object at an old address is a new one), an untracked one is
 * taken as the same (its size may differ: that is the point).  A dict may be
 * untracked in the old walk and tracked in the new one (dicts are tracked once
 * they hold a container); any other type never goes from untracked to tracked.
 */
typedef struct {
    const SnapshotObject *o, *n;
    int exact, lens;
    size_t (*pairs)[2]; /* (new record, old record) */
    size_t np, cap;
    int oom;
} changes;

static void change_pair(void *ctx, size_t j, size_t i)
{
    changes *c = ctx;
    if (j == HS_NO_MATCH)
        return;
    const SnapshotObject *o = c->o, *n = c->n;
    const rec_t *q = &o->recs[j], *r = &n->recs[i];
    if (rec_size(q) == rec_size(r) && (!c->lens || o->lens[j] == n->lens[i]))
        return;
    const srow_t *nr = &n->rows[rec_row(r)];
    if (o->rows[rec_row(q)].type != nr->type)
        return;
    if (c->exact) {
        if (o->serials[j] != n->serials[i])
            return;
    } else if (rec_tracked(q)) {
        if (!rec_tracked(r) || rec_gen(q) != 3 || rec_gen(r) != 3)
            return;
    } else if (rec_tracked(r) && !nr->is_dict) {
        return;
    }
    if (c->np == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        void *p = realloc(c->pairs, cap * sizeof(*c->pairs));
        if (!p) {
            c->oom = 1;
            return;
        }
        c->pairs = p;
        c->cap = cap;
    }
    c->pairs[c->np][0] = i;
    c->pairs[c->np][1] = j;
    c->np++;
}

static int pair_cmp(const void *x, const void *y)
{
    const size_t *a = x, *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

PyObject *hs_old_changes(PyObject *old, PyObject *new_)
{
    SnapshotObject *o = snap_arg(old, "old_changes"), *n = o ? snap_arg(new_, "old_changes") : NULL;
    if (!n)
        return NULL;
    if (o->origin != n->origin) {
        PyErr_SetString(PyExc_ValueError, "old_changes(): the snapshots come from different processes");
        return NULL;
    }
    changes c;
    memset(&c, 0, sizeof(c));
    c.o = o;
    c.n = n;
    c.exact = o->serials && n->serials && o->series == n->series;
    c.lens = o->lens && n->lens;
    if (hs_snap_match(o, n, change_pair, &c) < 0 || c.oom) {
        free(c.pairs);
        return PyErr_NoMemory();
    }
    if (c.np > 1)
        qsort(c.pairs, c.np, sizeof(*c.pairs), pair_cmp); /* those found out of step came last */
    PyObject *out = PyList_New((Py_ssize_t)c.np);
    for (size_t k = 0; out && k < c.np; k++) {
        size_t i = c.pairs[k][0], j = c.pairs[k][1];
        const srow_t *row = &n->rows[rec_row(&n->recs[i])];
        PyObject *t = Py_BuildValue("(kOOnnLL)", (unsigned long)n->recs[i].addr, n->labels[row->label],
                                    n->labels[row->dlabel], rec_size(&o->recs[j]), rec_size(&n->recs[i]),
                                    rec_len(o, j), rec_len(n, i));
        if (!t)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)k, t);
    }
    free(c.pairs);
    return out;
}

/* ---- 3. record_series ------------------------------------------------------------- */

PyObject *hs_record_series(PyObject *snaps, PyObject *addrs)
{
    PyObject *sf = PySequence_Fast(snaps, "record_series(snaps, addrs): snaps must be a sequence of Snapshots");
    if (!sf)
        return NULL;
    size_t ns = (size_t)PySequence_Fast_GET_SIZE(sf), na = 0;
    for (size_t s = 0; s < ns; s++) {
        SnapshotObject *sn = snap_arg(PySequence_Fast_GET_ITEM(sf, s), "record_series");
        if (!sn) {
            Py_DECREF(sf);
            return NULL;
        }
        if (sn->origin != ((SnapshotObject *)PySequence_Fast_GET_ITEM(sf, 0))->origin) {
            PyErr_SetString(PyExc_ValueError, "record_series(): the snapshots come from different processes");
            Py_DECREF(sf);
            return NULL;
        }
    }
    uintptr_t *v = addrs_arg(addrs, "record_series(snaps, addrs): addrs must be a sequence of ints", &na);
    if (!v) {
        Py_DECREF(sf);
        return NULL;
    }
    hs_addrmap m = {0};
    size_t *uidx = malloc((na + 1) * sizeof(size_t));
    size_t *at = malloc((na * ns + 1) * sizeof(size_t)); /* at[s * na + u]: record of u in s, or SIZE_MAX */
    uintptr_t *type = malloc((na + 1) * sizeof(uintptr_t));
    PyObject *out = NULL;
    if (!uidx || !at || !type || addr_index(v, na, &m, uidx) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t k = 0; k < na * ns; k++)
        at[k] = SIZE_MAX;
    for (size_t s = 0; s < ns && na; s++) {
        const SnapshotObject *sn = (SnapshotObject *)PySequence_Fast_GET_ITEM(sf, s);
        size_t *row = &at[s * na];
        for (size_t i = 0; i < sn->n; i++) {
            uint64_t u;
            if (hs_addrmap_get(&m, sn->recs[i].addr, &u))
                row[u] = i;
        }
    }
    for (size_t u = 0; u < na; u++) { /* the type at u in the first snapshot that has it */
        type[u] = 0;
        for (size_t s = 0; s < ns && !type[u]; s++)
            if (at[s * na + u] != SIZE_MAX)
                type[u] = rec_type((SnapshotObject *)PySequence_Fast_GET_ITEM(sf, s), at[s * na + u]);
    }
    out = PyList_New((Py_ssize_t)na);
    for (size_t k = 0; out && k < na; k++) {
        PyObject *series = PyList_New((Py_ssize_t)ns);
        for (size_t s = 0; series && s < ns; s++) {
            const SnapshotObject *sn = (SnapshotObject *)PySequence_Fast_GET_ITEM(sf, s);
            size_t u = uidx[k], i = u == SIZE_MAX ? SIZE_MAX : at[s * na + u];
            PyObject *t;
            if (i == SIZE_MAX || rec_type(sn, i) != type[u]) {
                Py_INCREF(Py_None);
                t = Py_None;
            } else if (!(t = Py_BuildValue("(nL)", rec_size(&sn->recs[i]), rec_len(sn, i)))) {
                Py_CLEAR(series);
                break;
            }
            PyList_SET_ITEM(series, (Py_ssize_t)s, t);
        }
        if (!series)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)k, series);
    }
done:
    hs_addrmap_free(&m);
    free(uidx);
    free(at);
    free(type);
    free(v);
    Py_DECREF(sf);
    return out;
}

/* ---- 4. leak_groups --------------------------------------------------------------- */

enum { F_NEW = 1, F_LEAK = 2, F_DONE = 4 };
#define ACC_ROOT 0xFFFFFFFFu /* the dominator chain is new up to the virtual root */
#define ACC_NONE 0xFFFFFFFEu /* no old node found: no accumulation point */

typedef struct {
    uint32_t acc;          /* node, or ACC_NONE */
    size_t count;
    Py_ssize_t size;
    uint64_t retained;
    size_t order;          /* its index in the result */
    int container;         /* given as a container: listed first, in the order given */
    size_t first;          /* containers: position in the argument */
} group_t;

typedef struct {
    uint32_t node, group, depth;
} member_t;

static int member_cmp(const void *x, const void *y)
{
    const member_t *a = x, *b = y;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    return (a->node > b->node) - (a->node < b->node);
}

static int group_cmp(const void *x, const void *y)
{
    const group_t *a = *(const group_t *const *)x, *b = *(const group_t *const *)y;
    if (a->container != b->container)
        return a->container ? -1 : 1;
    if (a->container)
        return (a->first > b->first) - (a->first < b->first);
    if ((a->acc == ACC_NONE) != (b->acc == ACC_NONE))
        return a->acc == ACC_NONE ? 1 : -1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return (a->acc > b->acc) - (a->acc < b->acc);
}

static uint32_t member_group(void *ctx, uint32_t v) { return ((const uint32_t *)ctx)[v]; }

/* Scratch arrays of leak_groups, all from bigmem. */
typedef struct {
    uint8_t *flags;
    uint32_t *acc, *depth, *stack, *bacc;
    size_t bytes[5];
} scratch;

static void scratch_free(scratch *w)
{
    hs_big_free(w->flags, w->bytes[0]);
    hs_big_free(w->acc, w->bytes[1]);
    hs_big_free(w->depth, w->bytes[2]);
    hs_big_free(w->stack, w->bytes[3]);
    hs_big_free(w->bacc, w->bytes[4]);
}

/* The fallback: for every new node, the first old node found backwards
 * through new nodes, by one multi-source breadth-first search forwards from
 * the old referrers of new nodes (the same nearest old referrer as a search
 * backwards from each node, in O(nodes + edges) for all).  bacc[v] = that
 * node, or ACC_NONE.  queue: n entries.  0 or -1. */
static void nearest_old(const hs_graph *g, const uint8_t *flags, uint32_t *bacc, uint32_t *queue)
{
    size_t head = 0, tail = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        bacc[v] = ACC_NONE;
        if (!(flags[v] & F_NEW))
            continue;
        for (uint32_t e = g->rev_off[v]; e < g->rev_off[v + 1]; e++)
            if (!(flags[g->rev[e]] & F_NEW)) {
                bacc[v] = g->rev[e];
                queue[tail++] = v;
                break;
            }
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t e = g->fwd_off[v]; e < g->fwd_off[v + 1]; e++) {
            uint32_t w = g->fwd[e];
            if ((flags[w] & F_NEW) && bacc[w] == ACC_NONE) {
                bacc[w] = bacc[v];
                queue[tail++] = w;
            }
        }
    }
}

/* For leaking node v: its accumulation point on the dominator chain
 * (w->acc[v]: node, or ACC_ROOT) and its depth under it, memoized along the
 * chain so that every node is climbed once. */
static void climb(scratch *w, const uint32_t *idom, uint32_t v)
{
    size_t sp = 0;
    uint32_t u = v, base, depth;
    for (;;) {
        w->stack[sp++] = u;
        uint32_t d = idom[u];
        if (d >= HS_DOM_UNREACHABLE) {
            base = ACC_ROOT;
            depth = 0;
            break;
        }
        if (!(w->flags[d] & F_NEW)) {
            base = d;
            depth = 0;
            break;
        }
        if (w->flags[d] & F_DONE) {
            base = w->acc[d];
            depth = w->depth[d];
            break;
        }
        u = d;
    }
    while (sp) {
        u = w->stack[--sp];
        w->acc[u] = base;
        w->depth[u] = ++depth;
        w->flags[u] |= F_DONE;
    }
}

PyObject *hs_leak_groups(PyObject *diff, PyObject *labels, PyObject *containers)
{
    SnapshotObject *base, *s;
    const size_t *newidx;
    size_t nnew, ncont = 0;
    if (hs_diff_parts(diff, &base, &s, &newidx, &nnew) < 0)
        return NULL;
    if (!PyAnySet_Check(labels)) {
        PyErr_SetString(PyExc_TypeError, "leak_groups(diff, labels, containers): labels must be a set or frozenset");
        return NULL;
    }
    if (!s->graph) {
        PyErr_SetString(PyExc_ValueError, "leak_groups(): the diff's new snapshot has no graph "
                                          "(take it with graph_snapshot())");
        return NULL;
    }
    if (s->loaded || base->loaded) {
        PyErr_SetString(PyExc_ValueError, "leak_groups(): needs snapshots of this process, not loaded ones");
        return NULL;
    }
    uintptr_t *cont = addrs_arg(containers, "leak_groups(): containers must be a sequence of ints", &ncont);
    if (!cont)
        return NULL;
    hs_graph *g = s->graph;
    uint32_t n = g->n;
    scratch w;
    memset(&w, 0, sizeof(w));
    hs_addrmap cmap = {0}, gmap = {0};
    size_t *cuidx = malloc((ncont + 1) * sizeof(size_t));
    uint32_t *cnode = malloc((ncont + 1) * sizeof(uint32_t));
    char *leakrow = calloc(s->nrows + 1, 1);
    group_t *groups = NULL, **order = NULL;
    member_t *members = NULL;
    size_t ngroups = 0, nmembers = 0;
    PyObject *gl = NULL, *ml = NULL, *out = NULL;
    if (!cuidx || !cnode || !leakrow)
        goto oom;
    /* which rows leak: by their detailed label */
    for (size_t r = 0; r < s->nrows; r++) {
        if (!s->rows[r].count)
            continue;
        int in = PySet_Contains(labels, s->labels[s->rows[r].dlabel]);
        if (in < 0)
            goto fail;
        leakrow[r] = (char)in;
    }
    /* the containers' nodes */
    if (addr_index(cont, ncont, &cmap, cuidx) < 0)
        goto oom;
    for (size_t k = 0; k < ncont; k++)
        cnode[k] = ACC_NONE;
    for (uint32_t v = 0; v < n && ncont; v++) {
        uint64_t u;
        if (hs_addrmap_get(&cmap, s->recs[v].addr, &u))
            cnode[u] = v;
    }
    for (size_t k = 0; k < ncont; k++)
        if (cuidx[k] == SIZE_MAX || cnode[cuidx[k]] == ACC_NONE) {
            char hex[32];
            snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)cont[k]);
            PyErr_Format(PyExc_ValueError, "leak_groups(): container address %s is not an object of the "
                                           "diff's new snapshot", hex);
            goto fail;
        }
    /* dominators, then the accumulation point of every leaking node */
    uint64_t unused;
    if (n && hs_snapshot_retained((PyObject *)s, 0, &unused) < 0)
        goto fail;
    w.flags = hs_big_alloc((size_t)n + 1, &w.bytes[0]);
    w.acc = hs_big_alloc(((size_t)n + 1) * sizeof(uint32_t), &w.bytes[1]);
    w.depth = hs_big_alloc(((size_t)n + 1) * sizeof(uint32_t), &w.bytes[2]);
    w.stack = hs_big_alloc(((size_t)n + 1) * sizeof(uint32_t), &w.bytes[3]);
    if (!w.flags || !w.acc || !w.depth || !w.stack)
        goto oom;
    size_t nleak = 0;
    for (size_t k = 0; k < nnew; k++) {
        size_t v = newidx[k];
        w.flags[v] = F_NEW;
        if (leakrow[rec_row(&s->recs[v])]) {
            w.flags[v] |= F_LEAK;
            nleak++;
        }
    }
    int fallback = 0;
    for (size_t k = 0; k < nnew; k++) {
        uint32_t v = (uint32_t)newidx[k];
        if (!(w.flags[v] & F_LEAK))
            continue;
        if (!(w.flags[v] & F_DONE))
            climb(&w, g->idom, v);
        fallback |= w.acc[v] == ACC_ROOT;
    }
    if (fallback) {
        if (!(w.bacc = hs_big_alloc(((size_t)n + 1) * sizeof(uint32_t), &w.bytes[4])))
            goto oom;
        nearest_old(g, w.flags, w.bacc, w.stack); /* the stack is free again: the queue */
    }
    /* groups: the containers', then one per accumulation point */
    groups = calloc(ncont + nleak + 1, sizeof(group_t));
    members = malloc((nleak + 1) * sizeof(member_t));
    if (!groups || !members || hs_addrmap_reserve(&gmap, ncont + nleak + 1) < 0)
        goto oom;
    for (size_t k = 0; k < ncont; k++) {
        uint32_t v = cnode[cuidx[k]];
        uint64_t gi;
        if (hs_addrmap_get(&gmap, (uintptr_t)v + 1, &gi))
            continue;
        hs_addrmap_put(&gmap, (uintptr_t)v + 1, ngroups);
        groups[ngroups].acc = v;
        groups[ngroups].container = 1;
        groups[ngroups].first = k;
        ngroups++;
    }
    uint32_t *grp = w.stack; /* node -> group, HS_NO_GROUP: not a member */
    for (uint32_t v = 0; v < n; v++)
        grp[v] = HS_NO_GROUP;
    for (size_t k = 0; k < nnew; k++) {
        uint32_t v = (uint32_t)newidx[k];
        if (!(w.flags[v] & F_LEAK))
            continue;
        uint32_t a = w.acc[v] == ACC_ROOT ? w.bacc[v] : w.acc[v];
        uint64_t gi;
        if (!hs_addrmap_get(&gmap, (uintptr_t)a + 1, &gi)) {
            gi = ngroups;
            hs_addrmap_put(&gmap, (uintptr_t)a + 1, gi);
            groups[ngroups++].acc = a;
        }
        groups[gi].count++;
        groups[gi].size += rec_size(&s->recs[v]);
        grp[v] = (uint32_t)gi;
        members[nmembers].node = v;
        members[nmembers].group = (uint32_t)gi;
        members[nmembers].depth = w.depth[v];
        nmembers++;
    }
    uint64_t *ret = calloc(ngroups + 1, sizeof(uint64_t));
    if (!ret)
        goto oom;
    if (ngroups && hs_graph_group_retained(g, member_group, grp, ngroups, ret) < 0) {
        free(ret);
        goto oom;
    }
    for (size_t k = 0; k < ngroups; k++)
        groups[k].retained = groups[k].count ? ret[k] : 0;
    free(ret);
    /* result order: containers as given, then by members' size; members by group, depth */
    order = malloc((ngroups + 1) * sizeof(group_t *));
    if (!order)
        goto oom;
    for (size_t k = 0; k < ngroups; k++)
        order[k] = &groups[k];
    qsort(order, ngroups, sizeof(*order), group_cmp);
    for (size_t k = 0; k < ngroups; k++)
        order[k]->order = k;
    for (size_t k = 0; k < nmembers; k++)
        members[k].group = (uint32_t)groups[members[k].group].order;
    qsort(members, nmembers, sizeof(*members), member_cmp);
    gl = PyList_New((Py_ssize_t)ngroups);
    for (size_t k = 0; gl && k < ngroups; k++) {
        const group_t *gr = order[k];
        PyObject *t;
        if (gr->acc == ACC_NONE) {
            t = Py_BuildValue("(kOOLnnK)", 0UL, Py_None, Py_None, -1LL, (Py_ssize_t)gr->count, gr->size,
                              (unsigned long long)gr->retained);
        } else {
            const srow_t *row = &s->rows[rec_row(&s->recs[gr->acc])];
            t = Py_BuildValue("(kOOLnnK)", (unsigned long)s->recs[gr->acc].addr, s->labels[row->label],
                              s->labels[row->dlabel], rec_len(s, gr->acc), (Py_ssize_t)gr->count, gr->size,
                              (unsigned long long)gr->retained);
        }
        if (!t)
            Py_CLEAR(gl);
        else
            PyList_SET_ITEM(gl, (Py_ssize_t)k, t);
    }
    ml = gl ? PyList_New((Py_ssize_t)nmembers) : NULL;
    for (size_t k = 0; ml && k < nmembers; k++) {
        uint32_t v = members[k].node, d = g->idom[v];
        const group_t *gr = order[members[k].group];
        uintptr_t parent = d < HS_DOM_UNREACHABLE ? s->recs[d].addr : gr->acc == ACC_NONE ? 0 : s->recs[gr->acc].addr;
        const srow_t *row = &s->rows[rec_row(&s->recs[v])];
        PyObject *t = Py_BuildValue("(kIkIOOn)", (unsigned long)s->recs[v].addr, (unsigned)members[k].group,
                                    (unsigned long)parent, (unsigned)members[k].depth, s->labels[row->label],
                                    s->labels[row->dlabel], rec_size(&s->recs[v]));
        if (!t)
            Py_CLEAR(ml);
        else
            PyList_SET_ITEM(ml, (Py_ssize_t)k, t);
    }
    if (ml)
        out = PyTuple_Pack(2, gl, ml);
    goto fail;
oom:
    PyErr_NoMemory();
fail:
    Py_XDECREF(gl);
    Py_XDECREF(ml);
    scratch_free(&w);
    hs_addrmap_free(&cmap);
    hs_addrmap_free(&gmap);
    free(cont);
    free(cuidx);
    free(cnode);
    free(leakrow);
    free(groups);
    free(order);
    free(members);
    return out;
}

/* ---- 5. native_memory ------------------------------------------------------------- */

/* glibc's struct mallinfo2 (2.33+) and struct mallinfo, declared here: both
 * are looked up at run time, so this builds (and runs) on any libc. */
struct hs_mallinfo2 {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct hs_mallinfo {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

PyObject *hs_native_memory(void)
{
    static int looked;
    static struct hs_mallinfo2 (*mi2)(void);
    static struct hs_mallinfo (*mi)(void);
    if (!looked) {
        void *p = dlsym(RTLD_DEFAULT, "mallinfo2");
        memcpy(&mi2, &p, sizeof(p));
        if (!mi2) {
            p = dlsym(RTLD_DEFAULT, "mallinfo");
            memcpy(&mi, &p, sizeof(p));
        }
        looked = 1;
    }
    long long used = -1;
    if (mi2) {
        struct hs_mallinfo2 m = mi2();
        used = (long long)(m.uordblks + m.hblkhd);
    } else if (mi) {
        struct hs_mallinfo m = mi(); /* int fields wrap past 2 GiB: read them as unsigned */
        used = (long long)((unsigned)m.uordblks + (unsigned long long)(unsigned)m.hblkhd);
    }
    /* sys.getallocatedblocks(): _Py_GetAllocatedBlocks is not exported since 3.12 */
    PyObject *fn = PySys_GetObject("getallocatedblocks"); /* borrowed */
    PyObject *blocks = fn ? PyObject_CallNoArgs(fn) : NULL;
    if (!blocks) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "native_memory(): no sys.getallocatedblocks");
        return NULL;
    }
    PyObject *out = Py_BuildValue("(LN)", used, blocks);
    return out;
}

/* ---- 6. objects_at ---------------------------------------------------------------- */

typedef struct {
    hs_addrmap want;  /* address -> its first position */
    PyObject **found; /* by first position */
} finder;

static int find_emit(hs_walker *w, PyObject *op, hs_typeinfo *Py_UNUSED(ti))
{
    finder *f = (finder *)w->ctx;
    uint64_t k;
    if (hs_addrmap_get(&f->want, (uintptr_t)op, &k))
        f->found[k] = op;
    return 0;
}

PyObject *hs_objects_at(PyObject *addrs)
{
    size_t n = 0;
    uintptr_t *v = addrs_arg(addrs, "objects_at(addrs): addrs must be a sequence of ints", &n);
    if (!v)
        return NULL;
    finder f;
    memset(&f, 0, sizeof(f));
    size_t *uidx = malloc((n + 1) * sizeof(size_t));
    f.found = calloc(n + 1, sizeof(PyObject *));
    PyObject *out = NULL;
    if (!uidx || !f.found || addr_index(v, n, &f.want, uidx) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    hs_walker w;
    memset(&w, 0, sizeof(w));
    int was = hs_gc_pause();
    if (hs_walk_run(&w, find_emit, &f) == 0) {
        /* the collector still paused: nothing found can die before it is held */
        out = PyList_New((Py_ssize_t)n);
        for (size_t k = 0; out && k < n; k++) {
            PyObject *o = uidx[k] == SIZE_MAX || !f.found[uidx[k]] ? Py_None : f.found[uidx[k]];
            Py_INCREF(o);
            PyList_SET_ITEM(out, (Py_ssize_t)k, o);
        }
    }
    hs_gc_resume(was);
    hs_walk_release(&w);
done:
    hs_addrmap_free(&f.want);
    free(f.found);
    free(uidx);
    free(v);
    return out;
}
