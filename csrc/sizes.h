/*
 * sizes.h -- object sizes equal to sys.getsizeof(obj), computed in C.
 *
 * Each type is classified once per walk by the C function behind its
 * __sizeof__; the common kinds are sized inline without calling anything.
 * Everything else (types, code, Python-level __sizeof__, ...) is "deferred":
 * sized by hs_size_slow() after the walk, on an object held strongly.
 */
#ifndef HS_SIZES_H
#define HS_SIZES_H
#include "walk.h"

enum hs_size_kind {
    SZ_BASIC,      /* object.__sizeof__: basicsize + |ob_size| * itemsize       */
    SZ_LIST, SZ_DICT, SZ_SET, SZ_STR, SZ_INT, SZ_BYTEARRAY,
    SZ_DEFER       /* anything else: call __sizeof__ after the walk             */
};

int hs_sizes_init(void);
void hs_sizes_classify(hs_typeinfo *ti);
/* Size without calling any Python code, or -1 when the object must be deferred. */
Py_ssize_t hs_size_fast(PyObject *op, const hs_typeinfo *ti);
/* sys.getsizeof(op) for an object held strongly; never fails: a raising or
 * nonsensical __sizeof__ counts as the basic size (tp_basicsize + pre-header). */
Py_ssize_t hs_size_slow(PyObject *op);

#endif
