/*
 * snapshot.c -- taking a Snapshot, and the Snapshot type (see snapshot.h).
 * The record layout is in records.h; diffs between snapshots in diff.c.
 *
 * Sections:
 *   1. taking         one walk into records (records.h) and rows (accum.c),
 *                     optional container lengths, then labels
 *   2. Snapshot type  len, total_size, large_size, summary(), print(), diff(),
 *                     retained_size(), top_retainers(), why_alive(),
 *                     export_devtools(), export_jsonl() (export.c)
 */
#include "records.h"
#include "accum.h"
#include "addrmap.h"
#include "bigmem.h"
#include "graph.h"
#include "dominators.h"
#include "paths.h"
#include "edges.h"
#include "export.h"
#include "identity.h"
#include "sizes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- 1. taking -------------------------------------------------------------------- */

typedef struct {
    hs_accum a; /* first: the walk's ctx is the builder */
    SnapshotObject *s;
    size_t cap;
    int too_many_rows;
} builder;

/* Room for twice as many records (and lengths); 0 or -1. */
static int grow(builder *b)
{
    SnapshotObject *s = b->s;
    rec_t *nr = hs_big_resize(s->recs, &s->recs_bytes, 2 * b->cap * sizeof(rec_t));
    if (!nr)
        return -1;
    s->recs = nr;
    size_t cap = s->recs_bytes / sizeof(rec_t);
    if (s->lens) {
        uint32_t *nl = hs_big_resize(s->lens, &s->lens_bytes, cap * sizeof(uint32_t));
        if (!nl)
            return -1;
        s->lens = nl;
        if (s->lens_bytes / sizeof(uint32_t) < cap)
            cap = s->lens_bytes / sizeof(uint32_t);
    }
    b->cap = cap;
    return 0;
}

/* One object into a record; lens: a constant, so that each of the two emit
 * functions below has no per-object test of it. */
static inline __attribute__((always_inline)) int emit_one(hs_walker *w, PyObject *op, hs_typeinfo *ti, int lens)
{
    builder *b = (builder *)w->ctx;
    SnapshotObject *s = b->s;
    if (s->n == b->cap && grow(b) < 0)
        return -1;
    if (lens)
        s->lens[s->n] = hs_len_of(op, ti);
    Py_ssize_t size;
    Py_ssize_t row = hs_accum_add(&b->a, op, ti, s->n, &size);
    if (row < 0)
        return -1;
    if ((uint64_t)row >= MAX_ROWS) {
        b->too_many_rows = 1;
        return -1;
    }
    rec_t *r = &s->recs[s->n++];
    r->addr = (uintptr_t)op;
    int tracked = hs_is_tracked(op, ti);
    r->bits = rec_bits(size, tracked ? w->gen : -1, (size_t)row);
    s->nfrozen += tracked && w->gen == 3;
    s->large_size += size > 512 ? size : 0; /* deferred (-1): snap_sized */
    return 0;
}

static int snap_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti) { return emit_one(w, op, ti, 0); }
static int snap_emit_lens(hs_walker *w, PyObject *op, hs_typeinfo *ti) { return emit_one(w, op, ti, 1); }

static void snap_moved(void *ctx, size_t rec, size_t row)
{
    rec_t *r = &((SnapshotObject *)ctx)->recs[rec];
    r->bits = rec_bits(rec_size(r), rec_list(r), row);
}

static void snap_sized(void *ctx, size_t rec, Py_ssize_t size)
{
    SnapshotObject *s = ctx;
    rec_t *r = &s->recs[rec];
    r->bits = rec_bits(size, rec_list(r), rec_row(r));
    s->large_size += size > 512 ? size : 0;
}

/* Index of label in the snapshot's label table (deduplicated through index). */
static Py_ssize_t label_index(SnapshotObject *s, PyObject *index, PyObject *label)
{
    PyObject *at = PyDict_GetItemWithError(index, label);
    if (at)
        return PyLong_AsSsize_t(at);
    if (PyErr_Occurred())
        return -1;
    PyObject *k = PyLong_FromSize_t(s->nlabels);
    if (!k || PyDict_SetItem(index, label, k) < 0) {
        Py_XDECREF(k);
        return -1;
    }
    Py_DECREF(k);
    Py_INCREF(label);
    s->labels[s->nlabels] = label;
    return (Py_ssize_t)s->nlabels++;
}

/* Rows and label strings from the settled accumulator. */
static int snap_rows(SnapshotObject *s, hs_accum *a)
{
    s->nrows = a->nrows;
    s->rows = calloc(a->nrows ? a->nrows : 1, sizeof(srow_t));
    s->labels = calloc(2 * a->nrows + 1, sizeof(PyObject *));
    PyObject *index = PyDict_New();
    if (!s->rows || !s->labels || !index) {
        Py_XDECREF(index);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < a->nrows; i++) {
        hs_row *r = &a->rows[i];
        srow_t *sr = &s->rows[i];
        sr->type = (uintptr_t)r->type;
        sr->is_dict = PyType_IsSubtype(r->type, &PyDict_Type);
        sr->count = r->count;
        sr->size = r->size;
        s->total_size += r->size;
        if (r->count == 0)
            continue;
        Py_ssize_t l = label_index(s, index, a->rows[r->base].label);
        Py_ssize_t d = l < 0 ? -1 : label_index(s, index, r->label);
        if (d < 0) {
            Py_DECREF(index);
            return -1;
        }
        sr->label = (uint32_t)l;
        sr->dlabel = (uint32_t)d;
    }
    Py_DECREF(index);
    return 0;
}

uint64_t hs_process_origin(void)
{
    static uint64_t origin;
    if (!origin) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                     (uint64_t)(uintptr_t)&origin;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        origin = x ? x : 1;
    }
    return origin;
}

SnapshotObject *hs_snapshot_new(void)
{
    SnapshotObject *s = PyObject_New(SnapshotObject, &HS_SnapshotType);
    if (!s)
        return NULL;
    memset((char *)s + sizeof(PyObject), 0, sizeof(*s) - sizeof(PyObject));
    s->origin = hs_process_origin();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->created = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    const char *v = Py_GetVersion();
    size_t vl = strcspn(v, " ");
    s->pyversion = PyUnicode_FromStringAndSize(v, (Py_ssize_t)vl);
    if (!s->pyversion) {
        Py_DECREF(s);
        return NULL;
    }
    return s;
}

/* Bytes of the objects larger than 512 bytes (what pymalloc hands to malloc):
 * counted as a snapshot is taken (snap_emit, snap_sized), this for loaded ones. */
static void large_size(SnapshotObject *s)
{
    Py_ssize_t t = 0;
    for (size_t i = 0; i < s->n; i++) {
        Py_ssize_t z = rec_size(&s->recs[i]);
        t += z > 512 ? z : 0;
    }
    s->large_size = t;
    s->large_known = 1;
}

PyObject *hs_snapshot_take(int identity, int graph, int lengths, hs_graph_hook hook, void *hook_ctx)
{
    if (hs_gc_hold_here() && hs_gc_collecting())
        Py_RETURN_NONE; /* heapscope run's sampler: no exception to allocate, no sample */
    SnapshotObject *s = hs_snapshot_new();
    if (!s)
        return NULL;
    if (identity) {
        if (hs_identity_acquire() < 0) {
            Py_DECREF(s);
            return NULL;
        }
        s->identity = 1;
    }
    /* Size the records for the last heap seen (plus slack): no copying as it grows. */
    static size_t last_n;
    builder b;
    memset(&b, 0, sizeof(b));
    b.s = s;
    b.a.detail = 1;
    s->recs = hs_big_alloc((last_n + last_n / 8 + 1024) * sizeof(rec_t), &s->recs_bytes);
    if (!s->recs) {
        Py_DECREF(s);
        return PyErr_NoMemory();
    }
    b.cap = s->recs_bytes / sizeof(rec_t);
    if (lengths) {
        if (!(s->lens = hs_big_alloc(b.cap * sizeof(uint32_t), &s->lens_bytes))) {
            Py_DECREF(s);
            return PyErr_NoMemory();
        }
        if (s->lens_bytes / sizeof(uint32_t) < b.cap)
            b.cap = s->lens_bytes / sizeof(uint32_t);
    }
    int was = hs_gc_pause();
    int rc = hs_walk_run(&b.a.w, s->lens ? snap_emit_lens : snap_emit, &b);
    if (rc == 0 && hs_accum_settle_owners(&b.a, snap_moved, s) < 0) {
        PyErr_NoMemory();
        rc = -1;
    }
    if (rc == 0 && (s->series = hs_identity_series()) != 0) {
        s->serials = hs_big_alloc(s->n * sizeof(uint64_t), &s->serials_bytes);
        if (!s->serials) {
            PyErr_NoMemory();
            rc = -1;
        }
        for (size_t i = 0; s->serials && i < s->n; i++)
            s->serials[i] = hs_identity_serial(s->recs[i].addr);
    }
    if (rc == 0 && graph) {
        s->graph = hs_graph_build(&b.a, &s->recs[0].addr, sizeof(rec_t) / sizeof(uintptr_t), s->n);
        if (!s->graph || (graph > 1 && hs_edges_name_graph(s->graph, &s->recs[0].addr,
                                                           sizeof(rec_t) / sizeof(uintptr_t)) < 0) ||
            (hook && hook(hook_ctx, &s->recs[0].addr, sizeof(rec_t) / sizeof(uintptr_t), s->graph) < 0))
            rc = -1;
    }
    if (rc < 0 && b.too_many_rows) {
        PyErr_Clear();
        PyErr_SetString(PyExc_RuntimeError, "heapscope: more than 8M distinct labels in one snapshot");
    }
    /* From here on Python code may run and the addresses are not used again:
     * the collector runs again first, so no other thread sees it paused. */
    hs_gc_release gc;
    hs_gc_after_walk(&gc, was);
    if (rc == 0) {
        hs_accum_settle_sizes(&b.a, snap_sized, s);
        rc = hs_accum_labels(&b.a) < 0 ? -1 : snap_rows(s, &b.a);
        if (rc == 0 && s->graph)
            rc = hs_graph_labels(s->graph);
    }
    hs_gc_objects_made(&gc);
    hs_accum_free(&b.a);
    if (rc < 0) {
        Py_DECREF(s);
        return NULL;
    }
    last_n = s->n;
    rec_t *shrunk = hs_big_resize(s->recs, &s->recs_bytes, s->n * sizeof(rec_t));
    if (shrunk)
        s->recs = shrunk;
    uint32_t *lshrunk = s->lens ? hs_big_resize(s->lens, &s->lens_bytes, s->n * sizeof(uint32_t)) : NULL;
    if (lshrunk)
        s->lens = lshrunk;
    s->large_known = 1;
    return (PyObject *)s;
}

struct hs_graph *hs_snapshot_graph(PyObject *snap)
{
    return PyObject_TypeCheck(snap, &HS_SnapshotType) ? ((SnapshotObject *)snap)->graph : NULL;
}

const uintptr_t *hs_snapshot_addrs(PyObject *snap, size_t *stride)
{
    *stride = sizeof(rec_t) / sizeof(uintptr_t);
    return ((SnapshotObject *)snap)->recs ? &((SnapshotObject *)snap)->recs[0].addr : NULL;
}

/* ---- 2. Snapshot type ----------------------------------------------------------- */

static void snapshot_dealloc(SnapshotObject *s)
{
    for (size_t i = 0; i < s->nlabels; i++)
        Py_DECREF(s->labels[i]);
    free(s->labels);
    free(s->rows);
    hs_big_free(s->recs, s->recs_bytes);
    hs_big_free(s->serials, s->serials_bytes);
    hs_big_free(s->lens, s->lens_bytes);
    hs_graph_free(s->graph);
    Py_XDECREF(s->pyversion);
    for (size_t i = 0; i < s->nreprs; i++)
        Py_XDECREF(s->reprs ? s->reprs[i] : NULL);
    free(s->reprs);
    free(s->repr_node);
    if (s->identity)
        hs_identity_release();
    PyObject_Free(s);
}

static Py_ssize_t snapshot_len(SnapshotObject *s) { return (Py_ssize_t)s->n; }

typedef struct {
    uint32_t label;
    Py_ssize_t count, size;
    uint64_t retained;
} agg_t;

static int agg_cmp(const void *x, const void *y)
{
    const agg_t *a = x, *b = y;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->label < b->label ? -1 : a->label > b->label;
}

/* hs_agg_rows, with a fourth column of retained sizes when retained is not NULL. */
static PyObject *agg_rows(PyObject **labels, size_t nlabels, const Py_ssize_t *counts, const Py_ssize_t *sizes,
                          const uint64_t *retained, Py_ssize_t limit)
{
    agg_t *v = malloc((nlabels ? nlabels : 1) * sizeof(*v));
    if (!v)
        return PyErr_NoMemory();
    size_t n = 0;
    for (size_t i = 0; i < nlabels; i++)
        if (counts[i] || sizes[i]) {
            v[n].label = (uint32_t)i;
            v[n].count = counts[i];
            v[n].size = sizes[i];
            v[n].retained = retained ? retained[i] : 0;
            n++;
        }
    qsort(v, n, sizeof(*v), agg_cmp);
    if (limit >= 0 && (size_t)limit < n)
        n = (size_t)limit;
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *row = retained ? Py_BuildValue("[OnnK]", labels[v[i].label], v[i].count, v[i].size,
                                                 (unsigned long long)v[i].retained)
                                 : Py_BuildValue("[Onn]", labels[v[i].label], v[i].count, v[i].size);
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, row);
    }
    free(v);
    return out;
}

/* Sorted aggregates (largest size first) of `counts`/`sizes` per label index,
 * as [label, count, size] lists; at most limit rows (limit < 0: all). */
PyObject *hs_agg_rows(PyObject **labels, size_t nlabels, const Py_ssize_t *counts, const Py_ssize_t *sizes,
                      Py_ssize_t limit)
{
    return agg_rows(labels, nlabels, counts, sizes, NULL, limit);
}

/* Per-label totals of a snapshot (detail: detailed labels). */
int hs_snap_totals(SnapshotObject *s, int detail, Py_ssize_t **counts, Py_ssize_t **sizes)
{
    *counts = calloc(s->nlabels + 1, sizeof(Py_ssize_t));
    *sizes = calloc(s->nlabels + 1, sizeof(Py_ssize_t));
    if (!*counts || !*sizes) {
        free(*counts);
        free(*sizes);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->nrows; i++) {
        srow_t *r = &s->rows[i];
        if (!r->count)
            continue;
        uint32_t l = detail ? r->dlabel : r->label;
        (*counts)[l] += r->count;
        (*sizes)[l] += r->size;
    }
    return 0;
}

/* limit=None -> -1; otherwise a non-negative int. */
int hs_parse_limit(PyObject *o, Py_ssize_t *limit)
{
    *limit = -1;
    if (!o || o == Py_None)
        return 0;
    *limit = PyLong_AsSsize_t(o);
    if (*limit == -1 && PyErr_Occurred())
        return -1;
    if (*limit < 0) {
        PyErr_SetString(PyExc_ValueError, "limit must be None or >= 0");
        return -1;
    }
    return 0;
}

static const uint64_t *retained_of(SnapshotObject *s);

typedef struct {
    SnapshotObject *s;
    int detail;
} group_ctx;

static uint32_t node_label(void *ctx, uint32_t v)
{
    group_ctx *c = (group_ctx *)ctx;
    const srow_t *r = &c->s->rows[rec_row(&c->s->recs[v])];
    return r->count ? (c->detail ? r->dlabel : r->label) : HS_NO_GROUP;
}

/* Bytes retained per label index (detail: detailed labels) by the label's
 * objects together; a malloc'ed array of nlabels + 1, or NULL with an exception. */
static uint64_t *label_retained(SnapshotObject *s, int detail)
{
    if (!retained_of(s))
        return NULL;
    uint64_t *out = calloc(s->nlabels + 1, sizeof(uint64_t));
    group_ctx c = {s, detail};
    if (!out || hs_graph_group_retained(s->graph, node_label, &c, s->nlabels, out) < 0) {
        free(out);
        PyErr_NoMemory();
        return NULL;
    }
    return out;
}

/* The summary rows, with the retained column when asked. */
static PyObject *summary_rows(SnapshotObject *s, int detail, int retained, Py_ssize_t limit)
{
    Py_ssize_t *counts, *sizes;
    uint64_t *ret = NULL;
    if (retained && !(ret = label_retained(s, detail)))
        return NULL;
    if (hs_snap_totals(s, detail, &counts, &sizes) < 0) {
        free(ret);
        return NULL;
    }
    PyObject *out = agg_rows(s->labels, s->nlabels, counts, sizes, ret, limit);
    free(counts);
    free(sizes);
    free(ret);
    return out;
}

static PyObject *snapshot_summary(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "detail", "retained", NULL};
    PyObject *lim = Py_None;
    int detail = 0, retained = 0;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Opp:summary", kwlist, &lim, &detail, &retained) ||
        hs_parse_limit(lim, &limit) < 0)
        return NULL;
    return summary_rows(s, detail, retained, limit);
}

/* heapscope.summary.print_(rows, limit=limit, file=file): the Pympler table. */
/* heapscope.summary.print_(rows, file=file[, limit=limit]); steals rows.  A
 * NULL limit leaves print_'s own default (15). */
PyObject *hs_print_rows(PyObject *rows, PyObject *limit, PyObject *file)
{
    if (!rows)
        return NULL;
    PyObject *mod = PyImport_ImportModule("heapscope.summary");
    PyObject *fn = mod ? PyObject_GetAttrString(mod, "print_") : NULL;
    PyObject *args = fn ? PyTuple_Pack(1, rows) : NULL;
    PyObject *kw = args ? Py_BuildValue("{sO}", "file", file) : NULL;
    if (kw && limit && PyDict_SetItemString(kw, "limit", limit) < 0)
        Py_CLEAR(kw);
    PyObject *r = kw ? PyObject_Call(fn, args, kw) : NULL;
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(fn);
    Py_XDECREF(mod);
    Py_DECREF(rows);
    return r;
}

static PyObject *snapshot_print(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "file", "detail", "retained", NULL};
    PyObject *limit = NULL, *file = Py_None;
    int detail = 0, retained = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOpp:print", kwlist, &limit, &file, &detail, &retained))
        return NULL;
    return hs_print_rows(summary_rows(s, detail, retained, -1), limit, file);
}

static PyObject *snapshot_total_size(SnapshotObject *s, void *Py_UNUSED(c))
{
    return PyLong_FromSsize_t(s->total_size);
}

static PyObject *snapshot_nbytes(SnapshotObject *s, void *Py_UNUSED(c))
{
    size_t b = sizeof(*s) + s->recs_bytes + s->serials_bytes + s->lens_bytes + (s->graph ? hs_graph_nbytes(s->graph) : 0) +
               s->nrows * sizeof(srow_t) + (2 * s->nrows + 1) * sizeof(PyObject *);
    for (size_t i = 0; i < s->nlabels; i++)
        b += _PySys_GetSizeOf(s->labels[i]);
    PyErr_Clear();
    return PyLong_FromSize_t(b);
}

static PyObject *snapshot_large_size(SnapshotObject *s, void *Py_UNUSED(c))
{
    if (!s->large_known)
        large_size(s); /* loaded from a heap file */
    return PyLong_FromSsize_t(s->large_size);
}

static PyObject *snapshot_has_lengths(SnapshotObject *s, void *Py_UNUSED(c)) { return PyBool_FromLong(s->lens != NULL); }

static PyObject *snapshot_exact(SnapshotObject *s, void *Py_UNUSED(c)) { return PyBool_FromLong(s->serials != NULL); }

static PyObject *snapshot_nedges(SnapshotObject *s, void *Py_UNUSED(c))
{
    if (!s->graph)
        Py_RETURN_NONE;
    return PyLong_FromSize_t(s->graph->nedges);
}

static PyObject *snapshot_roots(SnapshotObject *s, void *Py_UNUSED(c))
{
    if (!s->graph)
        Py_RETURN_NONE;
    static const char *kinds[] = {"", "module", "frame", "outside", "ignored"};
    PyObject *out = PyList_New((Py_ssize_t)s->graph->nroots);
    for (size_t i = 0; out && i < s->graph->nroots; i++) {
        hs_root *r = &s->graph->roots[i];
        PyObject *t = Py_BuildValue("(sO)", kinds[r->kind], r->label ? r->label : Py_None);
        if (!t)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    return out;
}

static PyObject *snapshot_repr(SnapshotObject *s)
{
    char graph[96] = "";
    if (s->graph)
        snprintf(graph, sizeof(graph), ", graph: %zu references, %zu roots%s", s->graph->nedges, s->graph->nroots,
                 hs_graph_edge_name(s->graph, 0) ? ", named" : "");
    if (s->loaded)
        return PyUnicode_FromFormat("<heapscope Snapshot: %zu objects, %zd bytes, %zu labels%s, loaded, Python %U>",
                                    s->n, s->total_size, s->nlabels, graph, s->pyversion);
    return PyUnicode_FromFormat("<heapscope Snapshot: %zu objects, %zd bytes, %zu labels%s>", s->n, s->total_size,
                                s->nlabels, graph);
}


static uint64_t node_size(void *ctx, uint32_t v) { return (uint64_t)rec_size(&((SnapshotObject *)ctx)->recs[v]); }

static const uint64_t *retained_of(SnapshotObject *s)
{
    if (!s->graph) {
        PyErr_SetString(PyExc_ValueError, "this snapshot has no graph: take it with heapscope.snapshot(graph=True)");
        return NULL;
    }
    const uint64_t *r = hs_graph_retained(s->graph, node_size, s);
    if (!r)
        PyErr_NoMemory();
    return r;
}

int hs_snapshot_retained(PyObject *snap, uint32_t node, uint64_t *out)
{
    const uint64_t *r = retained_of((SnapshotObject *)snap);
    if (!r)
        return -1;
    *out = r[node];
    return 0;
}

/* Bytes that would be freed with obj: its retained size in this snapshot's graph. */
/* An address argument (int); 0, or -1 with an exception. */
static int parse_addr(PyObject *o, uintptr_t *addr)
{
    if (!PyLong_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "a loaded snapshot refers to no live object: give an address (an int)");
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "not an address");
        return -1;
    }
    *addr = (uintptr_t)v;
    return 0;
}

static PyObject *snapshot_retained_size(SnapshotObject *s, PyObject *obj)
{
    uintptr_t addr = (uintptr_t)obj;
    if (s->loaded && parse_addr(obj, &addr) < 0)
        return NULL;
    const uint64_t *r = retained_of(s);
    if (!r)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].addr == addr)
            return PyLong_FromUnsignedLongLong(r[i]);
    PyErr_SetString(PyExc_ValueError, "the object is not in this snapshot");
    return NULL;
}

typedef struct {
    uint64_t retained;
    uint32_t node;
} top_t;

static int top_cmp(const void *x, const void *y)
{
    const top_t *a = x, *b = y;
    return a->retained != b->retained ? (a->retained > b->retained ? -1 : 1) : (a->node > b->node) - (a->node < b->node);
}

/* [(label, detailed label, retained size, own size, address)] of the n largest
 * retainers; with paths, heapscope.paths._retainers of the same tuples with a
 * sixth item, each object's raw paths (at most `paths` of them; None: gone). */
static PyObject *snapshot_top_retainers(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"n", "paths", NULL};
    Py_ssize_t n = 10;
    int paths = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|ni:top_retainers", kwlist, &n, &paths))
        return NULL;
    const uint64_t *r = retained_of(s);
    if (!r)
        return NULL;
    if (n < 0)
        n = 0;
    if (paths && s->loaded) { /* its addresses are another process's: no live walk */
        PyErr_SetString(PyExc_ValueError,
                        "top_retainers(paths=) needs the live heap; for a loaded snapshot use why_alive(address)");
        return NULL;
    }
    size_t m = (size_t)n < s->n ? (size_t)n : s->n, used = 0;
    int all = m > 256; /* many asked for: sort them all rather than insert m ways */
    top_t *best = malloc(((all ? s->n : m) + 1) * sizeof(top_t));
    uint32_t *nodes = paths ? malloc((m + 1) * sizeof(uint32_t)) : NULL;
    uintptr_t *types = paths ? malloc((m + 1) * sizeof(uintptr_t)) : NULL;
    PyObject *raw = NULL, *out = NULL;
    if (!best || (paths && (!nodes || !types))) {
        PyErr_NoMemory();
        goto done;
    }
    if (all) {
        for (size_t i = 0; i < s->n; i++) {
            best[i].retained = r[i];
            best[i].node = (uint32_t)i;
        }
        used = s->n;
    }
    for (size_t i = 0; !all && i < s->n && m; i++) { /* keep the m largest, smallest last */
        if (used == m && r[i] <= best[m - 1].retained)
            continue;
        size_t j = used < m ? used++ : m - 1;
        while (j > 0 && best[j - 1].retained < r[i]) {
            best[j] = best[j - 1];
            j--;
        }
        best[j].retained = r[i];
        best[j].node = (uint32_t)i;
    }
    qsort(best, used, sizeof(top_t), top_cmp);
    if (used > m)
        used = m;
    if (paths) {
        for (size_t k = 0; k < used; k++) {
            nodes[k] = best[k].node;
            types[k] = s->rows[rec_row(&s->recs[best[k].node])].type;
        }
        if (!(raw = hs_snapshot_node_paths((PyObject *)s, nodes, types, used, paths)))
            goto done;
    }
    out = PyList_New((Py_ssize_t)used);
    for (size_t k = 0; out && k < used; k++) {
        const rec_t *rec = &s->recs[best[k].node];
        const srow_t *row = &s->rows[rec_row(rec)];
        PyObject *t = raw ? Py_BuildValue("(OOKnkO)", s->labels[row->label], s->labels[row->dlabel],
                                          (unsigned long long)best[k].retained, rec_size(rec),
                                          (unsigned long)rec->addr, PyList_GET_ITEM(raw, (Py_ssize_t)k))
                          : Py_BuildValue("(OOKnk)", s->labels[row->label], s->labels[row->dlabel],
                                          (unsigned long long)best[k].retained, rec_size(rec),
                                          (unsigned long)rec->addr);
        if (!t)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)k, t);
    }
    if (out && raw) {
        PyObject *mod = PyImport_ImportModule("heapscope.paths");
        PyObject *res = mod ? PyObject_CallMethod(mod, "_retainers", "O", out) : NULL;
        Py_XDECREF(mod);
        Py_SETREF(out, res);
    }
done:
    Py_XDECREF(raw);
    free(best);
    free(nodes);
    free(types);
    return out;
}

static PyObject *snapshot_why_alive(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "max_paths", NULL};
    PyObject *obj;
    int max_paths = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:why_alive", kwlist, &obj, &max_paths))
        return NULL;
    if (s->loaded) {
        uintptr_t addr;
        return parse_addr(obj, &addr) < 0 ? NULL : hs_snapshot_paths_at(s, addr, max_paths);
    }
    return hs_snapshot_why_alive((PyObject *)s, obj, max_paths);
}

static PyObject *snapshot_paths_at(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"address", "max_paths", NULL};
    unsigned long long addr;
    int max_paths = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "K|i:paths_at", kwlist, &addr, &max_paths))
        return NULL;
    return hs_snapshot_paths_at(s, (uintptr_t)addr, max_paths);
}

static PyObject *snapshot_repr_at(SnapshotObject *s, PyObject *arg)
{
    uintptr_t addr;
    if (parse_addr(arg, &addr) < 0)
        return NULL;
    for (size_t i = 0; i < s->nreprs; i++)
        if (s->recs[s->repr_node[i]].addr == addr) {
            Py_INCREF(s->reprs[i]);
            return s->reprs[i];
        }
    Py_RETURN_NONE;
}

static PyObject *snapshot_reprs(SnapshotObject *s, void *Py_UNUSED(c))
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < s->nreprs; i++) {
        PyObject *k = PyLong_FromUnsignedLongLong(s->recs[s->repr_node[i]].addr);
        if (!k || PyDict_SetItem(d, k, s->reprs[i]) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
    }
    return d;
}

static PyObject *snapshot_loaded(SnapshotObject *s, void *Py_UNUSED(c)) { return PyBool_FromLong(s->loaded); }
static PyObject *snapshot_pyversion(SnapshotObject *s, void *Py_UNUSED(c))
{
    Py_INCREF(s->pyversion);
    return s->pyversion;
}
static PyObject *snapshot_created(SnapshotObject *s, void *Py_UNUSED(c)) { return PyFloat_FromDouble(s->created); }
static PyObject *snapshot_has_names(SnapshotObject *s, void *Py_UNUSED(c))
{
    return PyBool_FromLong(s->graph && s->graph->names);
}

static PySequenceMethods snapshot_as_sequence = {
    .sq_length = (lenfunc)snapshot_len,
};

static PyMethodDef snapshot_methods[] = {
    {"summary", (PyCFunction)(void (*)(void))snapshot_summary, METH_VARARGS | METH_KEYWORDS,
     "summary(limit=None, detail=False, retained=False) -> [[label, count, size], ...], largest size first;\n"
     "with retained (graph snapshots), [label, count, size, retained size]: the bytes the label's objects\n"
     "retain together (the union of their dominator subtrees)."},
    {"print", (PyCFunction)(void (*)(void))snapshot_print, METH_VARARGS | METH_KEYWORDS,
     "print(limit=15, file=None, detail=False, retained=False): the summary as Pympler's table; with\n"
     "retained, a fourth column 'retained size'."},
    {"why_alive", (PyCFunction)(void (*)(void))snapshot_why_alive, METH_VARARGS | METH_KEYWORDS,
     "why_alive(obj, max_paths=3) -> [(kind, root, objects, edges)] over this snapshot's graph; a fresh walk "
     "when the heap has changed along the paths."},
    {"paths_at", (PyCFunction)(void (*)(void))snapshot_paths_at, METH_VARARGS | METH_KEYWORDS,
     "paths_at(address, max_paths=3) -> [(kind, root, [(label, address)], [edge name or None])] from the "
     "stored graph only (no live object is touched; edge names need snapshot(graph=True, names=True))."},
    {"repr_at", (PyCFunction)snapshot_repr_at, METH_O,
     "repr_at(address) -> the short repr stored for that object (heap files), or None."},
    {"save", (PyCFunction)(void (*)(void))hs_snapshot_save, METH_VARARGS | METH_KEYWORDS,
     "save(path, reprs=True): write this snapshot to a heap file (atomically); heapscope.load() reads it."},
    {"retained_size", (PyCFunction)snapshot_retained_size, METH_O,
     "retained_size(obj) -> bytes freed with obj (its dominator subtree in this snapshot's graph)."},
    {"top_retainers", (PyCFunction)(void (*)(void))snapshot_top_retainers, METH_VARARGS | METH_KEYWORDS,
     "top_retainers(n=10, paths=0) -> [(label, detail_label, retained, size, address)], largest retained\n"
     "first; with paths=k (k >= 1), [heapscope.Retainer] with .label, .detail, .retained, .size, .address\n"
     "and .path / .paths (up to k shortest heapscope.Path from roots; [] / None when none is found)."},
    {"export_devtools", (PyCFunction)hs_export_devtools, METH_O,
     "export_devtools(path): write the graph as a Chrome DevTools .heapsnapshot (Memory tab: Load)."},
    {"export_jsonl", (PyCFunction)hs_export_jsonl, METH_O,
     "export_jsonl(path): write one JSON object a line (a header line, then address, type, detail, size "
     "and, with a graph, retained and referents of every object)."},
    {"diff", (PyCFunction)hs_snapshot_diff, METH_O,
     "diff(old) -> SnapshotDiff: what changed since the older snapshot, with object identity."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef snapshot_getset[] = {
    {"total_size", (getter)snapshot_total_size, NULL, "Bytes of all objects (sys.getsizeof).", NULL},
    {"nbytes", (getter)snapshot_nbytes, NULL, "Bytes of memory the snapshot itself holds.", NULL},
    {"large_size", (getter)snapshot_large_size, NULL,
     "Bytes of the objects larger than 512 bytes (those pymalloc hands to malloc).", NULL},
    {"has_lengths", (getter)snapshot_has_lengths, NULL,
     "Whether it stores container lengths (taken with lengths=True).", NULL},
    {"exact", (getter)snapshot_exact, NULL, "Whether objects carry creation serials (3.13+).", NULL},
    {"nedges", (getter)snapshot_nedges, NULL, "References in the graph (None without one).", NULL},
    {"roots", (getter)snapshot_roots, NULL, "[(kind, label)] of the graph's roots (None without a graph).", NULL},
    {"loaded", (getter)snapshot_loaded, NULL, "Whether it was read from a heap file.", NULL},
    {"python_version", (getter)snapshot_pyversion, NULL, "Python version of the process that took it.", NULL},
    {"created", (getter)snapshot_created, NULL, "When it was taken (time.time()).", NULL},
    {"has_names", (getter)snapshot_has_names, NULL, "Whether its graph names every edge.", NULL},
    {"reprs", (getter)snapshot_reprs, NULL, "{address: short repr} stored with it (heap files).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject HS_SnapshotType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heapscope.Snapshot",
    .tp_basicsize = sizeof(SnapshotObject),
    .tp_dealloc = (destructor)snapshot_dealloc,
    .tp_repr = (reprfunc)snapshot_repr,
    .tp_as_sequence = &snapshot_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Every live object of one heap walk: address, type, size, label. Holds no reference to any "
              "of them. Made by heapscope.snapshot().",
    .tp_methods = snapshot_methods,
    .tp_getset = snapshot_getset,
};

int hs_snapshot_init(PyObject *module)
{
    if (PyType_Ready(&HS_SnapshotType) < 0)
        return -1;
    Py_INCREF(&HS_SnapshotType);
    if (PyModule_AddObject(module, "Snapshot", (PyObject *)&HS_SnapshotType) < 0)
        return -1;
    if (hs_own_type(&HS_SnapshotType) < 0)
        return -1;
    return hs_diff_init(module) < 0 ? -1 : hs_heapfile_init(module);
}
