/*
 * labels.c -- Pympler 1.1 summary._repr at verbosity 1, in C (see labels.h).
 *
 * Pympler computes str(type(o)) for most objects, special-cases exact
 * functions, modules and frames by name, then strips " at 0x..." and turns
 * "<class 'x'>" into "x".  Here the common path builds the final string
 * directly and applies Pympler's two regexes as plain string operations;
 * only a module without a __name__ in its dict goes through a Python hook
 * (Pympler's getattr chain), registered by heapscope.summary.
 */
#include "labels.h"
#include <string.h>

static PyObject *str_name, *str_q;
static PyObject *hook_module;

int hs_labels_init(void)
{
    str_name = PyUnicode_InternFromString("__name__");
    str_q = PyUnicode_InternFromString("?");
    return str_name && str_q ? 0 : -1;
}

int hs_labels_set_hooks(PyObject *module)
{
    Py_XINCREF(module);
    Py_XSETREF(hook_module, module);
    return 0;
}

void hs_labels_classify(hs_typeinfo *ti)
{
    PyTypeObject *tp = ti->type;
    if (tp == &PyFunction_Type)
        ti->label_kind = LABEL_FUNCTION;
    else if (tp == &PyModule_Type)
        ti->label_kind = LABEL_MODULE;
    else if (tp == &PyFrame_Type)
        ti->label_kind = LABEL_FRAME;
    else
        ti->label_kind = LABEL_TYPE;
}

static PyObject *frame_code_name(PyFrameObject *f)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *ex = f->f_frame->f_executable;
    return (ex && PyCode_Check(ex)) ? ((PyCodeObject *)ex)->co_name : NULL;
#elif HS_PY311
    return f->f_frame->f_code ? f->f_frame->f_code->co_name : NULL;
#else
    return f->f_code ? f->f_code->co_name : NULL;
#endif
}

PyObject *hs_label_extra(PyObject *op, const hs_typeinfo *ti)
{
    switch (ti->label_kind) {
    case LABEL_FUNCTION:
        return ((PyFunctionObject *)op)->func_name;
    case LABEL_MODULE: {
        PyObject *d = PyModule_GetDict(op); /* borrowed, allocates nothing */
        PyObject *name = NULL;
        if (d && PyDict_CheckExact(d)) {
            name = PyDict_GetItemWithError(d, str_name);
            if (!name && PyErr_Occurred())
                PyErr_Clear();
        }
        /* No usable __name__: key on the module itself, labelled by the hook. */
        return name ? name : op;
    }
    case LABEL_FRAME:
        return frame_code_name((PyFrameObject *)op);
    default:
        return NULL;
    }
}

/* ---- detailed keys ---------------------------------------------------------
 * What Pympler's labels lost with Python 3: which method, which function,
 * whose __dict__, which closure variable, which frame. */

int hs_label_detail_key(PyObject *op, const hs_typeinfo *ti, PyObject **extra, PyObject **extra2)
{
    *extra = *extra2 = NULL;
    PyTypeObject *tp = ti->type;
    if (tp == &PyMethod_Type) {
        PyObject *f = PyMethod_GET_FUNCTION(op);
        if (!f || !PyFunction_Check(f))
            return -1;
        *extra = ((PyFunctionObject *)f)->func_qualname;
        return *extra ? LABEL_METHOD_OF : -1;
    }
    if (tp == &PyFunction_Type) {
        PyFunctionObject *f = (PyFunctionObject *)op;
        *extra = f->func_qualname;
        *extra2 = f->func_module;
        return *extra ? LABEL_FUNCTION_OF : -1;
    }
    if (tp == &PyFrame_Type) {
#if PY_VERSION_HEX >= 0x030D0000
        PyObject *ex = ((PyFrameObject *)op)->f_frame->f_executable;
        *extra = (ex && PyCode_Check(ex)) ? ex : NULL;
#elif HS_PY311
        *extra = (PyObject *)((PyFrameObject *)op)->f_frame->f_code;
#else
        *extra = (PyObject *)((PyFrameObject *)op)->f_code;
#endif
        return *extra ? LABEL_FRAME_OF : -1;
    }
    return -1;
}

int hs_label_owner_key(PyObject *op, PyObject *owner, PyObject **extra, PyObject **extra2)
{
    *extra = *extra2 = NULL;
    if (PyDict_Check(op)) {
        if (PyModule_CheckExact(owner)) {
            PyObject *name = PyDict_GetItemWithError(op, str_name);
            if (!name) {
                PyErr_Clear();
                return -1;
            }
            *extra = name;
            return LABEL_DICT_OF_MODULE;
        }
        *extra = (PyObject *)Py_TYPE(owner);
        return LABEL_DICT_OF;
    }
    if (PyCell_Check(op) && PyFunction_Check(owner)) {
        PyFunctionObject *f = (PyFunctionObject *)owner;
        PyObject *cl = f->func_closure;
        if (!cl || !PyTuple_Check(cl) || !f->func_code || !PyCode_Check(f->func_code))
            return -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cl); i++) {
            if (PyTuple_GET_ITEM(cl, i) == op) {
                *extra = hs_code_freevar((PyCodeObject *)f->func_code, i);
                *extra2 = f->func_qualname;
                return *extra ? LABEL_CELL_OF : -1;
            }
        }
    }
    return -1;
}

/* head + s[from:to] as a new reference; head may be NULL (then just the slice). */
static PyObject *append_slice(PyObject *head, PyObject *s, Py_ssize_t from, Py_ssize_t to)
{
    PyObject *part = PyUnicode_Substring(s, from, to);
    if (!part || !head)
        return part;
    PyObject *r = PyUnicode_Concat(head, part);
    Py_DECREF(part);
    return r;
}

/* re.sub(' at 0x[0-9a-f]+', '', s): drop every " at 0x" followed by hex digits. */
static PyObject *strip_addresses(PyObject *s)
{
    static const char pat[] = " at 0x";
    static PyObject *needle;
    const Py_ssize_t plen = (Py_ssize_t)sizeof(pat) - 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0, last = 0;
    PyObject *out = NULL;
    if (!needle && !(needle = PyUnicode_InternFromString(pat)))
        return NULL;
    i = PyUnicode_Find(s, needle, 0, n, 1); /* the common case: nothing to strip */
    if (i == -2)
        return NULL;
    if (i < 0) {
        Py_INCREF(s);
        return s;
    }
    while (i + plen < n) {
        Py_ssize_t k = 0;
        while (k < plen && PyUnicode_READ_CHAR(s, i + k) == (Py_UCS4)pat[k])
            k++;
        Py_ssize_t j = i + plen;
        while (k == plen && j < n) {
            Py_UCS4 c = PyUnicode_READ_CHAR(s, j);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                break;
            j++;
        }
        if (k < plen || j == i + plen) {
            i++;
            continue;
        }
        PyObject *acc = append_slice(out, s, last, i);
        Py_XDECREF(out);
        if (!acc)
            return NULL;
        out = acc;
        last = i = j;
    }
    if (!out) {
        Py_INCREF(s);
        return s;
    }
    PyObject *r = append_slice(out, s, last, n);
    Py_DECREF(out);
    return r;
}

static int starts_with(PyObject *s, const char *prefix)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; prefix[i]; i++)
        if (i >= n || PyUnicode_READ_CHAR(s, i) != (Py_UCS4)(unsigned char)prefix[i])
            return 0;
    return 1;
}

/* re.sub(r"^<(type|class) '(\S+)'>$", r"\2", s), "$" also before a final newline. */
static PyObject *strip_type_repr(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), start;
    if (starts_with(s, "<class '"))
        start = 8;
    else if (starts_with(s, "<type '"))
        start = 7;
    else
        goto keep;
    Py_ssize_t end = n; /* exclusive end of the match */
    if (end > 0 && PyUnicode_READ_CHAR(s, end - 1) == '\n')
        end--;
    if (end - start < 3 || PyUnicode_READ_CHAR(s, end - 1) != '>' || PyUnicode_READ_CHAR(s, end - 2) != '\'')
        goto keep;
    for (Py_ssize_t i = start; i < end - 2; i++)
        if (Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(s, i)))
            goto keep;
    PyObject *inner = PyUnicode_Substring(s, start, end - 2);
    if (!inner || end == n)
        return inner;
    PyObject *r = append_slice(inner, s, end, n); /* the newline "$" let through */
    Py_DECREF(inner);
    return r;
keep:
    Py_INCREF(s);
    return s;
}

/* Pympler's two regexes: addresses out, "<class 'x'>" to "x". Steals label. */
static PyObject *postprocess(PyObject *label)
{
    if (!label)
        return NULL;
    PyObject *a = strip_addresses(label);
    Py_DECREF(label);
    if (!a)
        return NULL;
    PyObject *b = strip_type_repr(a);
    Py_DECREF(a);
    return b;
}

/* Label of a plain type: str(type), falling back to type.__repr__ when a
 * metaclass __repr__/__str__ raises or returns something that is not a str. */
static PyObject *type_label(PyTypeObject *tp)
{
    PyObject *r = PyObject_Str((PyObject *)tp);
    if (r && PyUnicode_Check(r))
        return r;
    Py_XDECREF(r);
    PyErr_Clear();
    r = PyType_Type.tp_repr((PyObject *)tp);
    if (r)
        return r;
    PyErr_Clear();
    return PyUnicode_FromFormat("<class '%s'>", tp->tp_name);
}

/* ---- label cache ----------------------------------------------------------
 * Most labels are the same from one walk to the next, so the strings are kept
 * across walks in a direct-mapped table.  It holds references only to its own
 * label strings, never to the types or names it is keyed on, so every hit is
 * validated: a type by its version tag and qualname (both change when the type
 * does, and a new type at a reused address gets a new tag), a function label by
 * comparing the name's characters with the label's. */

#define LCACHE_SIZE 8192

typedef struct {
    const void *key;
    const void *key2;
    unsigned int tag;
    int kind;
    PyObject *label;
} lcache_entry;

static lcache_entry lcache[LCACHE_SIZE];

static lcache_entry *lcache_slot(const void *key, int kind)
{
    uintptr_t h = ((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ULL + (uintptr_t)kind;
    return &lcache[(h >> 40) & (LCACHE_SIZE - 1)];
}

static void lcache_put(lcache_entry *e, const void *key, const void *key2, unsigned int tag, int kind,
                       PyObject *label)
{
    Py_INCREF(label);
    Py_XSETREF(e->label, label);
    e->key = key;
    e->key2 = key2;
    e->tag = tag;
    e->kind = kind;
}

/* Types whose label is plain type.__repr__ output, stable while the version tag is. */
static int type_label_cacheable(PyTypeObject *tp)
{
    PyTypeObject *meta = Py_TYPE(tp);
    return tp->tp_version_tag != 0 && meta->tp_repr == PyType_Type.tp_repr &&
           meta->tp_str == PyType_Type.tp_str;
}

static const void *type_key2(PyTypeObject *tp)
{
    return (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) ? (const void *)((PyHeapTypeObject *)tp)->ht_qualname
                                                : (const void *)tp->tp_name;
}

/* "function (" + name + ")", checked against the name's characters. */
static int function_label_matches(PyObject *label, PyObject *name)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(name);
    if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(label) != n + 11 ||
        PyUnicode_KIND(label) != PyUnicode_KIND(name))
        return 0;
    int kind = PyUnicode_KIND(name);
    return memcmp((char *)PyUnicode_DATA(label) + 10 * kind, PyUnicode_DATA(name), (size_t)(n * kind)) == 0;
}

static PyObject *label_make_uncached(PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2);

PyObject *hs_label_make(PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2)
{
    if (kind == LABEL_TYPE && type_label_cacheable(tp)) {
        lcache_entry *e = lcache_slot(tp, kind);
        if (e->label && e->key == tp && e->kind == kind && e->tag == tp->tp_version_tag &&
            e->key2 == type_key2(tp)) {
            Py_INCREF(e->label);
            return e->label;
        }
        PyObject *r = label_make_uncached(tp, kind, extra, NULL);
        if (r && type_label_cacheable(tp))
            lcache_put(e, tp, type_key2(tp), tp->tp_version_tag, kind, r);
        return r;
    }
    if (kind == LABEL_FUNCTION && extra && PyUnicode_Check(extra)) {
        lcache_entry *e = lcache_slot(extra, kind);
        if (e->label && e->key == extra && e->kind == kind && function_label_matches(e->label, extra)) {
            Py_INCREF(e->label);
            return e->label;
        }
        PyObject *r = label_make_uncached(tp, kind, extra, NULL);
        if (r && function_label_matches(r, extra))
            lcache_put(e, extra, NULL, 0, kind, r);
        return r;
    }
    return label_make_uncached(tp, kind, extra, extra2);
}

/* A str key object, or "?" (a hostile program can put anything in __qualname__). */
static PyObject *str_or_q(PyObject *o)
{
    return (o && PyUnicode_Check(o)) ? o : str_q;
}

/* Detailed labels; NULL (with an exception) only on MemoryError. */
static PyObject *detail_make(int kind, PyObject *extra, PyObject *extra2)
{
    switch (kind) {
    case LABEL_METHOD_OF:
        return PyUnicode_FromFormat("method (%U)", str_or_q(extra));
    case LABEL_FUNCTION_OF:
        if (extra2 && PyUnicode_Check(extra2))
            return PyUnicode_FromFormat("function (%U.%U)", extra2, str_or_q(extra));
        return PyUnicode_FromFormat("function (%U)", str_or_q(extra));
    case LABEL_FRAME_OF: {
        PyCodeObject *co = (PyCodeObject *)extra;
        return PyUnicode_FromFormat("frame (%U, %U:%d)", str_or_q(hs_code_qualname(co)),
                                    str_or_q(co->co_filename), co->co_firstlineno);
    }
    case LABEL_DICT_OF: {
        PyObject *owner = label_make_uncached((PyTypeObject *)extra, LABEL_TYPE, NULL, NULL);
        PyObject *r = owner ? PyUnicode_FromFormat("dict of %U", owner) : NULL;
        Py_XDECREF(owner);
        return r;
    }
    case LABEL_DICT_OF_MODULE:
        return PyUnicode_FromFormat("dict of module(%U)", str_or_q(extra));
    case LABEL_CELL_OF:
        return PyUnicode_FromFormat("cell (%U in %U)", str_or_q(extra), str_or_q(extra2));
    default:
        return NULL;
    }
}

static PyObject *label_make_uncached(PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2)
{
    PyObject *r = NULL;
    if (kind >= LABEL_METHOD_OF)
        return detail_make(kind, extra, extra2);
    switch (kind) {
    case LABEL_FUNCTION:
        r = PyUnicode_FromFormat("function (%U)", extra);
        break;
    case LABEL_FRAME:
        r = extra && PyUnicode_Check(extra) ? PyUnicode_FromFormat("frame (codename: %U)", extra)
                                            : PyUnicode_FromString("frame (codename: ?)");
        break;
    case LABEL_MODULE:
        if (extra && PyUnicode_Check(extra)) {
            r = PyUnicode_FromFormat("module(%U)", extra);
        } else if (extra && PyModule_Check(extra) && hook_module) {
            r = PyObject_CallOneArg(hook_module, extra);
            if (r && !PyUnicode_Check(r))
                Py_CLEAR(r);
        } else if (extra) {
            r = PyUnicode_FromFormat("module(%S)", extra);
        }
        if (!r) {
            PyErr_Clear();
            r = PyUnicode_FromString("module(?)");
        }
        break;
    default:
        r = type_label(tp);
        break;
    }
    return postprocess(r);
}
