/*
 * verdict.h -- what find_leaks' verdicts are made of: the old objects that
 * changed between two snapshots, per-object series over many snapshots, new
 * objects grouped by where they accumulate (their nearest old dominator),
 * malloc's own counters, and live objects found again by address.
 *
 * Everything but objects_at is plain C over snapshot data (records.h): no
 * Python callback, no live object touched; Python objects are made only for
 * the results.  objects_at walks the heap once and dereferences only what
 * that walk reaches.
 */
#ifndef HS_VERDICT_H
#define HS_VERDICT_H
#include "hs_python.h"

/* _core.old_changes(old, new) -> [(addr, label, detail, old_size, new_size,
 * old_len, new_len)]: objects alive in both (relaxed identity) whose size or
 * length changed. */
PyObject *hs_old_changes(PyObject *old, PyObject *new_);
/* _core.record_series(snaps, addrs) -> per addr, per snapshot (size, length) or None. */
PyObject *hs_record_series(PyObject *snaps, PyObject *addrs);
/* _core.leak_groups(diff, labels, containers) -> (groups, members). */
PyObject *hs_leak_groups(PyObject *diff, PyObject *labels, PyObject *containers);
/* _core.native_memory() -> (malloc_in_use, allocated_blocks). */
PyObject *hs_native_memory(void);
/* _core.objects_at(addrs) -> [object or None], by one fresh heap walk. */
PyObject *hs_objects_at(PyObject *addrs);

#endif
