/*
 * typestats.c -- live objects counted per exact type (see typestats.h).
 *
 * Sections:
 *   1. counting   one heap walk; ti->slot indexes a C array of (type, count)
 *   2. result     the (type, count) tuples, made after the walk
 *
 * The walk only touches C memory.  The types are taken strongly when the
 * result is built, with the collector still paused and no Python code run in
 * between, so none of them can die first.
 */
#include "typestats.h"
#include "vec.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. counting ------------------------------------------------------- */

typedef struct {
    PyTypeObject *type;
    Py_ssize_t count;
} type_count;

typedef struct {
    type_count *v;
    size_t n, cap;
} type_counts;

static int count_emit(hs_walker *w, PyObject *Py_UNUSED(op), hs_typeinfo *ti)
{
    type_counts *tc = (type_counts *)w->ctx;
    if (ti->slot < 0) {
        if (hs_vec_grow((void **)&tc->v, tc->n, &tc->cap, sizeof(type_count), 256) < 0)
            return -1;
        tc->v[tc->n].type = ti->type;
        tc->v[tc->n].count = 0;
        ti->slot = (Py_ssize_t)tc->n++;
    }
    tc->v[ti->slot].count++;
    return 0;
}

/* ---- 2. result ---------------------------------------------------------- */

static PyObject *type_counts_list(const type_counts *tc)
{
    PyObject *list = PyList_New((Py_ssize_t)tc->n);
    for (size_t i = 0; list && i < tc->n; i++) {
        PyObject *item = Py_BuildValue("(On)", (PyObject *)tc->v[i].type, tc->v[i].count);
        if (!item) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

PyObject *hs_type_stats(void)
{
    hs_walker w;
    type_counts tc = {NULL, 0, 0};
    memset(&w, 0, sizeof(w));
    int was = hs_gc_pause();
    PyObject *list = hs_walk_run(&w, count_emit, &tc) == 0 ? type_counts_list(&tc) : NULL;
    hs_gc_resume(was);
    hs_walk_release(&w);
    free(tc.v);
    return list;
}
