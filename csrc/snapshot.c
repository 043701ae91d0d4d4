/*
 * snapshot.c -- compact snapshots and diffs with identity (see snapshot.h).
 *
 * Sections:
 *   1. records        16 bytes an object: address; size, GC-tracked bit, row
 *   2. taking         one walk into records and rows (accum.c), then labels
 *   3. Snapshot type  len, total_size, summary(), print(), diff()
 *   4. identity       which objects of a newer snapshot are new
 *   5. SnapshotDiff   per-label deltas, the new objects' rows and records, and
 *                     new_objects(): the live objects, found by a fresh walk
 *
 * Identity: same address, same type and, on 3.13+ within one serial series
 * (identity.c), the same creation serial.  Without serials an address reused
 * by an object of the same type is told apart as well as the heap allows:
 * a GC-tracked object found in a younger GC list than the old one was in is
 * new (objects only move to older lists; find_leaks freezes the old heap into
 * the permanent generation so that this is exact for tracked objects), an
 * untracked one is new when its size differs.
 */
#include "snapshot.h"
#include "accum.h"
#include "addrmap.h"
#include "bigmem.h"
#include "graph.h"
#include "paths.h"
#include "identity.h"
#include "sizes.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. records ------------------------------------------------------------------ */

typedef struct {
    uintptr_t addr;
    uint64_t bits; /* size (38 bits) | GC list (2) | tracked (1) | row (23) */
} rec_t;

#define SIZE_MASK ((1ULL << 38) - 1)
#define GEN_SHIFT 38
#define TRACKED_BIT (1ULL << 40)
#define ROW_SHIFT 41
#define MAX_ROWS (1ULL << 23)

static inline size_t rec_row(const rec_t *r) { return (size_t)(r->bits >> ROW_SHIFT); }
static inline Py_ssize_t rec_size(const rec_t *r) { return (Py_ssize_t)(r->bits & SIZE_MASK); }
static inline int rec_tracked(const rec_t *r) { return (r->bits & TRACKED_BIT) != 0; }
static inline int rec_gen(const rec_t *r) { return (int)((r->bits >> GEN_SHIFT) & 3); }

/* tracked: the GC list it was found in (0-2, 3 permanent), or -1 untracked. */
static inline uint64_t rec_bits(Py_ssize_t size, int tracked, size_t row)
{
    uint64_t sz = size < 0 ? 0 : (uint64_t)size;
    if (sz > SIZE_MASK)
        sz = SIZE_MASK;
    if (tracked >= 0)
        sz |= TRACKED_BIT | ((uint64_t)tracked << GEN_SHIFT);
    return sz | ((uint64_t)row << ROW_SHIFT);
}

static inline int rec_list(const rec_t *r) { return rec_tracked(r) ? rec_gen(r) : -1; }

typedef struct {
    uintptr_t type;         /* opaque: compared, never dereferenced */
    uint32_t label, dlabel; /* default and detailed label (index into labels) */
    int is_dict;
    Py_ssize_t count, size;
} srow_t;

typedef struct {
    PyObject_HEAD
    size_t n;
    rec_t *recs;
    uint64_t *serials;  /* creation serials (3.13+, in a series), else NULL */
    size_t recs_bytes, serials_bytes;
    uint64_t series;
    int identity;       /* holds a reference on the identity series */
    size_t nfrozen;     /* objects found in the permanent generation */
    hs_graph *graph;    /* the reference graph, when asked for */
    size_t nrows;
    srow_t *rows;
    size_t nlabels;
    PyObject **labels;  /* heapscope's own strings */
    Py_ssize_t total_size;
} SnapshotObject;

/* ---- 2. taking -------------------------------------------------------------------- */

typedef struct {
    hs_accum a; /* first: the walk's ctx is the builder */
    SnapshotObject *s;
    size_t cap;
    int too_many_rows;
} builder;

static int snap_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    builder *b = (builder *)w->ctx;
    SnapshotObject *s = b->s;
    if (s->n == b->cap) {
        rec_t *nr = hs_big_resize(s->recs, &s->recs_bytes, 2 * b->cap * sizeof(rec_t));
        if (!nr)
            return -1;
        s->recs = nr;
        b->cap = s->recs_bytes / sizeof(rec_t);
    }
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
    return 0;
}

static void snap_moved(void *ctx, size_t rec, size_t row)
{
    rec_t *r = &((SnapshotObject *)ctx)->recs[rec];
    r->bits = rec_bits(rec_size(r), rec_list(r), row);
}

static void snap_sized(void *ctx, size_t rec, Py_ssize_t size)
{
    rec_t *r = &((SnapshotObject *)ctx)->recs[rec];
    r->bits = rec_bits(size, rec_list(r), rec_row(r));
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

PyObject *hs_snapshot_take(int identity, int graph, hs_graph_hook hook, void *hook_ctx)
{
    SnapshotObject *s = PyObject_New(SnapshotObject, &HS_SnapshotType);
    if (!s)
        return NULL;
    s->n = s->nrows = s->nlabels = s->nfrozen = 0;
    s->recs = NULL;
    s->serials = NULL;
    s->recs_bytes = s->serials_bytes = 0;
    s->rows = NULL;
    s->labels = NULL;
    s->series = 0;
    s->total_size = 0;
    s->identity = 0;
    s->graph = NULL;
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
    int was = hs_gc_pause();
    int rc = hs_walk_run(&b.a.w, snap_emit, &b);
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
        if (!s->graph || (hook && hook(hook_ctx, &s->recs[0].addr, sizeof(rec_t) / sizeof(uintptr_t), s->graph) < 0))
            rc = -1;
    }
    if (rc < 0 && b.too_many_rows) {
        PyErr_Clear();
        PyErr_SetString(PyExc_RuntimeError, "heapscope: more than 8M distinct labels in one snapshot");
    }
    if (rc == 0) {
        /* From here on Python code may run; the addresses are not used again. */
        hs_accum_settle_sizes(&b.a, snap_sized, s);
        rc = hs_accum_labels(&b.a) < 0 ? -1 : snap_rows(s, &b.a);
        if (rc == 0 && s->graph)
            rc = hs_graph_labels(s->graph);
    }
    hs_accum_free(&b.a);
    hs_gc_resume(was);
    if (rc < 0) {
        Py_DECREF(s);
        return NULL;
    }
    last_n = s->n;
    rec_t *shrunk = hs_big_resize(s->recs, &s->recs_bytes, s->n * sizeof(rec_t));
    if (shrunk)
        s->recs = shrunk;
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

/* ---- 3. Snapshot type ----------------------------------------------------------- */

static void snapshot_dealloc(SnapshotObject *s)
{
    for (size_t i = 0; i < s->nlabels; i++)
        Py_DECREF(s->labels[i]);
    free(s->labels);
    free(s->rows);
    hs_big_free(s->recs, s->recs_bytes);
    hs_big_free(s->serials, s->serials_bytes);
    hs_graph_free(s->graph);
    if (s->identity)
        hs_identity_release();
    PyObject_Free(s);
}

static Py_ssize_t snapshot_len(SnapshotObject *s) { return (Py_ssize_t)s->n; }

typedef struct {
    uint32_t label;
    Py_ssize_t count, size;
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

/* Sorted aggregates (largest size first) of `counts`/`sizes` per label index,
 * as [label, count, size] lists; at most limit rows (limit < 0: all). */
static PyObject *agg_rows(PyObject **labels, size_t nlabels, const Py_ssize_t *counts, const Py_ssize_t *sizes,
                          Py_ssize_t limit)
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
            n++;
        }
    qsort(v, n, sizeof(*v), agg_cmp);
    if (limit >= 0 && (size_t)limit < n)
        n = (size_t)limit;
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *row = Py_BuildValue("[Onn]", labels[v[i].label], v[i].count, v[i].size);
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, row);
    }
    free(v);
    return out;
}

/* Per-label totals of a snapshot (detail: detailed labels). */
static int snap_totals(SnapshotObject *s, int detail, Py_ssize_t **counts, Py_ssize_t **sizes)
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
static int parse_limit(PyObject *o, Py_ssize_t *limit)
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

static PyObject *snapshot_summary(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "detail", NULL};
    PyObject *lim = Py_None;
    int detail = 0;
    Py_ssize_t limit;
    Py_ssize_t *counts, *sizes;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Op:summary", kwlist, &lim, &detail) ||
        parse_limit(lim, &limit) < 0 || snap_totals(s, detail, &counts, &sizes) < 0)
        return NULL;
    PyObject *out = agg_rows(s->labels, s->nlabels, counts, sizes, limit);
    free(counts);
    free(sizes);
    return out;
}

/* heapscope.summary.print_(rows, limit=limit, file=file): the Pympler table. */
/* heapscope.summary.print_(rows, file=file[, limit=limit]); steals rows.  A
 * NULL limit leaves print_'s own default (15). */
static PyObject *print_rows(PyObject *rows, PyObject *limit, PyObject *file)
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
    static char *kwlist[] = {"limit", "file", "detail", NULL};
    PyObject *limit = NULL, *file = Py_None;
    int detail = 0;
    Py_ssize_t *counts, *sizes;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOp:print", kwlist, &limit, &file, &detail) ||
        snap_totals(s, detail, &counts, &sizes) < 0)
        return NULL;
    PyObject *rows = agg_rows(s->labels, s->nlabels, counts, sizes, -1);
    free(counts);
    free(sizes);
    return print_rows(rows, limit, file);
}

static PyObject *snapshot_total_size(SnapshotObject *s, void *Py_UNUSED(c))
{
    return PyLong_FromSsize_t(s->total_size);
}

static PyObject *snapshot_nbytes(SnapshotObject *s, void *Py_UNUSED(c))
{
    size_t b = sizeof(*s) + s->recs_bytes + s->serials_bytes + (s->graph ? hs_graph_nbytes(s->graph) : 0) +
               s->nrows * sizeof(srow_t) + (2 * s->nrows + 1) * sizeof(PyObject *);
    for (size_t i = 0; i < s->nlabels; i++)
        b += _PySys_GetSizeOf(s->labels[i]);
    PyErr_Clear();
    return PyLong_FromSize_t(b);
}

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
    return PyUnicode_FromFormat("<heapscope Snapshot: %zu objects, %zd bytes, %zu labels>", s->n, s->total_size,
                                s->nlabels);
}

static PyObject *snapshot_diff(SnapshotObject *s, PyObject *old);

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
static PyObject *snapshot_retained_size(SnapshotObject *s, PyObject *obj)
{
    const uint64_t *r = retained_of(s);
    if (!r)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].addr == (uintptr_t)obj)
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

/* [(label, detailed label, retained size, own size, address)] of the n largest retainers. */
static PyObject *snapshot_top_retainers(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"n", NULL};
    Py_ssize_t n = 10;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:top_retainers", kwlist, &n))
        return NULL;
    const uint64_t *r = retained_of(s);
    if (!r)
        return NULL;
    if (n < 0)
        n = 0;
    size_t m = (size_t)n < s->n ? (size_t)n : s->n, used = 0;
    top_t *best = malloc((m + 1) * sizeof(top_t));
    if (!best)
        return PyErr_NoMemory();
    for (size_t i = 0; i < s->n && m; i++) { /* keep the m largest, smallest last */
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
    PyObject *out = PyList_New((Py_ssize_t)used);
    for (size_t k = 0; out && k < used; k++) {
        const rec_t *rec = &s->recs[best[k].node];
        const srow_t *row = &s->rows[rec_row(rec)];
        PyObject *t = Py_BuildValue("(OOKnk)", s->labels[row->label], s->labels[row->dlabel],
                                    (unsigned long long)best[k].retained, rec_size(rec), (unsigned long)rec->addr);
        if (!t)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)k, t);
    }
    free(best);
    return out;
}

static PyObject *snapshot_why_alive(SnapshotObject *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "max_paths", NULL};
    PyObject *obj;
    int max_paths = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:why_alive", kwlist, &obj, &max_paths))
        return NULL;
    return hs_snapshot_why_alive((PyObject *)s, obj, max_paths);
}

static PySequenceMethods snapshot_as_sequence = {
    .sq_length = (lenfunc)snapshot_len,
};

static PyMethodDef snapshot_methods[] = {
    {"summary", (PyCFunction)(void (*)(void))snapshot_summary, METH_VARARGS | METH_KEYWORDS,
     "summary(limit=None, detail=False) -> [[label, count, size], ...], largest size first."},
    {"print", (PyCFunction)(void (*)(void))snapshot_print, METH_VARARGS | METH_KEYWORDS,
     "print(limit=15, file=None, detail=False): the summary as Pympler's table."},
    {"why_alive", (PyCFunction)(void (*)(void))snapshot_why_alive, METH_VARARGS | METH_KEYWORDS,
     "why_alive(obj, max_paths=3) -> [(kind, root, objects, edges)] over this snapshot's graph; a fresh walk "
     "when the heap has changed along the paths."},
    {"retained_size", (PyCFunction)snapshot_retained_size, METH_O,
     "retained_size(obj) -> bytes freed with obj (its dominator subtree in this snapshot's graph)."},
    {"top_retainers", (PyCFunction)(void (*)(void))snapshot_top_retainers, METH_VARARGS | METH_KEYWORDS,
     "top_retainers(n=10) -> [(label, detail_label, retained, size, address)], largest retained first."},
    {"diff", (PyCFunction)snapshot_diff, METH_O,
     "diff(old) -> SnapshotDiff: what changed since the older snapshot, with object identity."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef snapshot_getset[] = {
    {"total_size", (getter)snapshot_total_size, NULL, "Bytes of all objects (sys.getsizeof).", NULL},
    {"nbytes", (getter)snapshot_nbytes, NULL, "Bytes of memory the snapshot itself holds.", NULL},
    {"exact", (getter)snapshot_exact, NULL, "Whether objects carry creation serials (3.13+).", NULL},
    {"nedges", (getter)snapshot_nedges, NULL, "References in the graph (None without one).", NULL},
    {"roots", (getter)snapshot_roots, NULL, "[(kind, label)] of the graph's roots (None without a graph).", NULL},
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

/* ---- 4. identity ---------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    SnapshotObject *old, *new_;
    size_t nnew;
    size_t *newidx; /* records of new_ that were not in old, in record order */
    size_t newidx_bytes;
    int exact;
} DiffObject;

/*
 * Matching records by address.  Two walks of a heap that changed a little
 * list most objects in the same order, so the records are matched in one
 * sequential pass: each new record is looked for among the next few old
 * records after the last match.  When a block of old records is gone (or the
 * collector moved objects), a sparse index of every SPARSE-th old record puts
 * the pass back in step.  New records left unmatched are looked up afterwards
 * in a hash of the old records nobody matched.  Same answers as one big hash,
 * without a cache miss per object.
 */
#define LOOKAHEAD 8
#define SPARSE 32
#define AHEAD 16 /* records between a hash-slot prefetch and its use */

typedef struct {
    const SnapshotObject *o, *n;
    int exact, still_frozen;
} matcher;

/* Whether new record i is the object old record j was (same address). */
static int same_object(const matcher *mt, size_t j, size_t i)
{
    const rec_t *q = &mt->o->recs[j], *r = &mt->n->recs[i];
    const srow_t *nr = &mt->n->rows[rec_row(r)];
    if (mt->o->rows[rec_row(q)].type != nr->type)
        return 0;
    if (mt->exact)
        return mt->o->serials[j] == mt->n->serials[i];
    if (rec_tracked(q) && rec_tracked(r)) {
        /* Objects only ever move to older GC lists (and never out of the
         * permanent one but by gc.unfreeze): one found in a younger list than
         * the object at its address was is a new object. */
        int gq = rec_gen(q), gr = rec_gen(r);
        return gq == 3 ? (gr == 3 || !mt->still_frozen) : gr >= gq;
    }
    if (nr->is_dict)
        return 1; /* dicts are untracked and re-tracked as they change */
    return rec_size(q) == rec_size(r);
}

#define BIT_SET(v, i) ((v)[(i) >> 3] |= (uint8_t)(1u << ((i)&7)))
#define BIT_GET(v, i) (((v)[(i) >> 3] >> ((i)&7)) & 1u)

/* Fill d->newidx: the records of new_ whose object was not alive in old. */
static int find_new(DiffObject *d)
{
    const SnapshotObject *o = d->old, *n = d->new_;
    matcher mt = {o, n, o->serials && n->serials && o->series == n->series, n->nfrozen > 0};
    d->exact = mt.exact;
    size_t mb = 0, nb = 0, ub = 0;
    uint8_t *matched = hs_big_alloc(o->n / 8 + 1, &mb); /* old records matched */
    uint8_t *isnew = hs_big_alloc(n->n / 8 + 1, &nb);
    size_t *unres = hs_big_alloc(n->n * sizeof(size_t), &ub), nunres = 0;
    hs_addrmap sparse = {0}, rest = {0};
    int rc = -1;
    if (!matched || !isnew || !unres || hs_addrmap_reserve(&sparse, o->n / SPARSE + 1) < 0)
        goto done;
    for (size_t j = 0; j < o->n; j += SPARSE)
        hs_addrmap_put(&sparse, o->recs[j].addr, j); /* reserved: cannot fail */
    size_t p = 0;
    for (size_t i = 0; i < n->n; i++) {
        uintptr_t a = n->recs[i].addr;
        size_t j = (size_t)-1;
        for (size_t k = p; k < p + LOOKAHEAD && k < o->n; k++)
            if (o->recs[k].addr == a) {
                j = k;
                break;
            }
        uint64_t v;
        if (j == (size_t)-1 && hs_addrmap_get(&sparse, a, &v))
            j = (size_t)v;
        if (j == (size_t)-1) {
            unres[nunres++] = i;
            continue;
        }
        p = j + 1;
        BIT_SET(matched, j);
        if (!same_object(&mt, j, i))
            BIT_SET(isnew, i);
    }
    /* The rest: a hash of the old records nobody matched. */
    size_t nrest = 0;
    for (size_t j = 0; j < o->n; j++)
        nrest += !BIT_GET(matched, j);
    if (nunres && nrest) {
        if (hs_addrmap_reserve(&rest, nrest) < 0)
            goto done;
        for (size_t j = 0; j < o->n; j++)
            if (!BIT_GET(matched, j))
                hs_addrmap_put(&rest, o->recs[j].addr, j);
    }
    for (size_t u = 0; u < nunres; u++) {
        size_t i = unres[u];
        uint64_t v;
        if (u + AHEAD < nunres)
            hs_addrmap_prefetch(&rest, n->recs[unres[u + AHEAD]].addr);
        if (!hs_addrmap_get(&rest, n->recs[i].addr, &v) || !same_object(&mt, (size_t)v, i))
            BIT_SET(isnew, i);
    }
    size_t count = 0;
    for (size_t i = 0; i < n->n; i++)
        count += BIT_GET(isnew, i);
    d->newidx = hs_big_alloc(count * sizeof(size_t), &d->newidx_bytes);
    if (!d->newidx)
        goto done;
    for (size_t i = 0; i < n->n; i++)
        if (BIT_GET(isnew, i))
            d->newidx[d->nnew++] = i;
    rc = 0;
done:
    hs_addrmap_free(&sparse);
    hs_addrmap_free(&rest);
    hs_big_free(matched, mb);
    hs_big_free(isnew, nb);
    hs_big_free(unres, ub);
    return rc;
}

static PyObject *snapshot_diff(SnapshotObject *s, PyObject *old)
{
    if (!PyObject_TypeCheck(old, &HS_SnapshotType)) {
        PyErr_SetString(PyExc_TypeError, "Snapshot.diff() expects an older Snapshot");
        return NULL;
    }
    DiffObject *d = PyObject_New(DiffObject, &HS_SnapshotDiffType);
    if (!d)
        return NULL;
    Py_INCREF(old);
    Py_INCREF(s);
    d->old = (SnapshotObject *)old;
    d->new_ = s;
    d->nnew = 0;
    d->newidx = NULL;
    d->newidx_bytes = 0;
    d->exact = 0;
    if (find_new(d) < 0) {
        Py_DECREF(d);
        return PyErr_NoMemory();
    }
    return (PyObject *)d;
}

/* ---- 5. SnapshotDiff ----------------------------------------------------------- */

static void diff_dealloc(DiffObject *d)
{
    Py_XDECREF(d->old);
    Py_XDECREF(d->new_);
    hs_big_free(d->newidx, d->newidx_bytes);
    PyObject_Free(d);
}

/* Per-label deltas (new minus old), merged by label string. */
static PyObject *diff_rows(DiffObject *d, int detail, Py_ssize_t limit)
{
    SnapshotObject *o = d->old, *n = d->new_;
    Py_ssize_t *nc, *ns, *oc, *os;
    if (snap_totals(n, detail, &nc, &ns) < 0)
        return NULL;
    if (snap_totals(o, detail, &oc, &os) < 0) {
        free(nc);
        free(ns);
        return NULL;
    }
    /* A shared label table: the new snapshot's, then the old one's labels it lacks. */
    size_t cap = n->nlabels + o->nlabels + 1;
    PyObject **labels = malloc(cap * sizeof(PyObject *));
    Py_ssize_t *dc = calloc(cap, sizeof(Py_ssize_t)), *ds = calloc(cap, sizeof(Py_ssize_t));
    PyObject *index = PyDict_New(), *out = NULL;
    size_t nl = 0;
    if (!labels || !dc || !ds || !index)
        goto done;
    for (int side = 0; side < 2; side++) {
        SnapshotObject *s = side ? o : n;
        Py_ssize_t *c = side ? oc : nc, *z = side ? os : ns;
        for (size_t i = 0; i < s->nlabels; i++) {
            if (!c[i] && !z[i])
                continue;
            PyObject *at = PyDict_GetItemWithError(index, s->labels[i]);
            size_t k;
            if (at) {
                k = PyLong_AsSize_t(at);
            } else {
                PyObject *kk = PyErr_Occurred() ? NULL : PyLong_FromSize_t(nl);
                if (!kk || PyDict_SetItem(index, s->labels[i], kk) < 0) {
                    Py_XDECREF(kk);
                    goto done;
                }
                Py_DECREF(kk);
                k = nl;
                labels[nl++] = s->labels[i];
            }
            dc[k] += side ? -c[i] : c[i];
            ds[k] += side ? -z[i] : z[i];
        }
    }
    out = agg_rows(labels, nl, dc, ds, limit);
done:
    if (!out && !PyErr_Occurred())
        PyErr_NoMemory();
    Py_XDECREF(index);
    free(labels);
    free(dc);
    free(ds);
    free(nc);
    free(ns);
    free(oc);
    free(os);
    return out;
}

static PyObject *diff_summary(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "detail", NULL};
    PyObject *lim = Py_None;
    int detail = 0;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Op:summary", kwlist, &lim, &detail) ||
        parse_limit(lim, &limit) < 0)
        return NULL;
    return diff_rows(d, detail, limit);
}

static PyObject *diff_print(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "file", "detail", NULL};
    PyObject *limit = NULL, *file = Py_None;
    int detail = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOp:print", kwlist, &limit, &file, &detail))
        return NULL;
    return print_rows(diff_rows(d, detail, -1), limit, file);
}

/* Rows selected by a label (the default or the detailed one) and/or a
 * detailed label: a C array of flags, or NULL when neither is given. */
static int select_rows(SnapshotObject *s, PyObject *label, PyObject *detail, char **sel)
{
    *sel = NULL;
    if (label == Py_None)
        label = NULL;
    if (detail == Py_None)
        detail = NULL;
    if (!label && !detail)
        return 0;
    if ((label && !PyUnicode_Check(label)) || (detail && !PyUnicode_Check(detail))) {
        PyErr_SetString(PyExc_TypeError, "label and detail must be str or None");
        return -1;
    }
    *sel = calloc(s->nrows + 1, 1);
    if (!*sel) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->nrows; i++) {
        srow_t *r = &s->rows[i];
        if (!r->count)
            continue;
        int eq = 1;
        if (label)
            eq = PyUnicode_Compare(s->labels[r->label], label) == 0 ||
                 PyUnicode_Compare(s->labels[r->dlabel], label) == 0;
        if (eq && detail)
            eq = PyUnicode_Compare(s->labels[r->dlabel], detail) == 0;
        if (PyErr_Occurred()) {
            free(*sel);
            *sel = NULL;
            return -1;
        }
        (*sel)[i] = (char)eq;
    }
    return 0;
}

typedef struct {
    uint32_t label, dlabel;
    Py_ssize_t count, size;
} pair_t;

static int pair_cmp(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return a->dlabel < b->dlabel ? -1 : a->dlabel > b->dlabel;
}

static int pair_size_cmp(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return pair_cmp(x, y);
}

/* [(label, detail_label, count, size)] of the new objects, largest size first. */
static PyObject *diff_new_rows(DiffObject *d, PyObject *Py_UNUSED(ignored))
{
    SnapshotObject *n = d->new_;
    pair_t *v = calloc(n->nrows + 1, sizeof(pair_t));
    if (!v)
        return PyErr_NoMemory();
    for (size_t k = 0; k < d->nnew; k++) {
        const rec_t *r = &n->recs[d->newidx[k]];
        pair_t *p = &v[rec_row(r)];
        p->count++;
        p->size += rec_size(r);
    }
    size_t m = 0;
    for (size_t i = 0; i < n->nrows; i++)
        if (v[i].count) {
            v[m] = v[i];
            v[m].label = n->rows[i].label;
            v[m].dlabel = n->rows[i].dlabel;
            m++;
        }
    qsort(v, m, sizeof(*v), pair_cmp); /* merge rows with equal label strings */
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u && v[u - 1].label == v[i].label && v[u - 1].dlabel == v[i].dlabel) {
            v[u - 1].count += v[i].count;
            v[u - 1].size += v[i].size;
        } else {
            v[u++] = v[i];
        }
    }
    qsort(v, u, sizeof(*v), pair_size_cmp);
    PyObject *out = PyList_New((Py_ssize_t)u);
    for (size_t i = 0; out && i < u; i++) {
        PyObject *t = Py_BuildValue("(OOnn)", n->labels[v[i].label], n->labels[v[i].dlabel], v[i].count, v[i].size);
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    free(v);
    return out;
}

static PyObject *diff_new_records(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"label", "limit", "detail", NULL};
    PyObject *label = Py_None, *lim = Py_None, *detail = Py_None;
    Py_ssize_t limit;
    char *sel;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:new_records", kwlist, &label, &lim, &detail) ||
        parse_limit(lim, &limit) < 0 || select_rows(d->new_, label, detail, &sel) < 0)
        return NULL;
    SnapshotObject *n = d->new_;
    PyObject *out = PyList_New(0);
    for (size_t k = 0; out && k < d->nnew && (limit < 0 || PyList_GET_SIZE(out) < limit); k++) {
        const rec_t *r = &n->recs[d->newidx[k]];
        size_t row = rec_row(r);
        if (sel && !sel[row])
            continue;
        PyObject *t = Py_BuildValue("(kOOn)", (unsigned long)r->addr, n->labels[n->rows[row].label],
                                    n->labels[n->rows[row].dlabel], rec_size(r));
        if (!t || PyList_Append(out, t) < 0)
            Py_CLEAR(out);
        Py_XDECREF(t);
    }
    free(sel);
    return out;
}

typedef struct {
    DiffObject *d;
    hs_addrmap want;  /* address -> index into d->newidx */
    uint64_t series;  /* the live series, when it is the snapshot's */
    PyObject **found;
    size_t nfound, limit;
} refind;

static int refind_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    refind *f = (refind *)w->ctx;
    uint64_t k;
    if (f->nfound >= f->limit || !hs_addrmap_get(&f->want, (uintptr_t)op, &k))
        return 0;
    SnapshotObject *n = f->d->new_;
    size_t i = f->d->newidx[k];
    const rec_t *r = &n->recs[i];
    if (n->rows[rec_row(r)].type != (uintptr_t)ti->type)
        return 0;
    if (f->series) {
        if (hs_identity_serial((uintptr_t)op) != n->serials[i])
            return 0;
    } else if (!hs_is_tracked(op, ti) && !n->rows[rec_row(r)].is_dict) {
        Py_ssize_t sz = hs_size_fast(op, ti);
        if (sz >= 0 && sz != rec_size(r))
            return 0;
    }
    f->found[f->nfound++] = op;
    return 0;
}

/* The new objects still alive, found by a fresh walk. */
static PyObject *diff_new_objects(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"label", "limit", "detail", NULL};
    PyObject *label = Py_None, *lim = Py_None, *detail = Py_None;
    Py_ssize_t limit;
    char *sel;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:new_objects", kwlist, &label, &lim, &detail) ||
        parse_limit(lim, &limit) < 0 || select_rows(d->new_, label, detail, &sel) < 0)
        return NULL;
    SnapshotObject *n = d->new_;
    refind f;
    memset(&f, 0, sizeof(f));
    f.d = d;
    f.limit = limit < 0 ? (size_t)-1 : (size_t)limit;
    f.series = n->serials && hs_identity_series() == n->series ? n->series : 0;
    PyObject *out = NULL;
    size_t nwant = 0;
    for (size_t k = 0; k < d->nnew; k++)
        nwant += !sel || sel[rec_row(&n->recs[d->newidx[k]])];
    f.found = malloc((nwant ? nwant : 1) * sizeof(PyObject *));
    if (!f.found || hs_addrmap_reserve(&f.want, nwant) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t k = 0; k < d->nnew; k++)
        if (!sel || sel[rec_row(&n->recs[d->newidx[k]])])
            hs_addrmap_put(&f.want, n->recs[d->newidx[k]].addr, k);
    if (nwant && f.limit) {
        hs_walker w;
        memset(&w, 0, sizeof(w));
        int was = hs_gc_pause();
        if (hs_walk_run(&w, refind_emit, &f) == 0) {
            out = PyList_New((Py_ssize_t)f.nfound);
            for (size_t i = 0; out && i < f.nfound; i++) {
                Py_INCREF(f.found[i]);
                PyList_SET_ITEM(out, (Py_ssize_t)i, f.found[i]);
            }
        }
        hs_gc_resume(was);
        hs_walk_release(&w);
    } else {
        out = PyList_New(0);
    }
done:
    free(sel);
    free(f.found);
    hs_addrmap_free(&f.want);
    return out;
}

static PyObject *diff_new_count(DiffObject *d, void *Py_UNUSED(c)) { return PyLong_FromSize_t(d->nnew); }

static PyObject *diff_new_size(DiffObject *d, void *Py_UNUSED(c))
{
    Py_ssize_t t = 0;
    for (size_t k = 0; k < d->nnew; k++)
        t += rec_size(&d->new_->recs[d->newidx[k]]);
    return PyLong_FromSsize_t(t);
}

static PyObject *diff_exact(DiffObject *d, void *Py_UNUSED(c)) { return PyBool_FromLong(d->exact); }
static PyObject *diff_old(DiffObject *d, void *Py_UNUSED(c))
{
    Py_INCREF(d->old);
    return (PyObject *)d->old;
}

static PyObject *diff_new(DiffObject *d, void *Py_UNUSED(c))
{
    Py_INCREF(d->new_);
    return (PyObject *)d->new_;
}

static PyObject *diff_repr(DiffObject *d)
{
    return PyUnicode_FromFormat("<heapscope SnapshotDiff: %zd -> %zd objects, %zu new%s>", (Py_ssize_t)d->old->n,
                                (Py_ssize_t)d->new_->n, d->nnew, d->exact ? " (exact identity)" : "");
}

static PyMethodDef diff_methods[] = {
    {"summary", (PyCFunction)(void (*)(void))diff_summary, METH_VARARGS | METH_KEYWORDS,
     "summary(limit=None, detail=False) -> [[label, dcount, dsize], ...], largest growth first."},
    {"print", (PyCFunction)(void (*)(void))diff_print, METH_VARARGS | METH_KEYWORDS,
     "print(limit=15, file=None, detail=False): the deltas as Pympler's table."},
    {"new_rows", (PyCFunction)diff_new_rows, METH_NOARGS,
     "new_rows() -> [(label, detail_label, count, size)] of the objects not in the old snapshot."},
    {"new_records", (PyCFunction)(void (*)(void))diff_new_records, METH_VARARGS | METH_KEYWORDS,
     "new_records(label=None, limit=None, detail=None) -> [(address, label, detail_label, size)] of the new "
     "objects; label matches the default or the detailed label, detail only the detailed one."},
    {"new_objects", (PyCFunction)(void (*)(void))diff_new_objects, METH_VARARGS | METH_KEYWORDS,
     "new_objects(label=None, limit=None, detail=None) -> the new objects still alive, found by a fresh heap "
     "walk; label matches the default or the detailed label, detail only the detailed one."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef diff_getset[] = {
    {"new_count", (getter)diff_new_count, NULL, "Objects of the new snapshot not in the old one.", NULL},
    {"new_size", (getter)diff_new_size, NULL, "Their bytes.", NULL},
    {"exact", (getter)diff_exact, NULL, "Identity from creation serials (3.13+) rather than heuristics.", NULL},
    {"old", (getter)diff_old, NULL, "The older snapshot.", NULL},
    {"new", (getter)diff_new, NULL, "The newer snapshot.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject HS_SnapshotDiffType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heapscope.SnapshotDiff",
    .tp_basicsize = sizeof(DiffObject),
    .tp_dealloc = (destructor)diff_dealloc,
    .tp_repr = (reprfunc)diff_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What changed between two snapshots: per-label deltas and the objects that are new.",
    .tp_methods = diff_methods,
    .tp_getset = diff_getset,
};

int hs_snapshot_init(PyObject *module)
{
    PyTypeObject *types[] = {&HS_SnapshotType, &HS_SnapshotDiffType};
    const char *names[] = {"Snapshot", "SnapshotDiff"};
    for (int i = 0; i < 2; i++) {
        if (PyType_Ready(types[i]) < 0)
            return -1;
        Py_INCREF(types[i]);
        if (PyModule_AddObject(module, names[i], (PyObject *)types[i]) < 0)
            return -1;
        if (hs_own_type(types[i]) < 0)
            return -1;
    }
    return 0;
}
