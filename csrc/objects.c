/*
 * objects.c -- live objects as lists, and identity diffs (see objects.h).
 *
 * The lister records raw pointers in C memory during the walk and turns them
 * into strong references right after it, with the collector still paused, so
 * no object can die in between.  The identity diff hashes addresses of one
 * list and scans the other: linear, where Pympler's is quadratic per type.
 */
#include "objects.h"
#include "vec.h"
#include "addrmap.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject **v;
    size_t n, cap;
} ptrvec;

static int collect_emit(hs_walker *w, PyObject *op, hs_typeinfo *Py_UNUSED(ti))
{
    ptrvec *pv = (ptrvec *)w->ctx;
    if (hs_vec_grow((void **)&pv->v, pv->n, &pv->cap, sizeof(PyObject *), 1 << 16) < 0)
        return -1;
    pv->v[pv->n++] = op;
    return 0;
}

static int count_emit(hs_walker *Py_UNUSED(w), PyObject *Py_UNUSED(op), hs_typeinfo *Py_UNUSED(ti))
{
    return 0;
}

PyObject *hs_objects_list(void)
{
    hs_walker w;
    ptrvec pv = {NULL, 0, 0};
    memset(&w, 0, sizeof(w));
    int was = hs_gc_pause();
    PyObject *list = NULL;
    if (hs_walk_run(&w, collect_emit, &pv) == 0) {
        list = PyList_New((Py_ssize_t)pv.n);
        for (size_t i = 0; list && i < pv.n; i++) {
            Py_INCREF(pv.v[i]);
            PyList_SET_ITEM(list, (Py_ssize_t)i, pv.v[i]);
        }
    }
    hs_gc_resume(was);
    hs_walk_release(&w);
    free(pv.v);
    return list;
}

Py_ssize_t hs_objects_count(void)
{
    hs_walker w;
    memset(&w, 0, sizeof(w));
    int was = hs_gc_pause();
    Py_ssize_t n = hs_walk_run(&w, count_emit, NULL) == 0 ? (Py_ssize_t)w.nobjects : -1;
    hs_gc_resume(was);
    hs_walk_release(&w);
    return n;
}

static PyObject *not_in(PyObject *from, PyObject *other)
{
    PyObject **fi = PySequence_Fast_ITEMS(from), **oi = PySequence_Fast_ITEMS(other);
    Py_ssize_t fn = PySequence_Fast_GET_SIZE(from), on = PySequence_Fast_GET_SIZE(other);
    hs_addrmap set = {0};
    if (hs_addrmap_reserve(&set, (size_t)on) < 0)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < on; i++)
        hs_addrmap_put(&set, (uintptr_t)oi[i], 0); /* reserved: cannot fail */
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out && i < fn; i++) {
        uint64_t v;
        if (!hs_addrmap_get(&set, (uintptr_t)fi[i], &v) && PyList_Append(out, fi[i]) < 0)
            Py_CLEAR(out);
    }
    hs_addrmap_free(&set);
    return out;
}

PyObject *hs_identity_diff(PyObject *old, PyObject *new_)
{
    PyObject *o = PySequence_Fast(old, "expected a sequence");
    PyObject *n = o ? PySequence_Fast(new_, "expected a sequence") : NULL;
    PyObject *added = n ? not_in(n, o) : NULL;
    PyObject *removed = added ? not_in(o, n) : NULL;
    PyObject *r = removed ? PyTuple_Pack(2, added, removed) : NULL;
    Py_XDECREF(added);
    Py_XDECREF(removed);
    Py_XDECREF(o);
    Py_XDECREF(n);
    return r;
}
