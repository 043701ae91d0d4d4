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

extern PyTypeObject HS_SnapshotType;
extern PyTypeObject HS_SnapshotDiffType;

/* A new Snapshot of every live object; identity: take part in a serial series (3.13+). */
PyObject *hs_snapshot_take(int identity);
int hs_snapshot_init(PyObject *module);

#endif
