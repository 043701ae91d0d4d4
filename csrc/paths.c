/*
 * paths.c -- retaining paths (see paths.h).
 *
 * Sections:
 *   1. search   breadth-first over the reverse edges from the object until
 *               enough roots are met (module and frame roots end a branch,
 *               objects held from outside are kept as a fallback); runs as the
 *               snapshot's graph hook, so every address is still valid, and
 *               takes strong references to the objects of the paths chosen
 *   2. edges    how a parent refers to a child, found by looking at the two
 *               objects only (dict key, index, attribute, cell, ...); an
 *               instance __dict__ is never materialized
 *   3. entry point
 */
#include "paths.h"
#include "snapshot.h"
#include "graph.h"
#include "bigmem.h"
#include <string.h>

#define UNSEEN 0xFFFFFFFFu
#define MAX_PATHS 64

/* ---- 1. search -------------------------------------------------------------------- */

typedef struct {
    int max_paths;
    Py_ssize_t ntargets;
    PyObject **targets;      /* borrowed from the caller's sequence           */
    int *npaths;             /* per target                                    */
    int (*root)[MAX_PATHS];  /* per target: root index into g->roots         */
    PyObject *(*objs)[MAX_PATHS]; /* per target: list root object .. target (strong) */
} why_ctx;

static int choose(why_ctx *c, Py_ssize_t k, const uint32_t *parent, const uintptr_t *addrs, size_t stride,
                  hs_graph *g, uint32_t v)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return -1;
    for (uint32_t u = v;; u = parent[u]) {
        if (PyList_Append(list, (PyObject *)addrs[(size_t)u * stride]) < 0) {
            Py_DECREF(list);
            return -1;
        }
        if (parent[u] == u)
            break;
    }
    c->root[k][c->npaths[k]] = (int)g->root_of[v] - 1;
    c->objs[k][c->npaths[k]++] = list;
    return 0;
}

/* Paths of target k: BFS backwards from its node t.  A module or frame root
 * ends a branch; objects held from outside are used only when no module or
 * frame root retains the object at all. */
static int search_one(why_ctx *c, Py_ssize_t k, uint32_t t, const uintptr_t *addrs, size_t stride, hs_graph *g,
                      uint32_t *parent, uint32_t *queue)
{
    uint32_t fallback[MAX_PATHS];
    int nfallback = 0, rc = 0;
    memset(parent, 0xFF, (size_t)g->n * sizeof(uint32_t));
    parent[t] = t;
    size_t head = 0, tail = 0;
    queue[tail++] = t;
    while (head < tail && c->npaths[k] < c->max_paths) {
        uint32_t v = queue[head++];
        uint32_t r = g->root_of[v];
        if (r) {
            if (g->roots[r - 1].kind != ROOT_OUTSIDE) {
                if ((rc = choose(c, k, parent, addrs, stride, g, v)) < 0)
                    return rc;
                continue;
            }
            if (nfallback < c->max_paths)
                fallback[nfallback++] = v;
        }
        for (uint32_t e = g->rev_off[v]; e < g->rev_off[v + 1]; e++) {
            uint32_t u = g->rev[e];
            if (parent[u] == UNSEEN) {
                parent[u] = v;
                queue[tail++] = u;
            }
        }
    }
    for (int i = 0; rc == 0 && i < nfallback && c->npaths[k] == 0; i++)
        rc = choose(c, k, parent, addrs, stride, g, fallback[i]);
    return rc;
}

static int search(void *ctx, const uintptr_t *addrs, size_t stride, hs_graph *g)
{
    why_ctx *c = (why_ctx *)ctx;
    size_t pb = 0, qb = 0;
    uint32_t *parent = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &pb);
    uint32_t *queue = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &qb);
    int rc = 0;
    if (!parent || !queue) {
        hs_big_free(parent, pb);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; rc == 0 && k < c->ntargets; k++) {
        uint32_t t = UNSEEN;
        for (uint32_t i = 0; i < g->n; i++)
            if (addrs[(size_t)i * stride] == (uintptr_t)c->targets[k]) {
                t = i;
                break;
            }
        if (t != UNSEEN) /* else not on the heap: heapscope's own, or a running frame */
            rc = search_one(c, k, t, addrs, stride, g, parent, queue);
    }
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    return rc;
}

/* ---- 2. edges --------------------------------------------------------------------- */

/* ("key", repr(key)) / ("attr", name) / ("index", i) / ("item", text): how p refers to c. */
static PyObject *edge(PyObject *p, PyObject *c)
{
    PyTypeObject *tp = Py_TYPE(p);
    if (PyDict_Check(p)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(p, &pos, &k, &v)) {
            if (v == c)
                return Py_BuildValue("(sO)", "key", k);
            if (k == c)
                return Py_BuildValue("(ss)", "item", " (a key)");
        }
    } else if (PyList_Check(p) || PyTuple_Check(p)) {
        Py_ssize_t n = PyList_Check(p) ? PyList_GET_SIZE(p) : PyTuple_GET_SIZE(p);
        PyObject **items = PyList_Check(p) ? ((PyListObject *)p)->ob_item : ((PyTupleObject *)p)->ob_item;
        for (Py_ssize_t i = 0; i < n; i++)
            if (items[i] == c)
                return Py_BuildValue("(sn)", "index", i);
    } else if (PyAnySet_Check(p)) {
        return Py_BuildValue("(ss)", "item", " (a member)");
    } else if (PyModule_Check(p)) {
        if (PyModule_GetDict(p) == c)
            return Py_BuildValue("(ss)", "attr", "__dict__");
    } else if (PyMethod_Check(p)) {
        return Py_BuildValue("(ss)", "attr", PyMethod_GET_SELF(p) == c ? "__self__" : "__func__");
    } else if (PyCell_Check(p)) {
        return Py_BuildValue("(ss)", "attr", "cell_contents");
    } else if (PyFunction_Check(p)) {
        PyFunctionObject *f = (PyFunctionObject *)p;
        PyObject *cl = f->func_closure;
        for (Py_ssize_t i = 0; cl && PyTuple_Check(cl) && i < PyTuple_GET_SIZE(cl); i++)
            if (PyTuple_GET_ITEM(cl, i) == c && f->func_code && PyCode_Check(f->func_code)) {
                PyObject *name = hs_code_freevar((PyCodeObject *)f->func_code, i);
                return name ? Py_BuildValue("(sN)", "attr", PyUnicode_FromFormat("<cell %U>", name)) : NULL;
            }
        const char *a = c == f->func_globals ? "__globals__" : c == f->func_defaults ? "__defaults__"
                      : c == f->func_kwdefaults ? "__kwdefaults__" : c == f->func_code ? "__code__"
                      : c == f->func_dict ? "__dict__" : c == f->func_closure ? "__closure__" : NULL;
        if (a)
            return Py_BuildValue("(ss)", "attr", a);
    } else if (PyType_Check(p)) {
        PyTypeObject *t = (PyTypeObject *)p;
        const char *a = c == t->tp_dict ? "__dict__" : c == t->tp_mro ? "__mro__" : c == t->tp_bases ? "__bases__"
                      : c == (PyObject *)t->tp_base ? "__base__" : NULL;
        if (a)
            return Py_BuildValue("(ss)", "attr", a);
    }
    if (!PyType_Check(p) && hs_instance_dict(p, tp) == c)
        return Py_BuildValue("(ss)", "attr", "__dict__");
    PyObject *name = hs_inline_attr_name(p, c);
    if (name)
        return Py_BuildValue("(sO)", "attr", name);
    for (PyTypeObject *b = tp; b; b = b->tp_base) /* __slots__ and other object members */
        for (PyMemberDef *m = b->tp_members; m && m->name; m++)
            if ((m->type == T_OBJECT || m->type == T_OBJECT_EX) && !(m->flags & READONLY && m->offset == 0) &&
                *(PyObject **)((char *)p + m->offset) == c)
                return Py_BuildValue("(ss)", "attr", m->name);
    return Py_BuildValue("(ss)", "item", "");
}

/* ---- 3. entry point ------------------------------------------------------------- */

/* The paths of one target as [(kind, root label, objects, edges)]. */
static PyObject *target_paths(why_ctx *c, Py_ssize_t k, hs_graph *g)
{
    static const char *kinds[] = {"", "module", "frame", "outside"};
    PyObject *out = PyList_New(0);
    for (int i = 0; out && i < c->npaths[k]; i++) {
        PyObject *objs = c->objs[k][i];
        Py_ssize_t n = PyList_GET_SIZE(objs);
        PyObject *edges = PyList_New(n ? n - 1 : 0);
        for (Py_ssize_t j = 0; edges && j + 1 < n; j++) {
            PyObject *e = edge(PyList_GET_ITEM(objs, j), PyList_GET_ITEM(objs, j + 1));
            if (!e)
                Py_CLEAR(edges);
            else
                PyList_SET_ITEM(edges, j, e);
        }
        hs_root *r = &g->roots[c->root[k][i]];
        PyObject *t = edges ? Py_BuildValue("(sOOO)", kinds[r->kind], r->label, objs, edges) : NULL;
        Py_XDECREF(edges);
        if (!t || PyList_Append(out, t) < 0)
            Py_CLEAR(out);
        Py_XDECREF(t);
    }
    return out;
}

PyObject *hs_why_alive(PyObject *objs, int max_paths)
{
    PyObject *seq = PySequence_Fast(objs, "why_alive() expects a sequence of objects");
    if (!seq)
        return NULL;
    why_ctx c;
    memset(&c, 0, sizeof(c));
    c.max_paths = max_paths < 1 ? 1 : max_paths > MAX_PATHS ? MAX_PATHS : max_paths;
    c.ntargets = PySequence_Fast_GET_SIZE(seq);
    c.targets = PySequence_Fast_ITEMS(seq);
    c.npaths = calloc((size_t)c.ntargets + 1, sizeof(int));
    c.root = calloc((size_t)c.ntargets + 1, sizeof(*c.root));
    c.objs = calloc((size_t)c.ntargets + 1, sizeof(*c.objs));
    PyObject *snap = NULL, *out = NULL;
    if (!c.npaths || !c.root || !c.objs)
        PyErr_NoMemory();
    else
        snap = hs_snapshot_take(0, 1, search, &c);
    hs_graph *g = snap ? hs_snapshot_graph(snap) : NULL;
    out = g ? PyList_New(c.ntargets) : NULL;
    for (Py_ssize_t k = 0; out && k < c.ntargets; k++) {
        PyObject *p = target_paths(&c, k, g);
        if (!p)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, k, p);
    }
    for (Py_ssize_t k = 0; c.npaths && k < c.ntargets; k++)
        for (int i = 0; i < c.npaths[k]; i++)
            Py_DECREF(c.objs[k][i]);
    free(c.npaths);
    free(c.root);
    free(c.objs);
    Py_XDECREF(snap);
    Py_DECREF(seq);
    return out;
}
