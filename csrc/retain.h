/*
 * retain.h -- the retained size of one object, found from what it reaches
 * (no graph of the whole heap): the bytes freed if it went away.
 */
#ifndef HS_RETAIN_H
#define HS_RETAIN_H
#include "walk.h"

/* Bytes of obj and of everything it alone keeps alive (sys.getsizeof sizes),
 * as a Python int; None when obj is not on the heap (heapscope's own, a
 * running frame); NULL with an exception.  ignore: heapscope's own argument
 * holding obj (not a holder), or NULL. */
PyObject *hs_retained_one(PyObject *obj, PyObject *ignore);

#endif
