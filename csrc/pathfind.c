/*
 * pathfind.c -- one shortest retaining path without building the graph
 * (see pathfind.h).
 *
 * why_alive(obj, max_paths=1) needs a single shortest chain from a module or
 * frame root.  The whole reference graph (graph.c) costs a node map, forward
 * and reverse edges and in-degrees for every object; this search keeps only
 * the walk's seen-bitmap (visited.c) and one address per queued object.
 *
 * Sections:
 *   1. roots     sys.modules and the references of running frames, chosen as
 *                graph.c chooses them (hs_graph_frame_root); they are the
 *                first level, in the graph's root order
 *   2. search    breadth-first, level by level, over exactly the referents a
 *                walk follows (hs_walk_referents); objects without referents
 *                are never queued (they can end a path, not pass one on); it
 *                stops at the first level that refers to the object
 *   3. chain     rebuilt backwards: in each earlier level, an object that
 *                refers to the current one; strong references are taken
 *                before the collector resumes or any Python code runs
 *
 * No Python object is created until the chain is known; the collector is
 * paused throughout.  When no module or frame root reaches the object (it is
 * held from outside the heap, or only by a frame's own variable), the caller
 * falls back to the graph, which knows those roots.
 */
#include "pathfind.h"
#include "bigmem.h"
#include "vec.h"
#include <string.h>

typedef struct {
    hs_walker w;          /* its type table and hs_walk_referents only        */
    hs_visited seen;
    PyObject *target;
    PyObject **q;         /* bigmem: queued objects, level after level        */
    size_t nq, qbytes;
    hs_root *roots;       /* roots[i]: the root of q[i] for the first level   */
    size_t nroots, caproots;
    const void *caller;   /* hs_graph_frame_root's state                      */
    PyObject *parent;     /* search: the first queued object seen referring to
                             target; chain: set when `want` is met           */
    PyObject *want;       /* chain: the object whose referrer is looked for   */
    PyObject *current;    /* the queued object whose referents are listed     */
    int oom;
} finder;

static int queue(finder *f, PyObject *op)
{
    if ((f->nq + 1) * sizeof(PyObject *) > f->qbytes) {
        PyObject **q = hs_big_resize(f->q, &f->qbytes, 2 * f->qbytes);
        if (!q) {
            f->oom = 1;
            return -1;
        }
        f->q = q;
    }
    f->q[f->nq++] = op;
    return 0;
}

/* A newly met object worth queueing: a node of the walk with referents. */
static int fresh(finder *f, PyObject *op, int need_referents)
{
    int seen = hs_visited_test_and_set(&f->seen, op);
    if (seen) {
        if (seen < 0)
            f->oom = 1;
        return 0;
    }
    hs_typeinfo *ti = hs_typeinfo_get(&f->w, Py_TYPE(op));
    if (!ti) {
        f->oom = 1;
        return 0;
    }
    return hs_walk_is_node(&f->w, op, ti) && (!need_referents || hs_has_referents(ti));
}

/* ---- 1. roots -------------------------------------------------------------------- */

static int add_root(finder *f, PyObject *op, const hs_root *r)
{
    if (hs_vec_grow((void **)&f->roots, f->nroots, &f->caproots, sizeof(hs_root), 256) < 0 || queue(f, op) < 0) {
        f->oom = 1;
        return -1;
    }
    f->roots[f->nroots++] = *r;
    return 0;
}

static void frame_root(void *ctx, const hs_holder *h, PyObject *value)
{
    finder *f = (finder *)ctx;
    if (f->oom || !hs_graph_frame_root(h, &f->caller))
        return;
    /* The object itself in a frame's variable says nothing (the caller's own
     * variable, most often): look further, as the graph search does. */
    if (value == f->target || !fresh(f, value, 0))
        return;
    hs_root r;
    memset(&r, 0, sizeof(r));
    r.kind = ROOT_FRAME;
    r.thread = h->thread;
    r.on_stack = h->slot != HS_SLOT_LOCAL;
    r.code = (PyObject *)h->co; /* borrowed until the chain is known */
    r.name = h->name;
    add_root(f, value, &r);
}

static void find_roots(finder *f)
{
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    Py_ssize_t pos = 0;
    PyObject *name, *mod;
    while (modules && PyDict_Check(modules) && PyDict_Next(modules, &pos, &name, &mod) && !f->oom) {
        if (!fresh(f, mod, 0))
            continue;
        hs_root r;
        memset(&r, 0, sizeof(r));
        r.kind = ROOT_MODULE;
        r.name = name;
        add_root(f, mod, &r);
    }
    hs_walk_frame_locals(frame_root, f);
}

/* ---- 2. search ------------------------------------------------------------------- */

static void meet(hs_walker *w, PyObject *child)
{
    finder *f = (finder *)w->edge_ctx;
    if (child == f->target) {
        if (!f->parent)
            f->parent = f->current;
        return;
    }
    if (fresh(f, child, 1))
        queue(f, child);
}

/* Level after level until one refers to the target: the index where each
 * level starts (levels[0] = 0), their number in *nlevels; 0, or -1 on OOM. */
static int search(finder *f, size_t **levels, size_t *nlevels)
{
    size_t cap = 0, n = 0, start = 0;
    *levels = NULL;
    while (start < f->nq && !f->parent && !f->oom) {
        if (hs_vec_grow((void **)levels, n, &cap, sizeof(size_t), 64) < 0)
            return -1;
        (*levels)[n++] = start;
        size_t end = f->nq;
        for (size_t i = start; i < end && !f->parent && !f->oom; i++) {
            if (i + 8 < end)
                __builtin_prefetch(f->q[i + 8]);
            f->current = f->q[i];
            hs_walk_referents(&f->w, f->current, meet, f);
        }
        start = end;
    }
    *nlevels = n;
    return f->oom || f->w.oom ? -1 : 0;
}

/* ---- 3. chain -------------------------------------------------------------------- */

static void spot(hs_walker *w, PyObject *child)
{
    finder *f = (finder *)w->edge_ctx;
    if (child == f->want)
        f->parent = f->current;
}

/* The chain root .. target as a new list of strong references, root index in
 * *root; levels as search left them, the last one holding f->parent. */
static PyObject **rebuild(finder *f, const size_t *levels, size_t nlevels, size_t *len, size_t *root)
{
    PyObject **chain = malloc((nlevels + 1) * sizeof(PyObject *));
    if (!chain)
        return NULL;
    size_t k = nlevels + 1;
    chain[--k] = f->target;
    chain[--k] = f->parent;
    for (size_t lv = nlevels - 1; lv-- > 0;) {
        f->want = chain[k];
        f->parent = NULL;
        size_t end = levels[lv + 1];
        for (size_t i = levels[lv]; i < end && !f->parent; i++) {
            f->current = f->q[i];
            hs_walk_referents(&f->w, f->current, spot, f);
        }
        if (!f->parent) { /* cannot happen: the object was queued from this level */
            free(chain);
            return NULL;
        }
        chain[--k] = f->parent;
    }
    for (size_t i = 0; i < f->nroots; i++) /* the first level: the roots */
        if (f->q[i] == chain[0]) {
            *root = i;
            break;
        }
    *len = nlevels + 1;
    return chain;
}

int hs_pathfind(PyObject *obj, PyObject *ignore, hs_root *root, PyObject **objs)
{
    if (hs_walk_refused() < 0)
        return -1;
    finder *f = calloc(1, sizeof(*f));
    if (!f) {
        PyErr_NoMemory();
        return -1;
    }
    int found = 0, gc_was = hs_gc_pause();
    size_t *levels = NULL, nlevels = 0, len = 0, ri = (size_t)-1;
    PyObject **chain = NULL;
    f->target = obj;
    hs_typeinfo *ti;
    if (hs_visited_begin(&f->seen) < 0 || !(f->q = hs_big_alloc(4096 * sizeof(PyObject *), &f->qbytes)) ||
        !(ti = hs_typeinfo_get(&f->w, Py_TYPE(obj))))
        goto oom;
    if (!hs_walk_is_node(&f->w, obj, ti))
        goto done; /* heapscope's own, or a running frame: the graph says so */
    if (ignore)
        hs_visited_test_and_set(&f->seen, ignore); /* heapscope's own argument: no way through */
    find_roots(f);
    if (f->oom)
        goto oom;
    for (size_t i = 0; i < f->nroots; i++)
        if (f->q[i] == obj) { /* a module itself */
            *root = f->roots[i];
            chain = malloc(sizeof(PyObject *));
            if (!chain)
                goto oom;
            chain[0] = obj;
            len = 1;
            ri = i;
            break;
        }
    if (!chain) {
        if (search(f, &levels, &nlevels) < 0)
            goto oom;
        if (f->parent && !(chain = rebuild(f, levels, nlevels, &len, &ri)))
            goto oom;
    }
    if (chain && ri < f->nroots) {
        /* Strong references first: nothing on the chain may go away once
         * Python code can run (labels, the collector). */
        PyObject *list = PyList_New((Py_ssize_t)len);
        if (!list)
            goto fail;
        for (size_t i = 0; i < len; i++) {
            Py_INCREF(chain[i]);
            PyList_SET_ITEM(list, (Py_ssize_t)i, chain[i]);
        }
        *root = f->roots[ri];
        Py_XINCREF(root->name);
        Py_XINCREF(root->code);
        *objs = list;
        found = 1;
    }
    goto done;
oom:
    PyErr_NoMemory();
fail:
    found = -1;
done:
    free(chain);
    free(levels);
    free(f->roots);
    hs_big_free(f->q, f->qbytes);
    hs_visited_end(&f->seen);
    hs_walk_release(&f->w);
    free(f);
    hs_gc_resume(gc_was);
    return found;
}
