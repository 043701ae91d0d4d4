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
    SZ_CODE,       /* 3.11+: variable size rounded to a pointer, unless co_extra */
    SZ_DEFER       /* anything else: call __sizeof__ after the walk             */
};

int hs_sizes_init(void);
void hs_sizes_classify(hs_typeinfo *ti);
/* Size without calling any Python code, or -1 when the object must be deferred. */
static inline __attribute__((always_inline)) Py_ssize_t hs_size_fast(PyObject *op, const hs_typeinfo *ti);
/* sys.getsizeof(op) for an object held strongly; never fails: a raising or
 * nonsensical __sizeof__ counts as the basic size (tp_basicsize + pre-header). */
Py_ssize_t hs_size_slow(PyObject *op);

/* ---- inline fast paths (called once per object) ------------------------- */

static inline Py_ssize_t str_size(PyObject *op)
{
    PyASCIIObject *a = (PyASCIIObject *)op;
    if (!a->state.compact)
        return -1;
#if !HS_PY312
    if (a->wstr != NULL)
        return -1;
#endif
    if (a->state.ascii)
        return (Py_ssize_t)sizeof(PyASCIIObject) + a->length + 1;
    if (((PyCompactUnicodeObject *)op)->utf8 != NULL)
        return -1;
    return (Py_ssize_t)sizeof(PyCompactUnicodeObject) + (a->length + 1) * (Py_ssize_t)a->state.kind;
}

static inline Py_ssize_t int_size(PyObject *op)
{
#if HS_PY312
    Py_ssize_t nd = (Py_ssize_t)(((PyLongObject *)op)->long_value.lv_tag >> _PyLong_NON_SIZE_BITS);
    return (Py_ssize_t)offsetof(PyLongObject, long_value.ob_digit) + Py_MAX(nd, 1) * (Py_ssize_t)sizeof(digit);
#else
    Py_ssize_t nd = Py_SIZE(op);
    if (nd < 0)
        nd = -nd;
#if HS_PY311
    if (nd < 1)
        nd = 1; /* 3.11 counts the digit every int has room for, zero included */
#endif
    return (Py_ssize_t)offsetof(PyLongObject, ob_digit) + nd * (Py_ssize_t)sizeof(digit);
#endif
}

static inline __attribute__((always_inline)) Py_ssize_t hs_size_fast(PyObject *op, const hs_typeinfo *ti)
{
    PyTypeObject *tp = ti->type;
    Py_ssize_t pre = ti->basic - tp->tp_basicsize;
    switch (ti->size_kind) {
    case SZ_BASIC:
        if (tp->tp_itemsize > 0) {
            Py_ssize_t n = Py_SIZE(op);
            return ti->basic + n * tp->tp_itemsize;
        }
        return ti->basic;
    case SZ_LIST:
        return ti->basic + ((PyListObject *)op)->allocated * (Py_ssize_t)sizeof(void *);
    case SZ_DICT:
        return _PyDict_SizeOf((PyDictObject *)op) + pre;
    case SZ_SET: {
        PySetObject *so = (PySetObject *)op;
        Py_ssize_t r = ti->basic;
        if (so->table != so->smalltable)
            r += (so->mask + 1) * (Py_ssize_t)sizeof(setentry);
        return r;
    }
    case SZ_STR: {
        Py_ssize_t r = str_size(op);
        return r < 0 ? -1 : r + pre;
    }
    case SZ_INT:
        return int_size(op) + pre;
    case SZ_BYTEARRAY:
        return ti->basic + ((PyByteArrayObject *)op)->ob_alloc;
#if HS_PY311
    case SZ_CODE: {
        if (((PyCodeObject *)op)->co_extra != NULL)
            return -1;
        size_t r = (size_t)(tp->tp_basicsize + Py_SIZE(op) * tp->tp_itemsize);
        return (Py_ssize_t)((r + sizeof(void *) - 1) & ~(sizeof(void *) - 1)) + pre;
    }
#endif
    default:
        return -1;
    }
}

#endif
