/*
 * refsearch.h -- searches around given objects on a live reference graph:
 * the objects within some references of them (referrers or referents) with
 * the adjacency between them, and objgraph's shortest chain to an object
 * matching a predicate.  One heap walk and graph each; the results reference
 * the objects reached, nothing else.
 */
#ifndef HS_REFSEARCH_H
#define HS_REFSEARCH_H
#include "snapshot.h"

/* (objects, adjacency): objects in breadth-first order from the seeds (the
 * sequence's items first, in order), adjacency[i] the positions of object i's
 * referrers (backwards) or referents, in gc.get_referrers / traversal order,
 * or None when i was not expanded (at max_depth; a module with cull_modules;
 * a seed not on the heap or given twice).  ignore: ids never entered. */
PyObject *hs_neighbourhood(PyObject *seeds, int max_depth, int backwards, PyObject *ignore, int cull_modules);
/* objgraph's _find_chain: [found, ..., obj] for the first object, in
 * breadth-first order within max_depth references, for which predicate is
 * true, or [obj].  The predicate runs after the walk, on strong references. */
PyObject *hs_find_chain(PyObject *obj, PyObject *predicate, int max_depth, int backwards, PyObject *ignore);

#endif
