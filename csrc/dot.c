/*
 * dot.c -- Graphviz output (see dot.h): it owns the DOT text heapscope
 * writes (objgraph's show_refs/show_backrefs drop-ins, why_alive paths).
 *
 * Sections:
 *   1. buffer   a growable byte buffer (UTF-8)
 *   2. strings  quoting: \" and \\ escaped, newlines as \n, tabs kept,
 *               other control characters shown as the text \xNN, & as &amp;
 *               (Graphviz decodes HTML entities in every string), other
 *               characters as UTF-8 (Graphviz's default charset), lone
 *               surrogates as U+FFFD
 *   3. graph    statements: defaults, nodes, edges
 */
#include "dot.h"
#include <string.h>

/* ---- 1. buffer ------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t n, cap;
} buf;

static int put(buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            PyErr_NoMemory();
            return -1;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

static int puts_(buf *b, const char *s) { return put(b, s, strlen(s)); }

/* ---- 2. strings -------------------------------------------------------------------- */

/* A quoted, escaped DOT string of str(o). */
static int put_quoted(buf *b, PyObject *o)
{
    PyObject *s = PyUnicode_Check(o) ? (Py_INCREF(o), o) : PyObject_Str(o);
    if (!s)
        return -1;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int rc = put(b, "\"", 1);
    char tmp[16];
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch == '"')
            rc = put(b, "\\\"", 2);
        else if (ch == '\\')
            rc = put(b, "\\\\", 2);
        else if (ch == '\n')
            rc = put(b, "\\n", 2);
        else if (ch == '&')
            rc = put(b, "&amp;", 5);
        else if ((ch >= 0x20 && ch < 0x7f) || ch == '\t')
            rc = put(b, (const char *)&(char){(char)ch}, 1);
        else if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0)) { /* shown, not interpreted: \r would right-justify */
            int k = snprintf(tmp, sizeof(tmp), "\\\\x%02x", (unsigned)ch);
            rc = put(b, tmp, (size_t)k);
        } else { /* UTF-8 (Graphviz's default charset; its entities break above U+FFFF) */
            if (ch >= 0xD800 && ch <= 0xDFFF) /* a lone surrogate: not a character */
                ch = 0xFFFD;
            unsigned char u[4];
            size_t k;
            if (ch < 0x800) {
                u[0] = (unsigned char)(0xC0 | (ch >> 6));
                u[1] = (unsigned char)(0x80 | (ch & 0x3F));
                k = 2;
            } else if (ch < 0x10000) {
                u[0] = (unsigned char)(0xE0 | (ch >> 12));
                u[1] = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
                u[2] = (unsigned char)(0x80 | (ch & 0x3F));
                k = 3;
            } else {
                u[0] = (unsigned char)(0xF0 | (ch >> 18));
                u[1] = (unsigned char)(0x80 | ((ch >> 12) & 0x3F));
                u[2] = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
                u[3] = (unsigned char)(0x80 | (ch & 0x3F));
                k = 4;
            }
            rc = put(b, (const char *)u, k);
        }
    }
    if (rc == 0)
        rc = put(b, "\"", 1);
    Py_DECREF(s);
    return rc;
}

/* An id or attribute name: ASCII letters, digits and underscores only. */
static int put_name(buf *b, PyObject *o, const char *what)
{
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "DOT %s must be a str, not %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s)
        return -1;
    int ok = n > 0;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        char ch = s[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "DOT %s must be made of ASCII letters, digits and '_': %R", what, o);
        return -1;
    }
    return put(b, s, (size_t)n);
}

/* [name="value", ...] (nothing when attrs is empty or None). */
static int put_attrs(buf *b, PyObject *attrs)
{
    if (attrs == Py_None)
        return 0;
    PyObject *items = PyDict_Check(attrs) ? PyDict_Items(attrs) : (Py_INCREF(attrs), attrs);
    PyObject *seq = items ? PySequence_Fast(items, "DOT attributes must be a dict or a sequence of pairs") : NULL;
    Py_XDECREF(items);
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "DOT attributes must be (name, value) pairs");
            rc = -1;
            break;
        }
        rc = puts_(b, i ? ", " : " [");
        if (rc == 0)
            rc = put_name(b, PyTuple_GET_ITEM(pair, 0), "attribute name");
        if (rc == 0)
            rc = put(b, "=", 1);
        if (rc == 0)
            rc = put_quoted(b, PyTuple_GET_ITEM(pair, 1));
    }
    if (rc == 0 && n)
        rc = put(b, "]", 1);
    Py_DECREF(seq);
    return rc;
}

/* ---- 3. graph ---------------------------------------------------------------------- */

/* Each item of `list` as a tuple of `want` items: (a, b[, c]). */
static int each(buf *b, PyObject *list, int want, const char *what)
{
    PyObject *seq = PySequence_Fast(list, "DOT nodes, edges and defaults must be sequences");
    if (!seq)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != want) {
            PyErr_Format(PyExc_TypeError, "each DOT %s must be a tuple of %d items", what, want);
            rc = -1;
            break;
        }
        rc = puts_(b, "  ");
        if (rc == 0 && want == 2 && strcmp(what, "default") == 0) {
            PyObject *k = PyTuple_GET_ITEM(t, 0);
            if (!PyUnicode_Check(k) || (PyUnicode_CompareWithASCIIString(k, "graph") &&
                                        PyUnicode_CompareWithASCIIString(k, "node") &&
                                        PyUnicode_CompareWithASCIIString(k, "edge"))) {
                PyErr_SetString(PyExc_ValueError, "DOT default kind must be 'graph', 'node' or 'edge'");
                rc = -1;
            } else {
                rc = put_name(b, k, "default kind");
            }
        } else if (rc == 0) {
            rc = put_name(b, PyTuple_GET_ITEM(t, 0), "id");
            if (rc == 0 && want == 3) {
                rc = puts_(b, " -> ");
                if (rc == 0)
                    rc = put_name(b, PyTuple_GET_ITEM(t, 1), "id");
            }
        }
        if (rc == 0)
            rc = put_attrs(b, PyTuple_GET_ITEM(t, want - 1));
        if (rc == 0)
            rc = puts_(b, ";\n");
    }
    Py_DECREF(seq);
    return rc;
}

PyObject *hs_dot(PyObject *name, PyObject *defaults, PyObject *nodes, PyObject *edges)
{
    buf b = {NULL, 0, 0};
    int rc = puts_(&b, "digraph ");
    if (rc == 0)
        rc = put_name(&b, name, "graph name");
    if (rc == 0)
        rc = puts_(&b, " {\n");
    if (rc == 0)
        rc = each(&b, defaults, 2, "default");
    if (rc == 0)
        rc = each(&b, nodes, 2, "node");
    if (rc == 0)
        rc = each(&b, edges, 3, "edge");
    if (rc == 0)
        rc = puts_(&b, "}\n");
    PyObject *out = rc == 0 ? PyUnicode_DecodeUTF8(b.p, (Py_ssize_t)b.n, NULL) : NULL;
    free(b.p);
    return out;
}
