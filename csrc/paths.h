/*
 * paths.h -- why is an object alive: the shortest chains of references from
 * the graph's roots to it, with a readable label on every step.
 */
#ifndef HS_PATHS_H
#define HS_PATHS_H
#include "walk.h"

/* For each object of the sequence objs: [(root kind, root label, [objects
 * root .. obj], [edge labels])] for up to max_paths distinct roots, shortest
 * first; objects held from outside only when no module or frame root retains
 * it.  With retained, (paths, retained size) instead.  One heap walk and graph
 * for all; the result references the objects on the paths, nothing else.
 * One object with max_paths 1 is first searched without a graph
 * (pathfind.c) unless graph is set. */
PyObject *hs_why_alive(PyObject *objs, int max_paths, int retained, int graph);
/* The same for one object over a graph snapshot taken earlier (no walk when
 * its paths still hold; a fresh walk when the heap has changed along them). */
PyObject *hs_snapshot_why_alive(PyObject *snap, PyObject *obj, int max_paths);
/* How parent refers to child, by looking at the two objects only (an
 * instance __dict__ is never materialized): ("key", key object), ("attr",
 * name), ("index", i) or ("item", text); ("item", "") when not found.  Both
 * must be live objects the caller holds.  why_alive's steps and DOT edges. */
PyObject *hs_edge_tuple(PyObject *parent, PyObject *child);
/* Paths of nodes[0..count-1] of a graph snapshot, whose objects had types
 * types[k] (addresses, compared only): per node a list as above (at most
 * max_paths), or None when the object is no longer alive.  Stored chains are
 * followed from live roots; the rest are found again by one fresh walk. */
PyObject *hs_snapshot_node_paths(PyObject *snap, const uint32_t *nodes, const uintptr_t *types, size_t count,
                                 int max_paths);

#endif
