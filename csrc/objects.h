/*
 * objects.h -- live objects as Python lists (muppy.get_objects) and linear
 * identity diffs between two object lists (ObjectTracker).
 */
#ifndef HS_OBJECTS_H
#define HS_OBJECTS_H
#include "walk.h"

/* Every live object the walk finds, as a new list. */
PyObject *hs_objects_list(void);
/* Number of live objects (no list is built). */
Py_ssize_t hs_objects_count(void);
/* (added, removed): objects of `new` not in `old` and of `old` not in `new`, by identity. */
PyObject *hs_identity_diff(PyObject *old, PyObject *new_);

#endif
