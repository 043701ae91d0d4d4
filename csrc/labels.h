/*
 * labels.h -- Pympler-identical type labels ("dict", "function (f)",
 * "module(os)", "frame (codename: run)", "__main__.Foo", a metaclass repr).
 *
 * During a walk only a label *key* is taken: the type plus, for functions,
 * modules and frames, the borrowed object that names them.  The strings are
 * made once per distinct key after the walk, when Python code may run.
 */
#ifndef HS_LABELS_H
#define HS_LABELS_H
#include "walk.h"

enum hs_label_kind { LABEL_TYPE, LABEL_FUNCTION, LABEL_MODULE, LABEL_FRAME };

int hs_labels_init(void);
void hs_labels_classify(hs_typeinfo *ti);
/* Borrowed key object for a per-object label (NULL for LABEL_TYPE). No allocation. */
PyObject *hs_label_extra(PyObject *op, const hs_typeinfo *ti);
/* New reference to the label string; only after the walk. NULL only on MemoryError. */
PyObject *hs_label_make(PyTypeObject *tp, int kind, PyObject *extra);
/* Python hook for the one rare case: module(m) labels a module without a
 * __name__ in its dict (Pympler's getattr chain). */
int hs_labels_set_hooks(PyObject *module);

#endif
