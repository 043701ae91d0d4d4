/*
 * labels.c -- Pympler 1.1 summary._repr at verbosity 1, in C (see labels.h).
 *
 * Pympler computes str(type(o)) for most objects, special-cases exact
 * functions, modules and frames by name, then strips " at 0x..." and turns
 * "<class 'x'>" into "x".  Here the common path builds the final string
 * directly; the rare labels that need the regexes or Python-level attribute
 * lookups go through two small hooks registered by heapscope.summary.
 */
#include "labels.h"

static PyObject *str_name;
static PyObject *hook_fix, *hook_module;

int hs_labels_init(void)
{
    str_name = PyUnicode_InternFromString("__name__");
    return str_name ? 0 : -1;
}

int hs_labels_set_hooks(PyObject *fix, PyObject *module)
{
    Py_XINCREF(fix);
    Py_XINCREF(module);
    Py_XSETREF(hook_fix, fix);
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

/* Pympler's regexes, applied only where they can change something. */
static PyObject *postprocess(PyObject *label)
{
    if (!label || !hook_fix)
        return label;
    Py_ssize_t n = PyUnicode_GET_LENGTH(label);
    int needs = n > 0 && PyUnicode_READ_CHAR(label, 0) == '<';
    if (!needs) {
        static PyObject *at0x;
        if (!at0x && !(at0x = PyUnicode_InternFromString(" at 0x")))
            return label;
        Py_ssize_t pos = PyUnicode_Find(label, at0x, 0, n, 1);
        if (pos == -2) {
            PyErr_Clear();
            return label;
        }
        needs = pos >= 0;
    }
    if (!needs)
        return label;
    PyObject *fixed = PyObject_CallOneArg(hook_fix, label);
    if (!fixed || !PyUnicode_Check(fixed)) {
        PyErr_Clear();
        Py_XDECREF(fixed);
        return label;
    }
    Py_DECREF(label);
    return fixed;
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

PyObject *hs_label_make(PyTypeObject *tp, int kind, PyObject *extra)
{
    PyObject *r = NULL;
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
