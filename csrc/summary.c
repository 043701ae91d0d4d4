/*
 * summary.c -- per-label counts and sizes, and the Summary type (summary.h).
 *
 * Sections:
 *   1. accumulator     (type, label key) -> count, size; fed by the walk or a list
 *   2. finishing       deferred sizes, label strings, merge of equal labels
 *   3. Summary type    immutable rows in C arrays; a sequence of [label, n, size]
 *                      lists for Pympler code, diff() for the trackers
 *   4. entry points
 *
 * During a walk the accumulator only touches C memory and takes strong
 * references (types, label keys, objects whose size must be asked for later),
 * so nothing it holds can die before the strings are made.
 */
#include "summary.h"
#include "sizes.h"
#include "labels.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. accumulator ---------------------------------------------------- */

typedef struct {
    PyTypeObject *type;
    PyObject *extra;
    int kind;
    Py_ssize_t count, size;
} acc_row;

typedef struct {
    PyObject *op;
    size_t row;
} deferred;

typedef struct {
    hs_walker w;
    acc_row *rows;
    size_t nrows, caprows;
    size_t *kslots; /* row index + 1, keyed on (type, extra) */
    size_t kmask, kused;
    deferred *def;
    size_t ndef, capdef;
    int oom;
} accum;

static size_t hash_key(PyTypeObject *tp, PyObject *extra)
{
    uintptr_t a = ((uintptr_t)tp >> 4) * 0x9E3779B97F4A7C15ULL ^ ((uintptr_t)extra >> 4) * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(a ^ (a >> 29));
}

static Py_ssize_t row_new(accum *a, PyTypeObject *tp, PyObject *extra, int kind)
{
    if (a->nrows == a->caprows) {
        size_t nc = a->caprows ? a->caprows * 2 : 1024;
        acc_row *nr = realloc(a->rows, nc * sizeof(*nr));
        if (!nr)
            return -1;
        a->rows = nr;
        a->caprows = nc;
    }
    acc_row *r = &a->rows[a->nrows];
    r->type = tp;
    r->extra = extra;
    r->kind = kind;
    r->count = r->size = 0;
    Py_INCREF(tp);
    Py_XINCREF(extra);
    return (Py_ssize_t)a->nrows++;
}

static Py_ssize_t row_keyed(accum *a, PyTypeObject *tp, PyObject *extra, int kind)
{
    if (!a->kslots || (a->kused + 1) * 2 > a->kmask + 1) {
        size_t ncap = a->kslots ? (a->kmask + 1) * 2 : 4096;
        size_t *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return -1;
        for (size_t i = 0; a->kslots && i <= a->kmask; i++) {
            size_t v = a->kslots[i];
            if (!v)
                continue;
            acc_row *r = &a->rows[v - 1];
            size_t j = hash_key(r->type, r->extra) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = v;
        }
        free(a->kslots);
        a->kslots = ns;
        a->kmask = ncap - 1;
    }
    size_t j = hash_key(tp, extra) & a->kmask;
    size_t v;
    while ((v = a->kslots[j]) != 0) {
        acc_row *r = &a->rows[v - 1];
        if (r->type == tp && r->extra == extra)
            return (Py_ssize_t)(v - 1);
        j = (j + 1) & a->kmask;
    }
    Py_ssize_t idx = row_new(a, tp, extra, kind);
    if (idx < 0)
        return -1;
    a->kslots[j] = (size_t)idx + 1;
    a->kused++;
    return idx;
}

static int defer(accum *a, PyObject *op, size_t row)
{
    if (a->ndef == a->capdef) {
        size_t nc = a->capdef ? a->capdef * 2 : 1024;
        deferred *nd = realloc(a->def, nc * sizeof(*nd));
        if (!nd)
            return -1;
        a->def = nd;
        a->capdef = nc;
    }
    Py_INCREF(op);
    a->def[a->ndef].op = op;
    a->def[a->ndef].row = row;
    a->ndef++;
    return 0;
}

static int acc_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    accum *a = (accum *)w->ctx;
    Py_ssize_t row;
    if (ti->label_kind == LABEL_TYPE) {
        if (ti->slot < 0)
            ti->slot = row_new(a, ti->type, NULL, LABEL_TYPE);
        row = ti->slot;
    } else {
        row = row_keyed(a, ti->type, hs_label_extra(op, ti), ti->label_kind);
    }
    if (row < 0) {
        a->oom = 1;
        return -1;
    }
    Py_ssize_t sz = hs_size_fast(op, ti);
    if (sz < 0) {
        if (defer(a, op, (size_t)row) < 0) {
            a->oom = 1;
            return -1;
        }
        sz = 0;
    }
    a->rows[row].count++;
    a->rows[row].size += sz;
    return 0;
}

static void accum_free(accum *a)
{
    for (size_t i = 0; i < a->ndef; i++)
        Py_DECREF(a->def[i].op);
    for (size_t i = 0; i < a->nrows; i++) {
        Py_DECREF(a->rows[i].type);
        Py_XDECREF(a->rows[i].extra);
    }
    free(a->def);
    free(a->rows);
    free(a->kslots);
    hs_walk_release(&a->w);
    memset(a, 0, sizeof(*a));
}

/* ---- 2. finishing --------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    PyObject **labels;
    Py_ssize_t *counts;
    Py_ssize_t *sizes;
} SummaryObject;

/* Ask the deferred objects for their size, make the labels and merge equal
 * labels.  Python code may run here (metaclass __repr__, __sizeof__). */
static SummaryObject *accum_finish(accum *a)
{
    for (size_t i = 0; i < a->ndef; i++) {
        PyObject *op = a->def[i].op;
        a->rows[a->def[i].row].size += hs_size_slow(op);
    }
    SummaryObject *s = PyObject_New(SummaryObject, &HS_SummaryType);
    if (!s)
        return NULL;
    s->n = 0;
    s->labels = calloc(a->nrows ? a->nrows : 1, sizeof(PyObject *));
    s->counts = calloc(a->nrows ? a->nrows : 1, sizeof(Py_ssize_t));
    s->sizes = calloc(a->nrows ? a->nrows : 1, sizeof(Py_ssize_t));
    PyObject *index = PyDict_New();
    if (!s->labels || !s->counts || !s->sizes || !index) {
        Py_XDECREF(index);
        Py_DECREF(s);
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < a->nrows; i++) {
        acc_row *r = &a->rows[i];
        if (r->count == 0)
            continue;
        PyObject *label = hs_label_make(r->type, r->kind, r->extra);
        if (!label)
            goto fail;
        PyObject *at = PyDict_GetItemWithError(index, label);
        if (at) {
            Py_ssize_t k = PyLong_AsSsize_t(at);
            s->counts[k] += r->count;
            s->sizes[k] += r->size;
            Py_DECREF(label);
            continue;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(label);
            goto fail;
        }
        PyObject *k = PyLong_FromSsize_t(s->n);
        if (!k || PyDict_SetItem(index, label, k) < 0) {
            Py_XDECREF(k);
            Py_DECREF(label);
            goto fail;
        }
        Py_DECREF(k);
        s->labels[s->n] = label;
        s->counts[s->n] = r->count;
        s->sizes[s->n] = r->size;
        s->n++;
    }
    Py_DECREF(index);
    return s;
fail:
    Py_DECREF(index);
    Py_DECREF(s);
    return NULL;
}

/* ---- 3. Summary type -------------------------------------------------------- */

static void summary_dealloc(SummaryObject *s)
{
    for (Py_ssize_t i = 0; i < s->n; i++)
        Py_XDECREF(s->labels[i]);
    free(s->labels);
    free(s->counts);
    free(s->sizes);
    PyObject_Free(s);
}

static Py_ssize_t summary_len(SummaryObject *s) { return s->n; }

static PyObject *row_list(PyObject *label, Py_ssize_t n, Py_ssize_t size)
{
    return Py_BuildValue("[Onn]", label, n, size);
}

static PyObject *summary_item(SummaryObject *s, Py_ssize_t i)
{
    if (i < 0 || i >= s->n) {
        PyErr_SetString(PyExc_IndexError, "Summary index out of range");
        return NULL;
    }
    return row_list(s->labels[i], s->counts[i], s->sizes[i]);
}

static PyObject *summary_rows(SummaryObject *s, PyObject *Py_UNUSED(ignored))
{
    PyObject *out = PyList_New(s->n);
    for (Py_ssize_t i = 0; out && i < s->n; i++) {
        PyObject *r = summary_item(s, i);
        if (!r) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, r);
    }
    return out;
}

/* Append [label, n, size] to out; 0, or -1 with an exception set. */
static int append_row(PyObject *out, PyObject *label, Py_ssize_t n, Py_ssize_t size)
{
    PyObject *r = row_list(label, n, size);
    int rc = r ? PyList_Append(out, r) : -1;
    Py_XDECREF(r);
    return rc;
}

/* Pympler's get_diff(old, self): rows present on both sides give the
 * difference (zeros kept), rows on one side only give +/- their values. */
static PyObject *summary_diff(SummaryObject *s, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, &HS_SummaryType)) {
        PyErr_SetString(PyExc_TypeError, "Summary.diff() expects a Summary");
        return NULL;
    }
    SummaryObject *old = (SummaryObject *)arg;
    PyObject *index = PyDict_New(), *out = PyList_New(0);
    if (!index || !out)
        goto fail;
    for (Py_ssize_t i = 0; i < old->n; i++) {
        PyObject *k = PyLong_FromSsize_t(i);
        if (!k || PyDict_SetItem(index, old->labels[i], k) < 0) {
            Py_XDECREF(k);
            goto fail;
        }
        Py_DECREF(k);
    }
    char *matched = calloc(old->n ? (size_t)old->n : 1, 1);
    if (!matched) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < s->n; i++) {
        PyObject *at = PyDict_GetItemWithError(index, s->labels[i]);
        Py_ssize_t dn = s->counts[i], ds = s->sizes[i];
        if (at) {
            Py_ssize_t j = PyLong_AsSsize_t(at);
            matched[j] = 1;
            dn -= old->counts[j];
            ds -= old->sizes[j];
        } else if (PyErr_Occurred()) {
            free(matched);
            goto fail;
        }
        if (append_row(out, s->labels[i], dn, ds) < 0) {
            free(matched);
            goto fail;
        }
    }
    for (Py_ssize_t j = 0; j < old->n; j++) {
        if (!matched[j] && append_row(out, old->labels[j], -old->counts[j], -old->sizes[j]) < 0) {
            free(matched);
            goto fail;
        }
    }
    free(matched);
    Py_DECREF(index);
    return out;
fail:
    Py_XDECREF(index);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *summary_total_count(SummaryObject *s, void *Py_UNUSED(c))
{
    Py_ssize_t t = 0;
    for (Py_ssize_t i = 0; i < s->n; i++)
        t += s->counts[i];
    return PyLong_FromSsize_t(t);
}

static PyObject *summary_total_size(SummaryObject *s, void *Py_UNUSED(c))
{
    Py_ssize_t t = 0;
    for (Py_ssize_t i = 0; i < s->n; i++)
        t += s->sizes[i];
    return PyLong_FromSsize_t(t);
}

static PyObject *summary_repr(SummaryObject *s)
{
    PyObject *n = summary_total_count(s, NULL), *b = summary_total_size(s, NULL);
    PyObject *r = (n && b) ? PyUnicode_FromFormat("<heapscope Summary: %zd labels, %S objects, %S bytes>",
                                                   s->n, n, b)
                           : NULL;
    Py_XDECREF(n);
    Py_XDECREF(b);
    return r;
}

static PySequenceMethods summary_as_sequence = {
    .sq_length = (lenfunc)summary_len,
    .sq_item = (ssizeargfunc)summary_item,
};

static PyMethodDef summary_methods[] = {
    {"rows", (PyCFunction)summary_rows, METH_NOARGS, "The rows as a list of [label, count, size] lists."},
    {"diff", (PyCFunction)summary_diff, METH_O, "Rows of self minus an older Summary (Pympler get_diff order)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef summary_getset[] = {
    {"total_count", (getter)summary_total_count, NULL, "Objects summarized.", NULL},
    {"total_size", (getter)summary_total_size, NULL, "Bytes summarized (sys.getsizeof).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject HS_SummaryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heapscope._core.Summary",
    .tp_basicsize = sizeof(SummaryObject),
    .tp_dealloc = (destructor)summary_dealloc,
    .tp_repr = (reprfunc)summary_repr,
    .tp_as_sequence = &summary_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Counts and sizes per label, kept in C memory that heap walks never see.",
    .tp_methods = summary_methods,
    .tp_getset = summary_getset,
};

/* ---- 4. entry points ------------------------------------------------------------ */

PyObject *hs_summary_of_heap(void)
{
    accum a;
    memset(&a, 0, sizeof(a));
    int was = hs_gc_pause();
    int rc = hs_walk_run(&a.w, acc_emit, &a);
    SummaryObject *s = rc == 0 ? accum_finish(&a) : NULL;
    accum_free(&a);
    hs_gc_resume(was);
    return (PyObject *)s;
}

PyObject *hs_summary_of_sequence(PyObject *objects)
{
    PyObject *seq = PySequence_Fast(objects, "summarize() expects a sequence of objects");
    if (!seq)
        return NULL;
    accum a;
    memset(&a, 0, sizeof(a));
    a.w.ctx = &a;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    int err = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        hs_typeinfo *ti = hs_typeinfo_get(&a.w, Py_TYPE(items[i]));
        if (!ti || acc_emit(&a.w, items[i], ti) < 0) {
            err = 1;
            break;
        }
    }
    SummaryObject *s = NULL;
    if (err)
        PyErr_NoMemory();
    else
        s = accum_finish(&a);
    accum_free(&a);
    Py_DECREF(seq);
    if (!s)
        return NULL;
    PyObject *rows = summary_rows(s, NULL);
    Py_DECREF(s);
    return rows;
}

PyObject *hs_label_of(PyObject *op)
{
    hs_walker w;
    memset(&w, 0, sizeof(w));
    hs_typeinfo *ti = hs_typeinfo_get(&w, Py_TYPE(op));
    PyObject *r = NULL;
    if (!ti)
        PyErr_NoMemory();
    else
        r = hs_label_make(ti->type, ti->label_kind, hs_label_extra(op, ti));
    hs_walk_release(&w);
    return r;
}

Py_ssize_t hs_size_of(PyObject *op)
{
    hs_walker w;
    memset(&w, 0, sizeof(w));
    hs_typeinfo *ti = hs_typeinfo_get(&w, Py_TYPE(op));
    Py_ssize_t r = ti ? hs_size_fast(op, ti) : -1;
    hs_walk_release(&w);
    if (r < 0)
        r = hs_size_slow(op);
    return r;
}

int hs_summary_init(PyObject *module)
{
    if (PyType_Ready(&HS_SummaryType) < 0)
        return -1;
    Py_INCREF(&HS_SummaryType);
    if (PyModule_AddObject(module, "Summary", (PyObject *)&HS_SummaryType) < 0)
        return -1;
    return hs_own_type(&HS_SummaryType);
}
