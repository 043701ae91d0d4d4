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

enum hs_label_kind {
    /* Pympler's labels (the default) */
    LABEL_TYPE, LABEL_FUNCTION, LABEL_MODULE, LABEL_FRAME,
    /* detailed labels (detail=True): extra / extra2 are the key objects */
    LABEL_METHOD_OF,      /* "method (Class.name)"        __func__.__qualname__ */
    LABEL_FUNCTION_OF,    /* "function (module.qualname)" qualname / __module__  */
    LABEL_FRAME_OF,       /* "frame (qualname, file:line)" the code object       */
    LABEL_DICT_OF,        /* "dict of module.Class"       the owner's type       */
    LABEL_DICT_OF_MODULE, /* "dict of module(name)"       the module's name      */
    LABEL_CELL_OF         /* "cell (var in qualname)"     var / function qualname */
};

int hs_labels_init(void);
void hs_labels_classify(hs_typeinfo *ti);
/* Borrowed key object for a per-object label (NULL for LABEL_TYPE). No allocation. */
PyObject *hs_label_extra(PyObject *op, const hs_typeinfo *ti);
/* Detailed key of op when it differs from the default one: the kind (and the
 * borrowed key objects), or -1.  Dicts and cells are labelled by their owner
 * instead (hs_label_owner_key).  No allocation. */
int hs_label_detail_key(PyObject *op, const hs_typeinfo *ti, PyObject **extra, PyObject **extra2);
/* Detailed key of an instance dict or a closure cell from the object that owns
 * it (an instance or module; a function): the kind, or -1.  No allocation. */
int hs_label_owner_key(PyObject *op, PyObject *owner, PyObject **extra, PyObject **extra2);
/* New reference to the label string; only after the walk. NULL only on MemoryError. */
PyObject *hs_label_make(PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2);
/* Python hook for the one rare case: module(m) labels a module without a
 * __name__ in its dict (Pympler's getattr chain). */
int hs_labels_set_hooks(PyObject *module);

#endif
