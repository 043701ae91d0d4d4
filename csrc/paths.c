/*
 * paths.c -- retaining paths (see paths.h).
 *
 * Sections:
 *   1. search   breadth-first over the reverse edges from the object until
 *               enough roots are met (module and frame roots end a branch,
 *               objects held from outside are kept as a fallback); runs as the
 *               snapshot's graph hook, so every address is still valid, and
 *               takes strong references to the objects of the paths chosen
 *   2. edges    how a parent refers to a child (edges.c), as Python tuples
 *   3. entry point   one fresh walk and graph for all the objects asked about
 *   4. stored graph  paths over a graph snapshot, followed forward from live
 *                    roots so that no recorded address is ever dereferenced;
 *                    by object (why_alive) or by node (top_retainers)
 *   5. stored only   the same search over recorded data alone (heap files,
 *                    paths_at): steps named by label, references by the
 *                    graph's stored edge names
 */
#include "paths.h"
#include "records.h"
#include "graph.h"
#include "edges.h"
#include "pathfind.h"
#include "bigmem.h"
#include <stdio.h>
#include <string.h>

#define UNSEEN 0xFFFFFFFFu
#define MAX_PATHS 64

/* ---- 1. search -------------------------------------------------------------------- */

/* One path as nodes, root first. */
typedef struct {
    int root;        /* index into g->roots */
    uint32_t len;
    uint32_t *nodes;
} chain;

typedef struct {
    chain c[MAX_PATHS];
    int n;
} chains;

static void chains_free(chains *cs)
{
    for (int i = 0; i < cs->n; i++)
        free(cs->c[i].nodes);
    cs->n = 0;
}

/* The chain from v (a root's node) to the target; root: index into g->roots. */
static int take_chain(chains *cs, const uint32_t *parent, int root, uint32_t v)
{
    uint32_t len = 1;
    for (uint32_t u = v; parent[u] != u; u = parent[u])
        len++;
    uint32_t *nodes = malloc(len * sizeof(uint32_t));
    if (!nodes)
        return -1;
    uint32_t i = 0;
    for (uint32_t u = v;; u = parent[u]) {
        nodes[i++] = u;
        if (parent[u] == u)
            break;
    }
    cs->c[cs->n].root = root;
    cs->c[cs->n].len = len;
    cs->c[cs->n].nodes = nodes;
    cs->n++;
    return 0;
}

/* BFS backwards from node t.  A module or frame root ends a branch; objects
 * held from outside, and t itself held by a frame, are used only when no
 * module or frame root retains t.
 * parent and queue hold g->n entries each. */
static int search_graph(hs_graph *g, uint32_t t, uint32_t ignore, int max_paths, chains *cs, uint32_t *parent,
                        uint32_t *queue)
{
    uint32_t outside[MAX_PATHS], outside_root[MAX_PATHS];
    int noutside = 0, own_local = 0;
    memset(parent, 0xFF, (size_t)g->n * sizeof(uint32_t));
    parent[t] = t;
    if (ignore != UNSEEN && ignore != t)
        parent[ignore] = ignore; /* never reached: heapscope's own argument */
    size_t head = 0, tail = 0;
    queue[tail++] = t;
    while (head < tail && cs->n < max_paths) {
        uint32_t v = queue[head++];
        uint32_t r = g->root_of[v];
        int kind = r ? g->roots[r - 1].kind : 0;
        if (kind == ROOT_IGNORED)
            kind = 0;
        if (kind == ROOT_FRAME && v == t) {
            /* The object itself being a local of a running frame (the caller's
             * own variable, most often) says nothing: look further. */
            own_local = 1;
            uint32_t o = g->roots[r - 1].also_outside;
            if (o && noutside < max_paths) {
                outside_root[noutside] = o - 1;
                outside[noutside++] = v;
            }
        } else if (kind == ROOT_OUTSIDE) {
            if (noutside < max_paths) {
                outside_root[noutside] = r - 1;
                outside[noutside++] = v;
            }
        } else if (kind) {
            if (take_chain(cs, parent, (int)r - 1, v) < 0)
                return -1;
            continue; /* a module or frame root ends its branch */
        }
        for (uint32_t e = g->rev_off[v]; e < g->rev_off[v + 1]; e++) {
            uint32_t u = g->rev[e];
            if (parent[u] == UNSEEN) {
                parent[u] = v;
                queue[tail++] = u;
            }
        }
    }
    if (cs->n == 0)
        for (int i = 0; i < noutside; i++)
            if (take_chain(cs, parent, (int)outside_root[i], outside[i]) < 0)
                return -1;
    if (cs->n == 0 && own_local && take_chain(cs, parent, (int)g->root_of[t] - 1, t) < 0)
        return -1;
    return 0;
}

static uint32_t find_node(const uintptr_t *addrs, size_t stride, uint32_t n, PyObject *obj)
{
    for (uint32_t i = 0; i < n; i++)
        if (addrs[(size_t)i * stride] == (uintptr_t)obj)
            return i;
    return UNSEEN;
}

typedef struct {
    int max_paths;
    Py_ssize_t ntargets;
    PyObject *seq;      /* the caller's sequence: not a retainer */
    PyObject **targets; /* borrowed from it; NULL: targets by address and type */
    const uintptr_t *want_addr, *want_type; /* targets known only by address and type */
    uint32_t *node;     /* per target: its node, or UNSEEN */
    chains *found;      /* per target */
    PyObject **objs;    /* per target: a list of lists of objects, root first (strong) */
} why_ctx;

/* The graph hook of a fresh walk: addresses are valid, so the objects of the
 * chosen chains are taken as strong references right away. */
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
    uint32_t ignore = find_node(addrs, stride, g->n, c->seq);
    if (ignore != UNSEEN && g->root_of[ignore]) /* held by this call: not a root */
        g->roots[g->root_of[ignore] - 1].kind = ROOT_IGNORED;
    for (Py_ssize_t k = 0; rc == 0 && k < c->ntargets; k++) {
        uint32_t t;
        if (c->targets) {
            t = find_node(addrs, stride, g->n, c->targets[k]);
        } else { /* an object of this walk at the address (valid now), of the same type */
            t = find_node(addrs, stride, g->n, (PyObject *)c->want_addr[k]);
            if (t != UNSEEN && (uintptr_t)Py_TYPE((PyObject *)addrs[(size_t)t * stride]) != c->want_type[k])
                t = UNSEEN;
        }
        c->node[k] = t;
        if (t == UNSEEN) /* not on the heap: heapscope's own, or a running frame */
            continue;
        chains *cs = &c->found[k];
        rc = search_graph(g, t, ignore, c->max_paths, cs, parent, queue);
        for (int i = 0; rc == 0 && i < cs->n; i++) {
            PyObject *list = PyList_New(cs->c[i].len);
            if (!list) {
                rc = -1;
                break;
            }
            for (uint32_t j = 0; j < cs->c[i].len; j++) {
                PyObject *o = (PyObject *)addrs[(size_t)cs->c[i].nodes[j] * stride];
                Py_INCREF(o);
                PyList_SET_ITEM(list, j, o);
            }
            if (!c->objs[k] && !(c->objs[k] = PyList_New(0)))
                rc = -1;
            if (rc < 0 || PyList_Append(c->objs[k], list) < 0)
                rc = -1;
            Py_DECREF(list);
        }
    }
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    return rc;
}

/* ---- 2. edges --------------------------------------------------------------------- */

/* ("key", key) / ("attr", name) / ("index", i) / ("item", text): how p refers
 * to c (edges.c), as the tuple paths.py formats. */
static PyObject *edge(PyObject *p, PyObject *c)
{
    hs_edge e;
    hs_edge_find(p, c, &e);
    switch (e.kind) {
    case HS_EDGE_KEY:
        return Py_BuildValue("(sO)", "key", e.obj);
    case HS_EDGE_INDEX:
        return Py_BuildValue("(sn)", "index", e.index);
    case HS_EDGE_ATTR:
        if (e.cell)
            return Py_BuildValue("(sN)", "attr", PyUnicode_FromFormat("<cell %U>", e.obj));
        return e.obj ? Py_BuildValue("(sO)", "attr", e.obj) : Py_BuildValue("(ss)", "attr", e.text);
    default:
        return Py_BuildValue("(ss)", "item", e.text);
    }
}

PyObject *hs_edge_tuple(PyObject *parent, PyObject *child) { return edge(parent, child); }

/* ---- 3. entry point ------------------------------------------------------------- */

/* (kind, root label, objects, edges) of one chain; r labelled. */
static PyObject *path_tuple(const hs_root *r, PyObject *objs)
{
    static const char *kinds[] = {"", "module", "frame", "outside"};
    Py_ssize_t n = PyList_GET_SIZE(objs);
    PyObject *edges = PyList_New(n ? n - 1 : 0);
    for (Py_ssize_t j = 0; edges && j + 1 < n; j++) {
        PyObject *e = edge(PyList_GET_ITEM(objs, j), PyList_GET_ITEM(objs, j + 1));
        if (!e)
            Py_CLEAR(edges);
        else
            PyList_SET_ITEM(edges, j, e);
    }
    PyObject *t = edges ? Py_BuildValue("(sOOO)", kinds[r->kind], r->label, objs, edges) : NULL;
    Py_XDECREF(edges);
    return t;
}

/* [(kind, root label, objects, edges)] of one target's chains. */
static PyObject *target_paths(const chains *cs, PyObject *objlists, hs_graph *g)
{
    PyObject *out = PyList_New(0);
    for (int i = 0; out && objlists && i < cs->n; i++) {
        PyObject *t = path_tuple(&g->roots[cs->c[i].root], PyList_GET_ITEM(objlists, i));
        if (!t || PyList_Append(out, t) < 0)
            Py_CLEAR(out);
        Py_XDECREF(t);
    }
    return out;
}

/* One shortest path without the graph (pathfind.c): 1 with *out set, 0 when
 * only the graph can tell, -1 on error. */
static int one_path(PyObject *obj, PyObject *seq, PyObject **out)
{
    hs_root r;
    PyObject *objs = NULL;
    memset(&r, 0, sizeof(r));
    int rc = hs_pathfind(obj, seq, &r, &objs);
    if (rc <= 0)
        return rc;
    PyObject *t = hs_root_label(&r) < 0 ? NULL : path_tuple(&r, objs);
    Py_XDECREF(r.label);
    Py_XDECREF(r.modname);
    Py_DECREF(objs);
    *out = t ? Py_BuildValue("[[N]]", t) : NULL;
    return *out ? 1 : -1;
}

PyObject *hs_why_alive(PyObject *objs, int max_paths, int retained, int graph)
{
    PyObject *seq = PySequence_Fast(objs, "why_alive() expects a sequence of objects");
    if (!seq)
        return NULL;
    if (max_paths == 1 && !retained && !graph && PySequence_Fast_GET_SIZE(seq) == 1) {
        PyObject *out = NULL;
        int rc = one_path(PySequence_Fast_GET_ITEM(seq, 0), objs, &out);
        if (rc != 0) {
            Py_DECREF(seq);
            return out;
        }
    }
    why_ctx c;
    memset(&c, 0, sizeof(c));
    c.max_paths = max_paths < 1 ? 1 : max_paths > MAX_PATHS ? MAX_PATHS : max_paths;
    c.ntargets = PySequence_Fast_GET_SIZE(seq);
    c.seq = objs;
    c.targets = PySequence_Fast_ITEMS(seq);
    c.found = calloc((size_t)c.ntargets + 1, sizeof(chains));
    c.objs = calloc((size_t)c.ntargets + 1, sizeof(PyObject *));
    c.node = malloc(((size_t)c.ntargets + 1) * sizeof(uint32_t));
    for (Py_ssize_t k = 0; c.node && k < c.ntargets; k++)
        c.node[k] = UNSEEN;
    PyObject *snap = NULL, *out = NULL;
    if (!c.found || !c.objs || !c.node)
        PyErr_NoMemory();
    else
        snap = hs_snapshot_take(0, 1, 0, search, &c);
    hs_graph *g = snap ? hs_snapshot_graph(snap) : NULL;
    out = g ? PyList_New(c.ntargets) : NULL;
    for (Py_ssize_t k = 0; out && k < c.ntargets; k++) {
        PyObject *p = target_paths(&c.found[k], c.objs[k], g);
        if (p && retained) { /* (paths, retained size); the sizes are settled by now */
            uint64_t size;
            PyObject *r = NULL;
            if (c.node[k] == UNSEEN) { /* not on the heap */
                r = Py_None;
                Py_INCREF(r);
            } else if (hs_snapshot_retained(snap, c.node[k], &size) == 0) {
                r = PyLong_FromUnsignedLongLong(size);
            }
            PyObject *pr = r ? PyTuple_Pack(2, p, r) : NULL;
            Py_XDECREF(r);
            Py_SETREF(p, pr);
        }
        if (!p)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, k, p);
    }
    for (Py_ssize_t k = 0; c.found && k < c.ntargets; k++) {
        chains_free(&c.found[k]);
        Py_XDECREF(c.objs[k]);
    }
    free(c.found);
    free(c.objs);
    free(c.node);
    Py_XDECREF(snap);
    Py_DECREF(seq);
    return out;
}

/* ---- 4. paths over a stored graph snapshot -------------------------------------
 * The snapshot's addresses may be stale, so they are never dereferenced: each
 * chain is followed forward from its live root (a module found again in
 * sys.modules by name), each next object being accepted only when the live
 * current object refers to an object at the recorded address.  A chain that
 * cannot be followed, or one from a frame or outside root, sends the question
 * to a fresh walk. */

typedef struct {
    uintptr_t want;
    PyObject *found;
} next_ctx;

static void match_child(hs_walker *w, PyObject *child)
{
    next_ctx *n = (next_ctx *)w->edge_ctx;
    if ((uintptr_t)child == n->want)
        n->found = child;
}

/* The live objects of a chain (a new list), or NULL (no exception) when stale. */
static PyObject *follow(hs_walker *w, const chain *ch, hs_graph *g, const uintptr_t *addrs, size_t stride)
{
    hs_root *r = &g->roots[ch->root];
    PyObject *modules = PyImport_GetModuleDict();
    if (r->kind != ROOT_MODULE || !r->modname || !modules)
        return NULL;
    PyObject *cur = PyDict_GetItemWithError(modules, r->modname);
    if (!cur || (uintptr_t)cur != addrs[(size_t)ch->nodes[0] * stride]) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *list = PyList_New(ch->len);
    if (!list) {
        PyErr_Clear();
        return NULL;
    }
    Py_INCREF(cur);
    PyList_SET_ITEM(list, 0, cur);
    for (uint32_t j = 1; j < ch->len; j++) {
        next_ctx n = {addrs[(size_t)ch->nodes[j] * stride], NULL};
        hs_walk_referents(w, cur, match_child, &n);
        if (!n.found) {
            Py_DECREF(list);
            return NULL;
        }
        Py_INCREF(n.found);
        PyList_SET_ITEM(list, j, n.found);
        cur = n.found;
    }
    return list;
}

/* Every chain of cs followed forward (collector paused), appended to lists;
 * -1 when one cannot be followed (the heap moved on) or on error. */
static int follow_all(hs_walker *w, const chains *cs, hs_graph *g, const uintptr_t *addrs, size_t stride,
                      PyObject *lists)
{
    int rc = 0, was = hs_gc_pause();
    for (int i = 0; rc == 0 && i < cs->n; i++) {
        PyObject *l = follow(w, &cs->c[i], g, addrs, stride);
        if (!l || PyList_Append(lists, l) < 0)
            rc = -1;
        Py_XDECREF(l);
    }
    hs_gc_resume(was);
    return rc;
}

PyObject *hs_snapshot_why_alive(PyObject *snap, PyObject *obj, int max_paths)
{
    hs_graph *g = hs_snapshot_graph(snap);
    size_t stride;
    const uintptr_t *addrs = hs_snapshot_addrs(snap, &stride);
    if (!g) {
        PyErr_SetString(PyExc_ValueError, "this snapshot has no graph: take it with heapscope.snapshot(graph=True)");
        return NULL;
    }
    max_paths = max_paths < 1 ? 1 : max_paths > MAX_PATHS ? MAX_PATHS : max_paths;
    uint32_t t = find_node(addrs, stride, g->n, obj);
    chains cs = {.n = 0};
    size_t pb = 0, qb = 0;
    uint32_t *parent = t == UNSEEN ? NULL : hs_big_alloc((size_t)g->n * sizeof(uint32_t), &pb);
    uint32_t *queue = parent ? hs_big_alloc((size_t)g->n * sizeof(uint32_t), &qb) : NULL;
    PyObject *lists = PyList_New(0), *out = NULL;
    int stale = t == UNSEEN || !queue || !lists;
    if (!stale && search_graph(g, t, UNSEEN, max_paths, &cs, parent, queue) < 0)
        stale = 1;
    hs_walker w;
    memset(&w, 0, sizeof(w));
    stale = stale || follow_all(&w, &cs, g, addrs, stride, lists) < 0;
    hs_walk_release(&w);
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    if (!stale && cs.n)
        out = target_paths(&cs, lists, g);
    chains_free(&cs);
    Py_XDECREF(lists);
    PyErr_Clear();
    if (out)
        return out;
    /* The heap moved on (or the snapshot cannot say): ask a fresh walk. */
    PyObject *one = PyTuple_Pack(1, obj);
    PyObject *fresh = one ? hs_why_alive(one, max_paths, 0, 0) : NULL;
    Py_XDECREF(one);
    if (!fresh)
        return NULL;
    out = PyList_GET_ITEM(fresh, 0);
    Py_INCREF(out);
    Py_DECREF(fresh);
    return out;
}

/* Paths of nodes of a graph snapshot, known by node only (top_retainers): the
 * stored chains followed forward from live module roots; the nodes whose
 * chains cannot be followed (frame or outside roots, or a heap that moved on)
 * are looked for again, all in one fresh walk, as the live object at the
 * recorded address with the recorded type. */
PyObject *hs_snapshot_node_paths(PyObject *snap, const uint32_t *nodes, const uintptr_t *types, size_t count,
                                 int max_paths)
{
    hs_graph *g = hs_snapshot_graph(snap);
    size_t stride;
    const uintptr_t *addrs = hs_snapshot_addrs(snap, &stride);
    if (!g || !addrs) {
        PyErr_SetString(PyExc_ValueError, "this snapshot has no graph: take it with heapscope.snapshot(graph=True)");
        return NULL;
    }
    max_paths = max_paths < 1 ? 1 : max_paths > MAX_PATHS ? MAX_PATHS : max_paths;
    PyObject *out = PyList_New((Py_ssize_t)count), *fresh = NULL;
    size_t pb = 0, qb = 0, npending = 0;
    uint32_t *parent = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &pb);
    uint32_t *queue = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &qb);
    size_t *pending = malloc((count + 1) * sizeof(size_t));
    uintptr_t *want = malloc((count + 1) * 2 * sizeof(uintptr_t));
    why_ctx c;
    memset(&c, 0, sizeof(c));
    if (!out || !parent || !queue || !pending || !want) {
        if (out)
            PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    hs_walker w;
    memset(&w, 0, sizeof(w));
    for (size_t k = 0; k < count; k++) {
        chains cs = {.n = 0};
        PyObject *lists = PyList_New(0), *p = NULL;
        int stale = !lists || nodes[k] >= g->n || search_graph(g, nodes[k], UNSEEN, max_paths, &cs, parent, queue) < 0;
        stale = stale || follow_all(&w, &cs, g, addrs, stride, lists) < 0;
        if (!stale && cs.n)
            p = target_paths(&cs, lists, g);
        chains_free(&cs);
        Py_XDECREF(lists);
        PyErr_Clear();
        if (!p) { /* a fresh walk will answer */
            p = Py_None;
            Py_INCREF(p);
            if (nodes[k] < g->n)
                pending[npending++] = k;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)k, p);
    }
    hs_walk_release(&w);
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    parent = queue = NULL;
    if (!npending)
        goto done;

    c.max_paths = max_paths;
    c.seq = out; /* holds what is found so far: not a retainer */
    c.ntargets = (Py_ssize_t)npending;
    c.want_addr = want;
    c.want_type = want + npending;
    for (size_t i = 0; i < npending; i++) {
        want[i] = addrs[(size_t)nodes[pending[i]] * stride];
        want[npending + i] = types[pending[i]];
    }
    c.found = calloc(npending + 1, sizeof(chains));
    c.objs = calloc(npending + 1, sizeof(PyObject *));
    c.node = malloc((npending + 1) * sizeof(uint32_t));
    if (!c.found || !c.objs || !c.node) {
        PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    for (size_t i = 0; i < npending; i++)
        c.node[i] = UNSEEN;
    fresh = hs_snapshot_take(0, 1, 0, search, &c);
    hs_graph *g2 = fresh ? hs_snapshot_graph(fresh) : NULL;
    if (!g2) {
        Py_CLEAR(out);
        goto done;
    }
    for (size_t i = 0; i < npending; i++) {
        if (c.node[i] == UNSEEN)
            continue; /* gone: no path */
        PyObject *p = target_paths(&c.found[i], c.objs[i], g2);
        if (!p) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SetItem(out, (Py_ssize_t)pending[i], p);
    }
done:
    for (size_t i = 0; c.found && i < (size_t)c.ntargets; i++) {
        chains_free(&c.found[i]);
        Py_XDECREF(c.objs[i]);
    }
    free(c.found);
    free(c.objs);
    free(c.node);
    Py_XDECREF(fresh);
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    free(pending);
    free(want);
    return out;
}

/* ---- 5. paths from the stored graph only ---------------------------------------
 * For loaded snapshots (heap files) and paths_at(): the same search over the
 * recorded graph; each step named by the object's detailed label and address,
 * each reference by the graph's stored edge name (None without names).  No
 * address is dereferenced. */

PyObject *hs_snapshot_paths_at(SnapshotObject *s, uintptr_t addr, int max_paths)
{
    static const char *kinds[] = {"", "module", "frame", "outside", "ignored"};
    hs_graph *g = s->graph;
    if (!g) {
        PyErr_SetString(PyExc_ValueError, "this snapshot has no graph: take it with heapscope.snapshot(graph=True)");
        return NULL;
    }
    max_paths = max_paths < 1 ? 1 : max_paths > MAX_PATHS ? MAX_PATHS : max_paths;
    uint32_t t = UNSEEN;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].addr == addr) {
            t = (uint32_t)i;
            break;
        }
    if (t == UNSEEN) {
        char msg[80];
        snprintf(msg, sizeof(msg), "no object at address 0x%llx in this snapshot", (unsigned long long)addr);
        PyErr_SetString(PyExc_ValueError, msg);
        return NULL;
    }
    chains cs = {.n = 0};
    size_t pb = 0, qb = 0;
    uint32_t *parent = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &pb);
    uint32_t *queue = parent ? hs_big_alloc((size_t)g->n * sizeof(uint32_t), &qb) : NULL;
    PyObject *out = NULL;
    if (!queue) {
        PyErr_NoMemory();
        goto done;
    }
    if (search_graph(g, t, UNSEEN, max_paths, &cs, parent, queue) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyList_New(0);
    for (int i = 0; out && i < cs.n; i++) {
        const chain *ch = &cs.c[i];
        PyObject *nodes = PyList_New(ch->len), *edges = PyList_New(ch->len ? ch->len - 1 : 0);
        for (uint32_t j = 0; nodes && edges && j < ch->len; j++) {
            uint32_t v = ch->nodes[j];
            const rec_t *r = &s->recs[v];
            PyObject *st = Py_BuildValue("(OK)", s->labels[s->rows[rec_row(r)].dlabel], (unsigned long long)r->addr);
            if (!st) {
                Py_CLEAR(nodes);
                break;
            }
            PyList_SET_ITEM(nodes, j, st);
            if (j + 1 == ch->len)
                break;
            const char *name = NULL;
            for (uint32_t e = g->fwd_off[v]; e < g->fwd_off[v + 1]; e++)
                if (g->fwd[e] == ch->nodes[j + 1]) {
                    name = hs_graph_edge_name(g, e);
                    break;
                }
            PyObject *en = name ? PyUnicode_DecodeUTF8(name, (Py_ssize_t)strlen(name), "replace") : Py_None;
            if (!en) {
                Py_CLEAR(edges);
                break;
            }
            if (en == Py_None)
                Py_INCREF(en);
            PyList_SET_ITEM(edges, j, en);
        }
        hs_root *r = &g->roots[ch->root];
        PyObject *tup = nodes && edges ? Py_BuildValue("(sOOO)", kinds[r->kind], r->label ? r->label : Py_None,
                                                       nodes, edges)
                                       : NULL;
        Py_XDECREF(nodes);
        Py_XDECREF(edges);
        if (!tup || PyList_Append(out, tup) < 0)
            Py_CLEAR(out);
        Py_XDECREF(tup);
    }
done:
    chains_free(&cs);
    hs_big_free(parent, pb);
    hs_big_free(queue, qb);
    return out;
}
