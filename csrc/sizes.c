/*
 * sizes.c -- sys.getsizeof-exact sizes without calling Python (see sizes.h).
 *
 * Classification compares the C function behind a type's __sizeof__ (found with
 * _PyType_Lookup, which allocates nothing) with those of the builtin types, so
 * subclasses that inherit list.__sizeof__ get the list formula, and a subclass
 * with its own __sizeof__ is deferred.  Every formula mirrors the CPython
 * function it replaces for the running version, plus the pre-header
 * sys.getsizeof adds (GC head, managed dict/weakref pointers).
 */
#include "sizes.h"

static PyObject *str_sizeof;
static PyCFunction meth_object, meth_list, meth_dict, meth_set, meth_frozenset,
    meth_str, meth_int, meth_bytearray;

static PyCFunction sizeof_meth(PyTypeObject *tp)
{
    PyObject *d = _PyType_Lookup(tp, str_sizeof);
    if (d && Py_IS_TYPE(d, &PyMethodDescr_Type))
        return ((PyMethodDescrObject *)d)->d_method->ml_meth;
    return NULL;
}

int hs_sizes_init(void)
{
    str_sizeof = PyUnicode_InternFromString("__sizeof__");
    if (!str_sizeof)
        return -1;
    meth_object = sizeof_meth(&PyBaseObject_Type);
    meth_list = sizeof_meth(&PyList_Type);
    meth_dict = sizeof_meth(&PyDict_Type);
    meth_set = sizeof_meth(&PySet_Type);
    meth_frozenset = sizeof_meth(&PyFrozenSet_Type);
    meth_str = sizeof_meth(&PyUnicode_Type);
    meth_int = sizeof_meth(&PyLong_Type);
    meth_bytearray = sizeof_meth(&PyByteArray_Type);
    if (!meth_object || !meth_list || !meth_dict || !meth_set || !meth_str || !meth_int) {
        PyErr_SetString(PyExc_ImportError, "heapscope: unexpected __sizeof__ layout");
        return -1;
    }
    return 0;
}

void hs_sizes_classify(hs_typeinfo *ti)
{
    PyTypeObject *tp = ti->type;
    /* _PyType_Lookup readies a type that is not ready yet (C code can make
     * instances of a static type it never readied): that allocates, so such a
     * type gets object.__sizeof__'s formula, which is what it inherits. */
    PyCFunction m = (tp->tp_flags & Py_TPFLAGS_READY) ? sizeof_meth(tp) : meth_object;
    int kind = SZ_DEFER;
    if (m == NULL)
        kind = SZ_DEFER;
    else if (m == meth_object)
        kind = SZ_BASIC;
    else if (m == meth_list)
        kind = SZ_LIST;
    else if (m == meth_dict)
        kind = SZ_DICT;
    else if (m == meth_set || m == meth_frozenset)
        kind = SZ_SET;
    else if (m == meth_str)
        kind = SZ_STR;
    else if (m == meth_int)
        kind = SZ_INT;
    else if (m == meth_bytearray)
        kind = SZ_BYTEARRAY;
    /* Objects whose GC-ness is decided per object (types) need sys.getsizeof. */
    if (tp->tp_is_gc != NULL)
        kind = SZ_DEFER;
    ti->size_kind = (unsigned char)kind;
    ti->basic = tp->tp_basicsize + hs_type_preheader(tp);
}

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

Py_ssize_t hs_size_fast(PyObject *op, const hs_typeinfo *ti)
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
    default:
        return -1;
    }
}

Py_ssize_t hs_size_slow(PyObject *op)
{
    size_t r = _PySys_GetSizeOf(op);
    if (r == (size_t)-1 || r > (size_t)PY_SSIZE_T_MAX) {
        PyErr_Clear();
        return Py_TYPE(op)->tp_basicsize + hs_preheader(op);
    }
    return (Py_ssize_t)r;
}
