/*
 * summary.h -- per-label counts and sizes of a set of objects, and the
 * Summary type that stores them invisibly (non-GC, never counted).
 */
#ifndef HS_SUMMARY_H
#define HS_SUMMARY_H
#include "walk.h"

extern PyTypeObject HS_SummaryType;

/* Summary of every live object, straight from a heap walk; detail: detailed labels. */
PyObject *hs_summary_of_heap(int detail);
/* Pympler's summarize(objects): a list of [label, count, size] rows. */
PyObject *hs_summary_of_sequence(PyObject *objects, int detail);
/* Label of one object (Pympler's _repr at verbosity 1, or the detailed label). */
PyObject *hs_label_of(PyObject *op, int detail);
/* sys.getsizeof-exact size of one object, as the walk computes it. */
Py_ssize_t hs_size_of(PyObject *op);
int hs_summary_init(PyObject *module);

#endif
