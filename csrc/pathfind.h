/*
 * pathfind.h -- one shortest retaining path from a module or frame root,
 * found by a forward search from the roots without building the graph
 * (a seen-bit and 8 bytes per queued object instead of the graph's arrays).
 */
#ifndef HS_PATHFIND_H
#define HS_PATHFIND_H
#include "graph.h"

/* 1: *objs is a new list of the objects root .. obj (strong references) and
 * *root its root (kind, thread, on_stack; name and code strong, no label);
 * 0: no module or frame root reaches obj, or obj is not on the heap (the
 * graph search knows the other roots); -1 with an exception.  ignore:
 * heapscope's own argument holding obj (never passed through), or NULL. */
int hs_pathfind(PyObject *obj, PyObject *ignore, hs_root *root, PyObject **objs);

#endif
