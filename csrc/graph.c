/*
 * graph.c -- the reference graph of one walk, and its roots (see graph.h).
 *
 * Sections:
 *   1. edges     every node's referents through the walk's own traversal
 *                (walk.c, hs_walk_referents), mapped to nodes by address
 *   2. reverse   predecessors by a counting sort
 *   3. roots     sys.modules, running frames' locals, references from outside
 *                (reference count above the in-degree, frame references and
 *                heapscope's own temporary references)
 *   4. retained  sizes over the dominator tree (dominators.c), on demand; the
 *                tree (idom) is kept for retained sizes per label
 */
#include "graph.h"
#include "dominators.h"
#include "nodemap.h"
#include "bigmem.h"
#include "vec.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. edges ----------------------------------------------------------------- */

typedef struct {
    hs_nodemap index;       /* address -> node */
    uint32_t *fwd;          /* bigmem: grown in place, becomes g->fwd */
    size_t nfwd, fwdbytes;
    int oom;
} builder;

static void add_edge(hs_walker *w, PyObject *child)
{
    builder *b = (builder *)w->edge_ctx;
    uint64_t v;
    if (!hs_nodemap_get(&b->index, (uintptr_t)child, &v))
        return; /* not a node: heapscope's own, or a running frame */
    if ((b->nfwd + 1) * sizeof(uint32_t) > b->fwdbytes) {
        uint32_t *f = hs_big_resize(b->fwd, &b->fwdbytes, 2 * b->fwdbytes);
        if (!f) {
            b->oom = 1;
            return;
        }
        b->fwd = f;
    }
    b->fwd[b->nfwd++] = (uint32_t)v;
}

static uint32_t *big_u32(size_t n, size_t *bytes) { return hs_big_alloc(n * sizeof(uint32_t), bytes); }

/* ---- 2. reverse ---------------------------------------------------------------- */

/* Reverse offsets: in-degrees, summed (a counting sort's first half). */
static int reverse_offsets(hs_graph *g)
{
    if (!(g->rev_off = big_u32((size_t)g->n + 1, &g->bytes[2])))
        return -1;
    for (size_t e = 0; e < g->nedges; e++)
        g->rev_off[g->fwd[e] + 1]++;
    for (size_t v = 0; v < g->n; v++)
        g->rev_off[v + 1] += g->rev_off[v];
    return 0;
}

/* Reverse edges, once the offsets are there (its second half). */
static int reverse_edges(hs_graph *g)
{
    size_t n = g->n;
    if (!(g->rev = big_u32(g->nedges + 1, &g->bytes[3])))
        return -1;
    for (size_t u = 0; u < n; u++)
        for (uint32_t e = g->fwd_off[u]; e < g->fwd_off[u + 1]; e++)
            g->rev[g->rev_off[g->fwd[e]]++] = (uint32_t)u;
    for (size_t v = n; v > 0; v--) /* the fill moved each offset to the next one's start */
        g->rev_off[v] = g->rev_off[v - 1];
    g->rev_off[0] = 0;
    return 0;
}

int hs_graph_reverse(hs_graph *g)
{
    return reverse_offsets(g) < 0 || reverse_edges(g) < 0 ? -1 : 0;
}

/* ---- 3. roots (declarations used while building) ------------------------------- */

/* A new root entry for node (root_of not set). */
static int push_root(hs_graph *g, uint32_t node, int kind)
{
    if (hs_vec_grow((void **)&g->roots, g->nroots, &g->caproots, sizeof(hs_root), 256) < 0)
        return -1;
    hs_root *r = &g->roots[g->nroots++];
    memset(r, 0, sizeof(*r));
    r->node = node;
    r->kind = kind;
    return 0;
}

static int add_root(hs_graph *g, uint32_t node, int kind)
{
    if (g->root_of[node])
        return 0;
    if (push_root(g, node, kind) < 0)
        return -1;
    g->root_of[node] = (uint32_t)g->nroots;
    return 0;
}

/* Code of heapscope's own entry points: their frames' locals are not roots. */
static PyObject *hidden[32];
static int nhidden;

int hs_graph_hide_frames(PyObject *code)
{
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "hide_frames() expects a code object");
        return -1;
    }
    if (nhidden == (int)(sizeof(hidden) / sizeof(hidden[0]))) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: too many hidden frames");
        return -1;
    }
    Py_INCREF(code);
    hidden[nhidden++] = code;
    return 0;
}

static int is_hidden(PyCodeObject *co)
{
    for (int i = 0; i < nhidden; i++)
        if (hidden[i] == (PyObject *)co)
            return 1;
    return 0;
}

typedef struct {
    hs_graph *g;
    builder *b;
    int32_t *refs;  /* per node: references accounted for */
    int oom;
    const void *caller; /* the calling thread's innermost frame not heapscope's own */
} frame_ctx;

int hs_graph_frame_root(const hs_holder *h, const void **caller)
{
    int hidden = is_hidden(h->co);
    if (h->mine && !hidden && !*caller) /* innermost first: this frame called heapscope */
        *caller = h->frame;
    /* The operands of the caller's call into heapscope (its argument, mostly)
     * are heapscope's own business, as its own frames' locals are. */
    return !(hidden || (h->slot == HS_SLOT_OPERAND && h->frame == *caller));
}

static void frame_local(void *ctx, const hs_holder *h, PyObject *value)
{
    frame_ctx *f = (frame_ctx *)ctx;
    uint64_t v;
    if (f->oom)
        return;
    int root = hs_graph_frame_root(h, &f->caller);
    if (!hs_nodemap_get(&f->b->index, (uintptr_t)value, &v))
        return;
    f->refs[v]++;
    if (!root || f->g->root_of[v])
        return;
    if (add_root(f->g, (uint32_t)v, ROOT_FRAME) < 0) {
        f->oom = 1;
        return;
    }
    hs_root *r = &f->g->roots[f->g->nroots - 1];
    r->thread = h->thread;
    r->on_stack = h->slot != HS_SLOT_LOCAL;
    r->code = (PyObject *)h->co;
    r->name = h->name;
    Py_INCREF(h->co);
    Py_XINCREF(h->name);
}

/* References heapscope itself holds right now (label keys, deferred objects). */
static void own_refs(hs_accum *a, builder *b, int32_t *refs)
{
    uint64_t v;
    for (size_t i = 0; i < a->nrows; i++) {
        PyObject *keys[3] = {(PyObject *)a->rows[i].type, a->rows[i].extra, a->rows[i].extra2};
        for (int k = 0; k < 3; k++)
            if (keys[k] && hs_nodemap_get(&b->index, (uintptr_t)keys[k], &v))
                refs[v]++;
    }
    for (size_t i = 0; i < a->ndef; i++)
        if (hs_nodemap_get(&b->index, (uintptr_t)a->def[i].op, &v))
            refs[v]++;
}

hs_graph *hs_graph_build(hs_accum *a, const uintptr_t *addrs, size_t stride, size_t n)
{
    if (n >= 0xFFFFFFF0u) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: too many objects for a graph");
        return NULL;
    }
    hs_graph *g = calloc(1, sizeof(*g));
    builder b;
    memset(&b, 0, sizeof(b));
    int32_t *refs = NULL;
    size_t refs_bytes = 0;
    if (!g || hs_nodemap_build(&b.index, addrs, stride, n) < 0 ||
        !(b.fwd = hs_big_alloc(2 * n * sizeof(uint32_t) + 4096, &b.fwdbytes)))
        goto oom;
    g->n = (uint32_t)n;
    if (!(g->fwd_off = big_u32(n + 1, &g->bytes[0])))
        goto oom;
    for (size_t i = 0; i < n && !b.oom; i++) {
        g->fwd_off[i] = (uint32_t)b.nfwd;
        hs_walk_referents(&a->w, (PyObject *)addrs[i * stride], add_edge, &b);
        if (b.nfwd >= 0xFFFFFFF0u) {
            PyErr_SetString(PyExc_RuntimeError, "heapscope: too many references for a graph");
            goto fail;
        }
    }
    if (b.oom)
        goto oom;
    g->fwd_off[n] = (uint32_t)b.nfwd;
    g->nedges = b.nfwd;
    uint32_t *shrunk = hs_big_resize(b.fwd, &b.fwdbytes, (b.nfwd + 1) * sizeof(uint32_t));
    g->fwd = shrunk ? shrunk : b.fwd;
    g->bytes[1] = b.fwdbytes;
    b.fwd = NULL;

    /* ---- 2. reverse: offsets (in-degrees) now, the edges once the roots are known ---- */
    if (reverse_offsets(g) < 0)
        goto oom;

    /* ---- 3. roots ---- */
    if (!(g->root_of = big_u32(n, &g->bytes[4])) || !(refs = hs_big_alloc(n * sizeof(int32_t), &refs_bytes)))
        goto oom;
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    Py_ssize_t pos = 0;
    PyObject *name, *mod;
    while (modules && PyDict_Check(modules) && PyDict_Next(modules, &pos, &name, &mod)) {
        uint64_t v;
        if (!hs_nodemap_get(&b.index, (uintptr_t)mod, &v) || g->root_of[v])
            continue;
        if (add_root(g, (uint32_t)v, ROOT_MODULE) < 0)
            goto oom;
        g->roots[g->nroots - 1].name = name;
        Py_INCREF(name);
    }
    frame_ctx fc = {g, &b, refs, 0, NULL};
    hs_walk_frame_locals(frame_local, &fc);
    if (fc.oom)
        goto oom;
    own_refs(a, &b, refs);
    for (size_t v = 0; v < n; v++) {
        Py_ssize_t extra = Py_REFCNT((PyObject *)addrs[v * stride]) - (Py_ssize_t)(g->rev_off[v + 1] - g->rev_off[v]) -
                           refs[v];
        if (extra <= 0)
            continue;
        uint32_t held = g->root_of[v];
        if (held && g->roots[held - 1].kind != ROOT_FRAME)
            continue;
        /* A frame's own variable may be held from outside as well: why_alive of
         * the caller's variable then still finds the outside holder. */
        if ((held ? push_root(g, (uint32_t)v, ROOT_OUTSIDE) : add_root(g, (uint32_t)v, ROOT_OUTSIDE)) < 0)
            goto oom;
        g->roots[g->nroots - 1].refs = extra;
        if (held)
            g->roots[held - 1].also_outside = (uint32_t)g->nroots;
    }
    hs_big_free(refs, refs_bytes);
    refs = NULL;
    refs_bytes = 0;
    hs_nodemap_free(&b.index); /* before the reverse edges: lower peak memory */

    /* ---- 2 (end). reverse edges ---- */
    if (reverse_edges(g) < 0)
        goto oom;
    return g;
oom:
    PyErr_NoMemory();
fail:
    hs_big_free(refs, refs_bytes);
    hs_nodemap_free(&b.index);
    hs_big_free(b.fwd, b.fwdbytes);
    hs_graph_free(g);
    return NULL;
}

int hs_root_label(hs_root *r)
{
    int rc = 0;
    if (!r->label) {
        if (r->kind == ROOT_MODULE) {
            r->label = PyUnicode_FromFormat("sys.modules[%R]", r->name);
            if (PyUnicode_Check(r->name) &&
                !(r->modname = PyUnicode_FromKindAndData(PyUnicode_KIND(r->name), PyUnicode_DATA(r->name),
                                                         PyUnicode_GET_LENGTH(r->name))))
                PyErr_Clear();
        }
        else if (r->kind == ROOT_FRAME)
            r->label = r->on_stack ? PyUnicode_FromFormat("thread %d, %U(), evaluation stack", r->thread,
                                                          hs_code_qualname((PyCodeObject *)r->code))
                     : PyUnicode_FromFormat("thread %d, %U(), local %U", r->thread,
                                            hs_code_qualname((PyCodeObject *)r->code),
                                            r->name && PyUnicode_Check(r->name) ? r->name : Py_None);
        else
            r->label = PyUnicode_FromFormat("held outside the Python heap (%zd reference%s)", r->refs,
                                            r->refs == 1 ? "" : "s");
        if (!r->label) {
            PyErr_Clear();
            r->label = PyUnicode_FromString("?");
            rc = r->label ? 0 : -1;
        }
    }
    Py_CLEAR(r->name);
    Py_CLEAR(r->code);
    return rc;
}

int hs_graph_labels(hs_graph *g)
{
    int rc = 0;
    for (size_t i = 0; i < g->nroots; i++) {
        hs_root *r = &g->roots[i];
        if (!rc)
            rc = hs_root_label(r);
        Py_CLEAR(r->name);
        Py_CLEAR(r->code);
    }
    return rc;
}

/* ---- 4. retained ------------------------------------------------------------- */

const uint64_t *hs_graph_retained(hs_graph *g, uint64_t (*size)(void *, uint32_t), void *ctx)
{
    if (g->retained)
        return g->retained;
    size_t ib = 0, rb = 0, nb = 0;
    uint32_t *idom = hs_big_alloc((size_t)g->n * sizeof(uint32_t), &ib);
    uint64_t *ret = hs_big_alloc((size_t)g->n * sizeof(uint64_t), &rb); /* own sizes first */
    uint32_t *roots = hs_big_alloc((g->nroots + 1) * sizeof(uint32_t), &nb);
    hs_csr csr = {g->n, g->fwd_off, g->fwd};
    int ok = idom && ret && roots;
    if (ok) {
        size_t nr = 0;
        for (size_t i = 0; i < g->nroots; i++)
            if (g->roots[i].kind != ROOT_IGNORED)
                roots[nr++] = g->roots[i].node;
        ok = hs_dominators(&csr, roots, nr, idom) == 0;
        for (uint32_t v = 0; ok && v < g->n; v++)
            ret[v] = size(ctx, v);
        ok = ok && hs_retained_sizes(&csr, idom, ret, ret) == 0;
    }
    hs_big_free(roots, nb);
    if (!ok) {
        hs_big_free(idom, ib);
        hs_big_free(ret, rb);
        return NULL;
    }
    g->retained = ret;
    g->bytes[5] = rb;
    g->idom = idom;
    g->bytes[6] = ib;
    return ret;
}

int hs_graph_group_retained(hs_graph *g, uint32_t (*group)(void *, uint32_t), void *ctx, size_t ngroups,
                            uint64_t *out)
{
    if (!g->retained || !g->idom)
        return -1;
    return hs_group_retained(g->n, g->idom, g->retained, group, ctx, ngroups, out);
}

const char *hs_graph_edge_name(const hs_graph *g, size_t e)
{
    if (!g->names || !g->ename || e >= g->nedges)
        return NULL;
    return hs_strtab_get(g->names, g->ename[e]);
}

size_t hs_graph_nbytes(const hs_graph *g)
{
    size_t b = sizeof(*g) + g->caproots * sizeof(hs_root) + (g->names ? hs_strtab_nbytes(g->names) : 0);
    for (size_t i = 0; i < sizeof(g->bytes) / sizeof(g->bytes[0]); i++)
        b += g->bytes[i];
    return b;
}

void hs_graph_free(hs_graph *g)
{
    if (!g)
        return;
    hs_big_free(g->fwd_off, g->bytes[0]);
    hs_big_free(g->fwd, g->bytes[1]);
    hs_big_free(g->rev_off, g->bytes[2]);
    hs_big_free(g->rev, g->bytes[3]);
    hs_big_free(g->root_of, g->bytes[4]);
    hs_big_free(g->retained, g->bytes[5]);
    hs_big_free(g->idom, g->bytes[6]);
    hs_big_free(g->ename, g->bytes[7]);
    if (g->names)
        hs_strtab_free(g->names);
    free(g->names);
    for (size_t i = 0; i < g->nroots; i++) {
        Py_XDECREF(g->roots[i].name);
        Py_XDECREF(g->roots[i].code);
        Py_XDECREF(g->roots[i].label);
        Py_XDECREF(g->roots[i].modname);
    }
    free(g->roots);
    free(g);
}
