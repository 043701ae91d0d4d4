/*
 * hs_python.h -- the one place that reaches into CPython internals.
 *
 * heapscope walks the heap the way the cyclic GC sees it, so it needs the
 * interpreter's GC lists, interpreter frames and a few private size helpers.
 * Every version difference (3.9 .. 3.13, GIL builds) is hidden behind the small
 * inline helpers below; the rest of the C sources never test PY_VERSION_HEX.
 */
#ifndef HS_PYTHON_H
#define HS_PYTHON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <frameobject.h>

#if PY_VERSION_HEX < 0x03090000 || PY_VERSION_HEX >= 0x030E0000
#error "heapscope supports CPython 3.9 to 3.13"
#endif
#ifdef Py_GIL_DISABLED
#error "heapscope needs a GIL build of CPython (free-threaded builds are not supported)"
#endif

/* The internal headers are not written for -Wextra -Werror; silence them here only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#undef _PyGC_FINALIZED
#define Py_BUILD_CORE 1
#include "internal/pycore_interp.h"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#include "internal/pycore_dict.h"
#endif
#undef Py_BUILD_CORE
#pragma GCC diagnostic pop

/* Exported by libpython in every supported version, declared only in some. */
extern Py_ssize_t _PyDict_SizeOf(PyDictObject *);
extern size_t _PySys_GetSizeOf(PyObject *);
extern PyObject *_PyType_Lookup(PyTypeObject *, PyObject *);

#define HS_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define HS_PY311 (PY_VERSION_HEX >= 0x030B0000)

/* ---- GC state ---------------------------------------------------------- */

static inline struct _gc_runtime_state *hs_gcstate(void)
{
    return &PyInterpreterState_Get()->gc;
}

static inline int hs_gc_collecting(void) { return hs_gcstate()->collecting != 0; }
/* The youngest generation's allocation count (what starts automatic collections). */
static inline int hs_gc_young_count(void) { return hs_gcstate()->generations[0].count; }
/* Put it back no higher than c, and at least `room` allocations below the
 * threshold that starts a collection (when the threshold allows): heapscope's
 * own allocations do not count, and the next few it makes cannot start one. */
static inline void hs_gc_young_restore(int c, int room)
{
    int threshold = hs_gcstate()->generations[0].threshold;
    if (threshold > 2 * room && c > threshold - room)
        c = threshold - room;
    if (hs_gcstate()->generations[0].count > c)
        hs_gcstate()->generations[0].count = c;
}

static inline int hs_gc_set_enabled(int on)
{
    struct _gc_runtime_state *g = hs_gcstate();
    int old = g->enabled;
    g->enabled = on;
    return old;
}

/* Bytes sys.getsizeof adds in front of the object (GC head, managed dict/weakref). */
static inline Py_ssize_t hs_type_preheader(PyTypeObject *tp)
{
    Py_ssize_t n = PyType_IS_GC(tp) ? (Py_ssize_t)sizeof(PyGC_Head) : 0;
#if HS_PY312
    if (tp->tp_flags & (Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_MANAGED_WEAKREF))
        n += 2 * (Py_ssize_t)sizeof(PyObject *);
#elif HS_PY311
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)
        n += 2 * (Py_ssize_t)sizeof(PyObject *);
#endif
    return n;
}

static inline Py_ssize_t hs_preheader(PyObject *op)
{
#if HS_PY311
    return hs_type_preheader(Py_TYPE(op));
#else
    return PyObject_IS_GC(op) ? (Py_ssize_t)sizeof(PyGC_Head) : 0;
#endif
}

/* ---- frames -------------------------------------------------------------- */

/* The frames running on a thread, innermost first: interpreter frames on
 * 3.11+, frame objects before. */
#if HS_PY311
typedef _PyInterpreterFrame hs_frame;
static inline hs_frame *hs_frame_back(hs_frame *f) { return f->previous; }
static inline hs_frame *hs_top_frame(PyThreadState *ts)
{
#if PY_VERSION_HEX >= 0x030D0000
    return ts->current_frame;
#else
    return ts->cframe ? ts->cframe->current_frame : NULL;
#endif
}
#else
typedef PyFrameObject hs_frame;
static inline hs_frame *hs_frame_back(hs_frame *f) { return f->f_back; }
static inline hs_frame *hs_top_frame(PyThreadState *ts) { return ts->frame; }
#endif

/* A PyFrameObject that belongs to a frame still running on some thread's stack. */
static inline int hs_frame_is_executing(PyFrameObject *f)
{
#if HS_PY311
    return f->f_frame->owner == FRAME_OWNED_BY_THREAD;
#elif PY_VERSION_HEX >= 0x030A0000
    return f->f_state == FRAME_EXECUTING;
#else
    return f->f_executing;
#endif
}

/* ---- instance dicts -------------------------------------------------------- */

#ifndef Py_TPFLAGS_MANAGED_DICT
#define Py_TPFLAGS_MANAGED_DICT 0 /* before 3.11: no managed dicts */
#endif
/* 3.13's tp_traverse skips a materialized __dict__ while the instance's inline
 * values are still in use, so the walk visits that dict itself. */
#define HS_TRAVERSE_MISSES_MANAGED_DICT (PY_VERSION_HEX >= 0x030D0000)

/* The __dict__ object of an instance if one exists, borrowed; NULL when the
 * instance has none or its attributes are still inline values.  Never
 * materializes a dict and never allocates. */
static inline PyObject *hs_instance_dict(PyObject *op, PyTypeObject *tp)
{
#if HS_PY311
    /* The managed dict slot, three words before the object (pycore_object.h):
     * the dict on 3.11 and 3.13; on 3.12 the dict, or inline values tagged 1. */
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        uintptr_t slot = ((uintptr_t *)op)[-3];
#if HS_PY312 && PY_VERSION_HEX < 0x030D0000
        if (slot & 1)
            return NULL;
#endif
        return (PyObject *)slot;
    }
#endif
    Py_ssize_t off = tp->tp_dictoffset;
    if (off == 0)
        return NULL;
    if (off < 0) {
        Py_ssize_t n = Py_SIZE(op);
        if (n < 0)
            n = -n;
        off += (Py_ssize_t)_PyObject_VAR_SIZE(tp, n);
    }
    return *(PyObject **)((char *)op + off);
}

/* Whether CPython's dict_traverse visits the keys of dict op as well as its
 * values: only for a general table (a key that is not a str); str-keyed and
 * split tables show their values only.  general: 3.9/3.10, the lookup
 * function of a general table (hs_dict_lookup of a dict with an int key). */
#if !HS_PY311
typedef struct { /* the head of 3.9/3.10's struct _dictkeysobject (dict-common.h) */
    Py_ssize_t dk_refcnt, dk_size;
    void *dk_lookup;
} hs_dictkeys_head;
#endif
static inline const void *hs_dict_lookup(PyObject *op)
{
#if HS_PY311
    (void)op;
    return NULL;
#else
    return ((hs_dictkeys_head *)((PyDictObject *)op)->ma_keys)->dk_lookup;
#endif
}
static inline int hs_dict_traverse_visits_keys(PyObject *op, const void *general)
{
#if HS_PY311
    (void)general;
    return !DK_IS_UNICODE(((PyDictObject *)op)->ma_keys);
#else
    return hs_dict_lookup(op) == general;
#endif
}

/* 3.13+: whether dict op is an instance's __dict__ whose values are still the
 * instance's inline values: the references are the instance's (its traverse
 * shows them, dict_traverse does not), so the dict's own are only its keys. */
static inline int hs_dict_values_embedded(PyObject *op)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyDictValues *v = ((PyDictObject *)op)->ma_values;
    return v != NULL && v->embedded;
#else
    (void)op;
    return 0;
#endif
}

/* The inline attribute values of instance op (3.11+: attributes not in a
 * __dict__ object), borrowed: returns how many slots *values has (unused ones
 * are NULL), 0 when it has none.  Slot i is the attribute named by entry i of
 * the type's cached keys. */
static inline Py_ssize_t hs_inline_values(PyObject *op, PyTypeObject *tp, PyObject ***values_out)
{
#if HS_PY311
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    PyDictKeysObject *keys = ((PyHeapTypeObject *)tp)->ht_cached_keys;
    if (!keys)
        return 0;
    Py_ssize_t n = keys->dk_nentries;
#if PY_VERSION_HEX >= 0x030D0000
    if (!(tp->tp_flags & Py_TPFLAGS_INLINE_VALUES))
        return 0;
    PyDictValues *values = (PyDictValues *)((char *)op + sizeof(PyObject));
    if (!values->valid)
        return 0;
    if (n > values->capacity)
        n = values->capacity;
#elif HS_PY312
    char *tagged = ((char **)op)[-3];
    if (!((uintptr_t)tagged & 1))
        return 0;
    PyDictValues *values = (PyDictValues *)(tagged + 1);
#else
    PyDictValues *values = ((PyDictValues **)op)[-4];
    if (!values)
        return 0;
#endif
    *values_out = values->values;
    return n;
#else
    (void)op;
    (void)tp;
    (void)values_out;
    return 0;
#endif
}

/* Name of the attribute under which instance op holds child in its inline
 * values (3.11+: attributes not in a __dict__ object), borrowed, or NULL. */
static inline PyObject *hs_inline_attr_name(PyObject *op, PyObject *child)
{
#if HS_PY311
    PyObject **values;
    Py_ssize_t n = hs_inline_values(op, Py_TYPE(op), &values);
    for (Py_ssize_t i = 0; i < n; i++)
        if (values[i] == child)
            return DK_UNICODE_ENTRIES(((PyHeapTypeObject *)Py_TYPE(op))->ht_cached_keys)[i].me_key;
#else
    (void)op;
    (void)child;
#endif
    return NULL;
}

/* ---- dicts ------------------------------------------------------------------ */

/* The entries of a dict, to be read in place: key i at keys[i * *stride], its
 * value right after it (an entry whose value is NULL is unused, as for
 * PyDict_Next).  Returns the entry count, or -1 when they must be read with
 * PyDict_Next (split tables; before 3.11 the layout is private). */
static inline Py_ssize_t hs_dict_entries(PyObject *op, PyObject ***keys, int *stride)
{
#if HS_PY311
    _Static_assert(offsetof(PyDictKeyEntry, me_value) == offsetof(PyDictKeyEntry, me_key) + sizeof(PyObject *),
                   "dict entry layout");
    _Static_assert(offsetof(PyDictUnicodeEntry, me_value) ==
                       offsetof(PyDictUnicodeEntry, me_key) + sizeof(PyObject *),
                   "dict entry layout");
    PyDictObject *mp = (PyDictObject *)op;
    if (mp->ma_values != NULL)
        return -1;
    PyDictKeysObject *dk = mp->ma_keys;
    if (dk->dk_nentries == 0) /* the shared empty keys' entries are not even aligned */
        return 0;
    if (DK_IS_UNICODE(dk)) {
        *keys = &DK_UNICODE_ENTRIES(dk)[0].me_key;
        *stride = (int)(sizeof(PyDictUnicodeEntry) / sizeof(PyObject *));
    } else {
        *keys = &DK_ENTRIES(dk)[0].me_key;
        *stride = (int)(sizeof(PyDictKeyEntry) / sizeof(PyObject *));
    }
    return dk->dk_nentries;
#else
    (void)op;
    (void)keys;
    (void)stride;
    return -1;
#endif
}

/* ---- code objects ---------------------------------------------------------- */

/* Borrowed qualified name of a code object (co_name before 3.11). */
static inline PyObject *hs_code_qualname(PyCodeObject *co)
{
#if HS_PY311
    return co->co_qualname;
#else
    return co->co_name;
#endif
}

/* Borrowed name of free variable i of a code object (the cell closure[i] holds). */
static inline PyObject *hs_code_freevar(PyCodeObject *co, Py_ssize_t i)
{
#if HS_PY311
    PyObject *names = co->co_localsplusnames;
    Py_ssize_t at = co->co_nlocalsplus - co->co_nfreevars + i;
#else
    PyObject *names = co->co_freevars;
    Py_ssize_t at = i;
#endif
    if (!names || !PyTuple_Check(names) || at < 0 || at >= PyTuple_GET_SIZE(names))
        return NULL;
    return PyTuple_GET_ITEM(names, at);
}

/* Whether a str's characters can be read in place (PyUnicode_KIND/DATA):
 * legacy, not yet "ready" strings exist only before 3.12. */
static inline int hs_str_readable(PyObject *s)
{
#if HS_PY312
    return PyUnicode_Check(s);
#else
    return PyUnicode_Check(s) && PyUnicode_IS_READY(s);
#endif
}

#endif /* HS_PY_H */
