/*
 * edges.c -- how a parent refers to a child (see edges.h).
 *
 * Sections:
 *   1. find     the kind of reference, from the parent's fields only
 *   2. text     the edge's text in C: str characters copied (Python's repr
 *               rules for keys), ints formatted, no Python code
 *   3. graph    names of every forward edge right after the graph is built:
 *               dicts, lists and tuples are read once per parent (a small
 *               per-parent index from child address to its edges), other
 *               parents edge by edge; names deduplicated in a string table
 */
#include "edges.h"
#include "graph.h"
#include "bigmem.h"
#include <stdio.h>
#include <string.h>

/* ---- 1. find ------------------------------------------------------------------- */

static void set(hs_edge *e, int kind, const char *text, PyObject *obj)
{
    e->kind = kind;
    e->text = text;
    e->obj = obj;
}

void hs_edge_find(PyObject *p, PyObject *c, hs_edge *e)
{
    memset(e, 0, sizeof(*e));
    PyTypeObject *tp = Py_TYPE(p);
    if (PyDict_Check(p)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(p, &pos, &k, &v)) {
            if (v == c)
                return set(e, HS_EDGE_KEY, NULL, k);
            if (k == c)
                return set(e, HS_EDGE_ITEM, " (a key)", NULL);
        }
    } else if (PyList_Check(p) || PyTuple_Check(p)) {
        Py_ssize_t n = PyList_Check(p) ? PyList_GET_SIZE(p) : PyTuple_GET_SIZE(p);
        PyObject **items = PyList_Check(p) ? ((PyListObject *)p)->ob_item : ((PyTupleObject *)p)->ob_item;
        for (Py_ssize_t i = 0; i < n; i++)
            if (items[i] == c) {
                e->kind = HS_EDGE_INDEX;
                e->index = i;
                return;
            }
    } else if (PyAnySet_Check(p)) {
        return set(e, HS_EDGE_ITEM, " (a member)", NULL);
    } else if (PyModule_Check(p)) {
        if (PyModule_GetDict(p) == c)
            return set(e, HS_EDGE_ATTR, "__dict__", NULL);
    } else if (PyMethod_Check(p)) {
        return set(e, HS_EDGE_ATTR, PyMethod_GET_SELF(p) == c ? "__self__" : "__func__", NULL);
    } else if (PyCell_Check(p)) {
        return set(e, HS_EDGE_ATTR, "cell_contents", NULL);
    } else if (PyFunction_Check(p)) {
        PyFunctionObject *f = (PyFunctionObject *)p;
        PyObject *cl = f->func_closure;
        for (Py_ssize_t i = 0; cl && PyTuple_Check(cl) && i < PyTuple_GET_SIZE(cl); i++)
            if (PyTuple_GET_ITEM(cl, i) == c && f->func_code && PyCode_Check(f->func_code)) {
                PyObject *name = hs_code_freevar((PyCodeObject *)f->func_code, i);
                if (name && PyUnicode_Check(name)) {
                    set(e, HS_EDGE_ATTR, NULL, name);
                    e->cell = 1;
                    return;
                }
            }
        const char *a = c == f->func_globals ? "__globals__" : c == f->func_defaults ? "__defaults__"
                      : c == f->func_kwdefaults ? "__kwdefaults__" : c == f->func_code ? "__code__"
                      : c == f->func_dict ? "__dict__" : c == f->func_closure ? "__closure__" : NULL;
        if (a)
            return set(e, HS_EDGE_ATTR, a, NULL);
    } else if (PyType_Check(p)) {
        PyTypeObject *t = (PyTypeObject *)p;
        const char *a = c == t->tp_dict ? "__dict__" : c == t->tp_mro ? "__mro__" : c == t->tp_bases ? "__bases__"
                      : c == (PyObject *)t->tp_base ? "__base__" : NULL;
        if (a)
            return set(e, HS_EDGE_ATTR, a, NULL);
    }
    if (!PyType_Check(p) && hs_instance_dict(p, tp) == c)
        return set(e, HS_EDGE_ATTR, "__dict__", NULL);
    PyObject *name = hs_inline_attr_name(p, c);
    if (name)
        return set(e, HS_EDGE_ATTR, NULL, name);
    for (PyTypeObject *b = tp; b; b = b->tp_base) /* __slots__ and other object members */
        for (PyMemberDef *m = b->tp_members; m && m->name; m++)
            if ((m->type == T_OBJECT || m->type == T_OBJECT_EX) && !(m->flags & READONLY && m->offset == 0) &&
                *(PyObject **)((char *)p + m->offset) == c)
                return set(e, HS_EDGE_ATTR, m->name, NULL);
    set(e, HS_EDGE_ITEM, "", NULL);
}

/* ---- 2. text -------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len; /* len < cap always: room for the NUL */
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (n > o->cap - 1 - o->len)
        n = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out_t *o, const char *s) { put(o, s, strlen(s)); }

/* One code point as UTF-8 (never a surrogate: those are escaped). */
static size_t utf8(Py_UCS4 ch, char *b)
{
    if (ch < 0x80) {
        b[0] = (char)ch;
        return 1;
    }
    if (ch < 0x800) {
        b[0] = (char)(0xC0 | (ch >> 6));
        b[1] = (char)(0x80 | (ch & 0x3F));
        return 2;
    }
    if (ch < 0x10000) {
        b[0] = (char)(0xE0 | (ch >> 12));
        b[1] = (char)(0x80 | ((ch >> 6) & 0x3F));
        b[2] = (char)(0x80 | (ch & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (ch >> 18));
    b[1] = (char)(0x80 | ((ch >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((ch >> 6) & 0x3F));
    b[3] = (char)(0x80 | (ch & 0x3F));
    return 4;
}

/* A str's characters as they are (attribute and variable names). */
static void put_str(out_t *o, PyObject *s)
{
    if (!hs_str_readable(s))
        return puts_(o, "?");
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    char b[4];
    for (Py_ssize_t i = 0; i < n && o->len + 4 < o->cap; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= 0xD800 && ch <= 0xDFFF)
            ch = '?';
        put(o, b, utf8(ch, b));
    }
}

/* One code point of a str's repr, escaped as Python does; its length in code points. */
static size_t repr_char(Py_UCS4 ch, Py_UCS4 quote, char *b)
{
    if (ch == quote || ch == '\\') {
        b[0] = '\\';
        b[1] = (char)ch;
        return 2;
    }
    if (ch == '\t' || ch == '\n' || ch == '\r') {
        b[0] = '\\';
        b[1] = ch == '\t' ? 't' : ch == '\n' ? 'n' : 'r';
        return 2;
    }
    if (ch < 0x20 || ch == 0x7F)
        return (size_t)snprintf(b, 12, "\\x%02x", (unsigned)ch);
    if (ch < 0x7F)
        return utf8(ch, b);
    if (!Py_UNICODE_ISPRINTABLE(ch)) {
        if (ch <= 0xFF)
            return (size_t)snprintf(b, 12, "\\x%02x", (unsigned)ch);
        if (ch <= 0xFFFF)
            return (size_t)snprintf(b, 12, "\\u%04x", (unsigned)ch);
        return (size_t)snprintf(b, 12, "\\U%08x", (unsigned)ch);
    }
    return utf8(ch, b);
}

/* repr(s) cut to 60 characters (57 and "...") as paths.py's _key does. */
static void put_str_repr(out_t *o, PyObject *s)
{
    if (!hs_str_readable(s))
        return puts_(o, "<str key>");
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int sq = 0, dq = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        sq |= ch == '\'';
        dq |= ch == '"';
    }
    Py_UCS4 quote = sq && !dq ? '"' : '\'';
    /* The whole repr's length decides the cut; its first 57 characters are kept. */
    char tmp[64 * 12 + 8];
    size_t tlen = 0, chars = 1, total = 2;
    size_t cut[64]; /* byte offset after each of the first characters */
    tmp[tlen++] = (char)quote;
    cut[1] = tlen;
    for (Py_ssize_t i = 0; i < n; i++) {
        char b[12];
        size_t bl = repr_char(PyUnicode_READ(kind, data, i), quote, b);
        size_t cps = b[0] == '\\' ? bl : 1; /* escapes are ASCII: one character a byte */
        total += cps;
        if (chars + cps <= 62) {
            memcpy(tmp + tlen, b, bl);
            tlen += bl;
            if (cps == 1) {
                chars++;
                cut[chars] = tlen;
            } else {
                for (size_t k = 0; k < cps; k++) {
                    chars++;
                    cut[chars] = tlen - cps + k + 1;
                }
            }
        } else if (total > 60) {
            break;
        }
    }
    if (total <= 60) {
        tmp[tlen++] = (char)quote;
        put(o, tmp, tlen);
    } else {
        put(o, tmp, cut[57]);
        puts_(o, "...");
    }
}

static void put_key(out_t *o, PyObject *k)
{
    char b[64];
    if (PyUnicode_CheckExact(k))
        return put_str_repr(o, k);
    if (k == Py_None || k == Py_True || k == Py_False)
        return puts_(o, k == Py_None ? "None" : k == Py_True ? "True" : "False");
    if (PyLong_CheckExact(k)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(k, &overflow);
        if (!overflow && !(v == -1 && PyErr_Occurred())) {
            snprintf(b, sizeof(b), "%lld", v);
            return puts_(o, b);
        }
        PyErr_Clear();
    }
    const char *name = Py_TYPE(k)->tp_name, *dot = strrchr(name, '.');
    puts_(o, "<");
    puts_(o, dot ? dot + 1 : name);
    puts_(o, " key>");
}

size_t hs_edge_text(const hs_edge *e, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    buf[0] = '\0';
    char b[32];
    switch (e->kind) {
    case HS_EDGE_KEY:
        puts_(&o, "[");
        put_key(&o, e->obj);
        puts_(&o, "]");
        break;
    case HS_EDGE_INDEX: { /* "[i]" without printf: it runs for every list item */
        size_t at = sizeof(b) - 1;
        size_t v = e->index < 0 ? 0 : (size_t)e->index;
        b[at--] = ']';
        do {
            b[at--] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        b[at] = '[';
        put(&o, b + at, sizeof(b) - at);
        break;
    }
    case HS_EDGE_ATTR:
        puts_(&o, e->cell ? ".<cell " : ".");
        if (e->obj)
            put_str(&o, e->obj);
        else
            puts_(&o, e->text);
        if (e->cell)
            puts_(&o, ">");
        break;
    default:
        puts_(&o, e->text ? e->text : "");
    }
    return o.len;
}

/* ---- 3. graph ------------------------------------------------------------------- */

#define UNNAMED 0xFFFFFFFFu

/* Per-parent index: child address -> its edges in the parent's range, chained
 * in edge order.  key 0 is an empty slot; head 0 an exhausted one. */
typedef struct {
    uintptr_t *key;
    uint32_t *head, *next, *touched; /* head, next: position + 1 (0: none) */
    size_t cap, kb, hb, nb, tb;
} local_t;

static int local_reserve(local_t *l, size_t deg)
{
    size_t want = 16;
    while (want < 2 * deg)
        want *= 2;
    if (want <= l->cap)
        return 0;
    hs_big_free(l->key, l->kb);
    hs_big_free(l->head, l->hb);
    hs_big_free(l->next, l->nb);
    hs_big_free(l->touched, l->tb);
    l->key = hs_big_alloc(want * sizeof(uintptr_t), &l->kb);
    l->head = hs_big_alloc(want * sizeof(uint32_t), &l->hb);
    l->next = hs_big_alloc(want * sizeof(uint32_t), &l->nb);
    l->touched = hs_big_alloc(want * sizeof(uint32_t), &l->tb);
    l->cap = l->key && l->head && l->next && l->touched ? want : 0;
    return l->cap ? 0 : -1;
}

static size_t slot(const local_t *l, size_t mask, uintptr_t a)
{
    size_t k = (size_t)((a >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
    while (l->key[k] && l->key[k] != a)
        k = (k + 1) & mask;
    return k;
}

typedef struct {
    hs_graph *g;
    const uintptr_t *addrs;
    size_t stride;
    local_t l;
    size_t mask;
    uint32_t base;   /* first edge of the parent */
    uint32_t *index; /* "[i]" names by i: id + 1 (a big list's items have as many distinct names) */
    size_t nindex, index_bytes;
    char buf[1024];
} namer;

static int name_edge(namer *m, uint32_t e, const hs_edge *ed)
{
    if (ed->kind == HS_EDGE_INDEX && ed->index >= 0 && ed->index < (1 << 26)) {
        size_t i = (size_t)ed->index;
        if (i >= m->nindex) {
            size_t want = (i + 1) * 2 * sizeof(uint32_t);
            uint32_t *ni = m->index ? hs_big_resize(m->index, &m->index_bytes, want) : hs_big_alloc(want, &m->index_bytes);
            if (!ni)
                return -1;
            m->index = ni;
            m->nindex = m->index_bytes / sizeof(uint32_t);
        }
        if (!m->index[i]) {
            size_t n = hs_edge_text(ed, m->buf, sizeof(m->buf));
            int64_t id = hs_strtab_append(m->g->names, m->buf, n);
            if (id < 0)
                return -1;
            m->index[i] = (uint32_t)id + 1;
        }
        m->g->ename[e] = m->index[i] - 1;
        return 0;
    }
    size_t n = hs_edge_text(ed, m->buf, sizeof(m->buf));
    int64_t id = hs_strtab_add(m->g->names, m->buf, n);
    if (id < 0)
        return -1;
    m->g->ename[e] = (uint32_t)id;
    return 0;
}

/* The next unnamed edge from the parent to a, or UNNAMED. */
static uint32_t take(namer *m, uintptr_t a)
{
    size_t k = slot(&m->l, m->mask, a);
    if (!m->l.key[k] || !m->l.head[k])
        return UNNAMED;
    uint32_t pos = m->l.head[k] - 1;
    m->l.head[k] = m->l.next[pos];
    return m->base + pos;
}

/* The walk visits a list's or tuple's items, and a dict's keys and values, in
 * their order: name the edges in one merge.  1 when every edge got its name
 * (else the names given are taken back: the index is used instead); -1 on OOM. */
static int merge_in_order(namer *m, PyObject *p, uint32_t a, uint32_t b)
{
    hs_graph *g = m->g;
    uint32_t e = a;
    hs_edge ed;
    memset(&ed, 0, sizeof(ed));
#define CHILD(e) ((PyObject *)m->addrs[(size_t)g->fwd[e] * m->stride])
    if (PyDict_Check(p)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (e < b && PyDict_Next(p, &pos, &k, &v)) {
            if (e < b && CHILD(e) == k) {
                ed.kind = HS_EDGE_ITEM;
                ed.text = " (a key)";
                if (name_edge(m, e++, &ed) < 0)
                    return -1;
            }
            if (e < b && CHILD(e) == v) {
                ed.kind = HS_EDGE_KEY;
                ed.obj = k;
                if (name_edge(m, e++, &ed) < 0)
                    return -1;
            }
        }
    } else {
        Py_ssize_t n = PyList_Check(p) ? PyList_GET_SIZE(p) : PyTuple_GET_SIZE(p);
        PyObject **items = PyList_Check(p) ? ((PyListObject *)p)->ob_item : ((PyTupleObject *)p)->ob_item;
        ed.kind = HS_EDGE_INDEX;
        for (Py_ssize_t i = 0; i < n && e < b; i++)
            if (items[i] == CHILD(e)) {
                ed.index = i;
                if (name_edge(m, e++, &ed) < 0)
                    return -1;
            }
    }
#undef CHILD
    if (e == b)
        return 1;
    for (uint32_t f = a; f < e; f++)
        g->ename[f] = UNNAMED;
    return 0;
}

static int name_parent(namer *m, uint32_t u)
{
    hs_graph *g = m->g;
    uint32_t a = g->fwd_off[u], b = g->fwd_off[u + 1];
    PyObject *p = (PyObject *)m->addrs[(size_t)u * m->stride];
    hs_edge ed;
    /* Small parents edge by edge (a scan of a few items); big containers once. */
    int structured = (PyDict_Check(p) || PyList_Check(p) || PyTuple_Check(p)) && b - a > 8;
    if (structured) {
        int merged = merge_in_order(m, p, a, b);
        if (merged)
            return merged < 0 ? -1 : 0;
    }
    if (structured) {
        if (local_reserve(&m->l, b - a) < 0)
            return -1;
        size_t want = 16;
        while (want < 2 * (size_t)(b - a))
            want *= 2;
        m->mask = want - 1; /* this parent's part of the index only: stays in cache */
        m->base = a;
        size_t ntouched = 0;
        for (uint32_t e = b; e > a; e--) { /* chains in edge order */
            uintptr_t c = m->addrs[(size_t)g->fwd[e - 1] * m->stride];
            size_t k = slot(&m->l, m->mask, c);
            if (!m->l.key[k])
                m->l.touched[ntouched++] = (uint32_t)k;
            m->l.key[k] = c;
            m->l.next[e - 1 - a] = m->l.head[k];
            m->l.head[k] = e - a;
        }
        if (PyDict_Check(p)) {
            Py_ssize_t pos = 0;
            PyObject *k, *v;
            while (PyDict_Next(p, &pos, &k, &v)) {
                uint32_t e;
                if ((e = take(m, (uintptr_t)v)) != UNNAMED) {
                    memset(&ed, 0, sizeof(ed));
                    ed.kind = HS_EDGE_KEY;
                    ed.obj = k;
                    if (name_edge(m, e, &ed) < 0)
                        return -1;
                }
                if ((e = take(m, (uintptr_t)k)) != UNNAMED) {
                    memset(&ed, 0, sizeof(ed));
                    ed.kind = HS_EDGE_ITEM;
                    ed.text = " (a key)";
                    if (name_edge(m, e, &ed) < 0)
                        return -1;
                }
            }
        } else {
            Py_ssize_t n = PyList_Check(p) ? PyList_GET_SIZE(p) : PyTuple_GET_SIZE(p);
            PyObject **items = PyList_Check(p) ? ((PyListObject *)p)->ob_item : ((PyTupleObject *)p)->ob_item;
            for (Py_ssize_t i = 0; i < n; i++) {
                uint32_t e = take(m, (uintptr_t)items[i]);
                if (e == UNNAMED)
                    continue;
                memset(&ed, 0, sizeof(ed));
                ed.kind = HS_EDGE_INDEX;
                ed.index = i;
                if (name_edge(m, e, &ed) < 0)
                    return -1;
            }
        }
        for (size_t i = 0; i < ntouched; i++) /* empty again for the next parent */
            m->l.key[m->l.touched[i]] = 0, m->l.head[m->l.touched[i]] = 0;
    }
    for (uint32_t e = a; e < b; e++) {
        if (structured && g->ename[e] != UNNAMED)
            continue;
        hs_edge_find(p, (PyObject *)m->addrs[(size_t)g->fwd[e] * m->stride], &ed);
        if (name_edge(m, e, &ed) < 0)
            return -1;
    }
    return 0;
}

int hs_edges_name_graph(hs_graph *g, const uintptr_t *addrs, size_t stride)
{
    namer m;
    memset(&m, 0, sizeof(m));
    m.g = g;
    m.addrs = addrs;
    m.stride = stride;
    g->names = calloc(1, sizeof(hs_strtab));
    g->ename = hs_big_alloc(g->nedges * sizeof(uint32_t) + 4, &g->bytes[7]);
    int rc = g->names && g->ename ? 0 : -1;
    if (rc == 0)
        memset(g->ename, 0xFF, g->nedges * sizeof(uint32_t));
    for (uint32_t u = 0; rc == 0 && u < g->n; u++)
        rc = name_parent(&m, u);
    hs_big_free(m.l.key, m.l.kb);
    hs_big_free(m.l.head, m.l.hb);
    hs_big_free(m.l.next, m.l.nb);
    hs_big_free(m.l.touched, m.l.tb);
    hs_big_free(m.index, m.index_bytes);
    if (rc < 0) {
        if (g->names)
            hs_strtab_free(g->names);
        free(g->names);
        g->names = NULL;
        hs_big_free(g->ename, g->bytes[7]);
        g->ename = NULL;
        g->bytes[7] = 0;
        PyErr_NoMemory();
        return -1;
    }
    hs_strtab_freeze(g->names);
    return 0;
}
