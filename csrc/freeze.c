/*
 * freeze.c -- the program's own frozen objects, held aside (see freeze.h).
 *
 * find_leaks moves the heap it starts from into the GC's permanent generation
 * (gc.freeze) so that every object created later can be told from the old
 * ones, and moves it back with gc.unfreeze when it is done.  gc.unfreeze
 * empties the whole permanent generation, though, and some objects there are
 * the program's own (CPython 3.12 freezes a few hundred at startup; servers
 * freeze their preloaded heap).  Those wait on this list meanwhile and are
 * put back exactly.  An object on it is still deallocated normally (unlinking
 * works on any list), never examined by a collection, and walked as frozen.
 *
 * While the old heap is frozen, its garbage cycles are never collected: an
 * entry an LRU cache evicts during the repetitions (a template and the module
 * and functions that refer to each other) would stay and look like growth.
 * hs_collect_old collects among the old objects only: the young generations
 * wait on a list of their own, the permanent generation becomes the oldest,
 * one full collection runs, its survivors are frozen again and the young
 * objects come back.  References from the young objects count as references
 * from outside, so every old object they use survives, and no new object is
 * ever frozen: identity stays exact.
 */
#include "freeze.h"

static PyGC_Head aside = {(uintptr_t)&aside, (uintptr_t)&aside};

/* Append every object of `from` to `to`, leaving `from` empty (gc_list_merge). */
static void list_move_all(PyGC_Head *from, PyGC_Head *to)
{
    if (_PyGCHead_NEXT(from) == from)
        return;
    PyGC_Head *to_tail = _PyGCHead_PREV(to);
    PyGC_Head *first = _PyGCHead_NEXT(from);
    PyGC_Head *last = _PyGCHead_PREV(from);
    _PyGCHead_SET_NEXT(to_tail, first);
    _PyGCHead_SET_PREV(first, to_tail);
    _PyGCHead_SET_NEXT(last, to);
    _PyGCHead_SET_PREV(to, last);
    from->_gc_next = (uintptr_t)from;
    from->_gc_prev = (uintptr_t)from;
}

int hs_freeze_aside(void)
{
    if (_PyGCHead_NEXT(&aside) != &aside) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: find_leaks is already running");
        return -1;
    }
    list_move_all(&hs_gcstate()->permanent_generation.head, &aside);
    return 0;
}

void hs_freeze_restore(void) { list_move_all(&aside, &hs_gcstate()->permanent_generation.head); }

PyGC_Head *hs_frozen_aside(void) { return &aside; }

static PyGC_Head young = {(uintptr_t)&young, (uintptr_t)&young};

Py_ssize_t hs_collect_old(void)
{
    struct _gc_runtime_state *g = hs_gcstate();
    if (g->collecting) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: collect_old() inside a collection");
        return -1;
    }
    if (_PyGCHead_NEXT(&young) != &young) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: collect_old() is already running");
        return -1;
    }
    for (int i = 0; i < 3; i++)
        list_move_all(&g->generations[i].head, &young);
    list_move_all(&g->permanent_generation.head, &g->generations[2].head);
    /* gc.collect(), not PyGC_Collect(): it runs even when the program disabled
     * the collector.  Finalizers may run here, and allocate into generation 0. */
    PyObject *mod = PyImport_ImportModule("gc");
    PyObject *r = mod ? PyObject_CallMethod(mod, "collect", NULL) : NULL;
    Py_XDECREF(mod);
    list_move_all(&g->generations[2].head, &g->permanent_generation.head);
    list_move_all(&young, &g->generations[2].head);
    if (!r)
        return -1;
    Py_ssize_t n = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    return n;
}
