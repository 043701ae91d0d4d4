/*
 * summary.c -- per-label counts and sizes, and the Summary type (summary.h).
 *
 * Sections:
 *   1. finishing       rows of the accumulator (accum.c) merged by label
 *   2. Summary type    immutable rows in C arrays; a sequence of [label, n, size]
 *                      lists for Pympler code, diff() for the trackers
 *   3. entry points
 */
#include "summary.h"
#include "accum.h"
#include "sizes.h"
#include "labels.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. finishing --------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    PyObject **labels;
    Py_ssize_t *counts;
    Py_ssize_t *sizes;
} SummaryObject;

static int acc_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    Py_ssize_t size;
    return hs_accum_add((hs_accum *)w->ctx, op, ti, (size_t)-1, &size) < 0 ? -1 : 0;
}

/* The Summary of the settled and labelled rows, merged by label. */
static SummaryObject *summary_of_rows(hs_accum *a)
{
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
        hs_row *r = &a->rows[i];
        if (r->count == 0)
            continue;
        PyObject *label = r->label;
        PyObject *at = PyDict_GetItemWithError(index, label);
        if (at) {
            Py_ssize_t k = PyLong_AsSsize_t(at);
            s->counts[k] += r->count;
            s->sizes[k] += r->size;
            continue;
        }
        if (PyErr_Occurred())
            goto fail;
        PyObject *k = PyLong_FromSsize_t(s->n);
        if (!k || PyDict_SetItem(index, label, k) < 0) {
            Py_XDECREF(k);
            goto fail;
        }
        Py_DECREF(k);
        Py_INCREF(label);
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

/* Settle the accumulator (owners, deferred sizes, label strings) and merge its
 * rows by label.  The owners are settled from the walk's raw pointers; then the
 * collector is resumed (gc_was >= 0: hs_gc_pause's result), before any Python
 * code may run (metaclass __repr__, __sizeof__), so no other thread ever sees
 * it paused while Python code runs. */
static SummaryObject *accum_finish(hs_accum *a, int gc_was)
{
    int settled = hs_accum_fold_tallies(a) == 0 ? hs_accum_settle_owners(a, NULL, NULL) : -1;
    hs_gc_release gc;
    hs_gc_after_walk(&gc, gc_was);
    SummaryObject *s = NULL;
    if (settled < 0) {
        PyErr_NoMemory();
    } else {
        hs_accum_settle_sizes(a, NULL, NULL);
        if (hs_accum_labels(a) == 0)
            s = summary_of_rows(a);
    }
    /* After the index dict too: a GC allocation once the collector runs again
     * could start a collection in heapscope run's sampler thread. */
    hs_gc_objects_made(&gc);
    return s;
}

/* ---- 2. Summary type -------------------------------------------------------- */

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

/* ---- 3. entry points ------------------------------------------------------------ */

PyObject *hs_summary_of_heap(int detail)
{
    if (hs_gc_hold_here() && hs_gc_collecting())
        Py_RETURN_NONE; /* heapscope run's sampler: no exception to allocate, no sample */
    hs_accum a;
    memset(&a, 0, sizeof(a));
    a.detail = detail;
    a.w.tally = !detail; /* per-type rows are counted by the walk itself */
    int was = hs_gc_pause();
    int rc = hs_walk_run(&a.w, acc_emit, &a);
    if (rc < 0)
        hs_gc_resume(was);
    SummaryObject *s = rc == 0 ? accum_finish(&a, was) : NULL;
    hs_accum_free(&a);
    return (PyObject *)s;
}

PyObject *hs_summary_of_sequence(PyObject *objects, int detail)
{
    PyObject *seq = PySequence_Fast(objects, "summarize() expects a sequence of objects");
    if (!seq)
        return NULL;
    hs_accum a;
    memset(&a, 0, sizeof(a));
    a.detail = detail;
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
        s = accum_finish(&a, -1);
    hs_accum_free(&a);
    Py_DECREF(seq);
    if (!s)
        return NULL;
    PyObject *rows = summary_rows(s, NULL);
    Py_DECREF(s);
    return rows;
}

typedef struct {
    PyObject *target, *owner;
} owner_search;

static int owner_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    owner_search *os = (owner_search *)w->ctx;
    if (os->owner)
        return 0;
    if (ti->type == &PyFunction_Type) {
        PyObject *cl = ((PyFunctionObject *)op)->func_closure;
        for (Py_ssize_t i = 0; cl && PyTuple_Check(cl) && i < PyTuple_GET_SIZE(cl); i++)
            if (PyTuple_GET_ITEM(cl, i) == os->target)
                os->owner = op;
    } else if (!ti->is_type && hs_instance_dict(op, ti->type) == os->target) {
        os->owner = op;
    }
    return 0;
}

/* The instance whose __dict__ is op, or the function whose closure holds the
 * cell op: a new reference found by a heap walk, or NULL. */
static PyObject *find_owner(PyObject *op)
{
    hs_walker w;
    owner_search os = {op, NULL};
    memset(&w, 0, sizeof(w));
    int was = hs_gc_pause();
    if (hs_walk_run(&w, owner_emit, &os) < 0)
        PyErr_Clear();
    Py_XINCREF(os.owner);
    hs_gc_resume(was);
    hs_walk_release(&w);
    return os.owner;
}

PyObject *hs_label_of(PyObject *op, int detail)
{
    hs_walker w;
    memset(&w, 0, sizeof(w));
    hs_typeinfo *ti = hs_typeinfo_get(&w, Py_TYPE(op));
    PyObject *r = NULL, *x = NULL, *x2 = NULL, *owner = NULL;
    int kind = -1;
    if (!ti) {
        hs_walk_release(&w);
        return PyErr_NoMemory();
    }
    if (detail) {
        kind = hs_label_detail_key(op, ti, &x, &x2);
        if (kind < 0 && (ti->type == &PyDict_Type || ti->type == &PyCell_Type) && (owner = find_owner(op)))
            kind = hs_label_owner_key(op, owner, &x, &x2);
    }
    Py_XINCREF(x);
    Py_XINCREF(x2);
    if (kind >= 0)
        r = hs_label_make(ti->type, kind, x, x2);
    else
        r = hs_label_make(ti->type, ti->label_kind, hs_label_extra(op, ti), NULL);
    Py_XDECREF(x);
    Py_XDECREF(x2);
    Py_XDECREF(owner);
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
