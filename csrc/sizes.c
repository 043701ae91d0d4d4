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
    meth_str, meth_int, meth_bytearray, meth_code;

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
#if HS_PY311
    meth_code = sizeof_meth(&PyCode_Type); /* before 3.11 code size has caches: deferred */
#endif
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
    else if (meth_code && m == meth_code)
        kind = SZ_CODE;
    /* Objects whose GC-ness is decided per object (types) need sys.getsizeof. */
    if (tp->tp_is_gc != NULL)
        kind = SZ_DEFER;
    ti->size_kind = (unsigned char)kind;
    ti->basic = tp->tp_basicsize + hs_type_preheader(tp);
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
