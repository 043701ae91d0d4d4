/*
 * export.h -- a Snapshot written out in formats other tools read (export.c).
 *
 *   export_devtools(path)  Chrome DevTools .heapsnapshot (graph snapshots)
 *   export_jsonl(path)     JSON lines, one object a line, for scripts
 *
 * Both read only the recorded data (records, rows, labels, graph, roots,
 * edge names): no recorded address is ever dereferenced, so they work as well
 * for a snapshot loaded from a heap file.  The file is streamed through a
 * buffered writer; only the string table of the .heapsnapshot is kept.
 */
#ifndef HS_EXPORT_H
#define HS_EXPORT_H
#include "records.h"

/* Snapshot.export_devtools(path) -> None; ValueError without a graph. */
PyObject *hs_export_devtools(SnapshotObject *s, PyObject *path);
/* Snapshot.export_jsonl(path) -> None; any snapshot. */
PyObject *hs_export_jsonl(SnapshotObject *s, PyObject *path);

#endif
