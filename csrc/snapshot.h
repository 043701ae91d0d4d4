/*
 * snapshot.h -- compact snapshots of the live heap and diffs with identity.
 *
 * A Snapshot records, for every object of one walk, its address, size, label
 * row and whether the GC tracked it (16 bytes; plus an 8-byte creation serial
 * on 3.13+).  It holds no reference to any heap object: types are kept as
 * opaque addresses and labels as heapscope's own strings.  A SnapshotDiff
 * tells the objects of a newer snapshot that were not in an older one; the
 * objects themselves are only ever found again by a fresh walk.
 */
#ifndef HS_SNAPSHOT_H
#define HS_SNAPSHOT_H
#include "walk.h"

struct hs_graph;

extern PyTypeObject HS_SnapshotType;
extern PyTypeObject HS_SnapshotDiffType;

/* Called with the graph right after it is built, before any Python code runs:
 * addrs[i * stride] is node i's address, all still valid.  0 or -1. */
typedef int (*hs_graph_hook)(void *ctx, const uintptr_t *addrs, size_t stride, struct hs_graph *g);

/* A new Snapshot of every live object; identity: take part in a serial series
 * (3.13+); graph: add the reference graph (then hook, if given, sees it), 2:
 * with the names of its edges (edges.c); lengths: store container lengths. */
PyObject *hs_snapshot_take(int identity, int graph, int lengths, hs_graph_hook hook, void *hook_ctx);
/* The graph of a Snapshot, or NULL. */
struct hs_graph *hs_snapshot_graph(PyObject *snap);
/* Retained size of graph node `node` (dominator tree computed on first use);
 * 0, or -1 with an exception (no graph, out of memory). */
int hs_snapshot_retained(PyObject *snap, uint32_t node, uint64_t *out);
/* Its node addresses: node i at addrs[i * stride] (opaque: never dereference). */
const uintptr_t *hs_snapshot_addrs(PyObject *snap, size_t *stride);
int hs_snapshot_init(PyObject *module);

#endif
