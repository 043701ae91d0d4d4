/*
 * export.c -- owns the export formats of a Snapshot (see export.h): Chrome
 * DevTools .heapsnapshot and JSON lines.
 *
 * Sections:
 *   1. writer    buffered output (1 MiB), integers and addresses in C
 *   2. escaping  JSON string bodies from Python str code points or from UTF-8
 *                (quotes, backslashes, control characters escaped; lone
 *                surrogates as \udXXX escapes; invalid UTF-8 as U+FFFD), so
 *                every file is valid JSON for JSON.parse and Python's json
 *   3. strings   a deduplicated string table (open addressing over an arena)
 *   4. devtools  the .heapsnapshot layout of shared/reference/ecosystem.md §4
 *   5. jsonl     one JSON object a line, after one header line
 *
 * Python objects are only read before the file is written: labels and root
 * labels are escaped into the string table with the GIL held, then the GIL is
 * released while nodes, edges and strings are streamed out.  Only recorded
 * data is used (addresses are printed, never dereferenced).
 *
 * .heapsnapshot layout (node 0 is a synthetic root, node i + 1 is graph node i):
 *   node_fields type,name,id,self_size,edge_count,trace_node_id,detachedness;
 *   objects are "object" nodes named by their detailed label (so DevTools'
 *   Summary groups them like heapscope's detailed summary); ids are 1 for the
 *   root and 2 i + 3 for node i; self_size is sys.getsizeof (capped at
 *   2^32 - 1).  The root has one "property" edge to every root of the graph,
 *   named by the root's label ("sys.modules['json']", "thread 1, f(), local x",
 *   "held outside the Python heap (2 references)"), so DevTools' retainers end
 *   at heapscope's roots and its retained sizes equal heapscope's.  Objects no
 *   root reaches (cyclic garbage not yet collected) get no edge from the root.
 *   Edge types from the edge's name (hs_graph_edge_name): "[3]" -> element 3,
 *   ".attr" -> property "attr", "['key']" (any other "[...]") -> property,
 *   "" -> hidden, any other name (__self__, <cell x>) -> internal; without
 *   names, element edges numbered 0, 1, ... per object.  Weak references are
 *   never edges (the graph does not follow them).
 */
#include "export.h"
#include "graph.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. writer -------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    char *buf;
    size_t n, cap;
    int err; /* errno of the first failed write */
} writer;

static void wr_flush(writer *w)
{
    if (w->n && !w->err && fwrite(w->buf, 1, w->n, w->f) != w->n)
        w->err = errno ? errno : EIO;
    w->n = 0;
}

static inline void wr_put(writer *w, const char *s, size_t n)
{
    if (w->n + n > w->cap) {
        wr_flush(w);
        if (n > w->cap) {
            if (!w->err && fwrite(s, 1, n, w->f) != n)
                w->err = errno ? errno : EIO;
            return;
        }
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

#define WR_LIT(w, s) wr_put((w), (s), sizeof(s) - 1)

static inline void wr_ch(writer *w, char c)
{
    if (w->n == w->cap)
        wr_flush(w);
    w->buf[w->n++] = c;
}

static inline void wr_u64(writer *w, uint64_t v)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wr_put(w, t + i, (size_t)(24 - i));
}

/* "0x7f..." with the quotes. */
static inline void wr_addr(writer *w, uintptr_t a)
{
    static const char hex[] = "0123456789abcdef";
    char t[24];
    int i = 24;
    t[--i] = '"';
    do {
        t[--i] = hex[a & 15];
        a >>= 4;
    } while (a);
    t[--i] = 'x';
    t[--i] = '0';
    t[--i] = '"';
    wr_put(w, t + i, (size_t)(24 - i));
}

static int wr_open(writer *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    w->cap = 1 << 20;
    if (!(w->buf = malloc(w->cap)))
        return -1;
    if (!(w->f = fopen(path, "wb"))) {
        w->err = errno ? errno : EIO;
        return 0;
    }
    return 0;
}

/* Flush and close; the errno of the first failure, or 0.  A file left
 * incomplete by a failure is removed. */
static int wr_close(writer *w, const char *path)
{
    if (w->f) {
        wr_flush(w);
        if (fclose(w->f) != 0 && !w->err)
            w->err = errno ? errno : EIO;
        if (w->err)
            remove(path);
    }
    free(w->buf);
    return w->err;
}

/* ---- 2. escaping -------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* One code point of a JSON string body. */
static void esc_cp(sbuf *b, uint32_t c)
{
    static const char hex[] = "0123456789abcdef";
    char t[8];
    if (c == '"' || c == '\\') {
        t[0] = '\\';
        t[1] = (char)c;
        sb_put(b, t, 2);
    } else if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF)) {
        const char *short_esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f" : NULL;
        if (short_esc) {
            sb_put(b, short_esc, 2);
            return;
        }
        t[0] = '\\';
        t[1] = 'u';
        t[2] = hex[(c >> 12) & 15];
        t[3] = hex[(c >> 8) & 15];
        t[4] = hex[(c >> 4) & 15];
        t[5] = hex[c & 15];
        sb_put(b, t, 6);
    } else if (c < 0x80) {
        t[0] = (char)c;
        sb_put(b, t, 1);
    } else if (c < 0x800) {
        t[0] = (char)(0xC0 | (c >> 6));
        t[1] = (char)(0x80 | (c & 0x3F));
        sb_put(b, t, 2);
    } else if (c < 0x10000) {
        t[0] = (char)(0xE0 | (c >> 12));
        t[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        t[2] = (char)(0x80 | (c & 0x3F));
        sb_put(b, t, 3);
    } else {
        if (c > 0x10FFFF)
            c = 0xFFFD;
        t[0] = (char)(0xF0 | (c >> 18));
        t[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        t[3] = (char)(0x80 | (c & 0x3F));
        sb_put(b, t, 4);
    }
}

/* A Python str's code points (reads the str's data only; no Python code). */
static void esc_pystr(sbuf *b, PyObject *o)
{
    if (!o || !PyUnicode_Check(o)) {
        sb_put(b, "?", 1);
        return;
    }
    int kind = PyUnicode_KIND(o);
    const void *data = PyUnicode_DATA(o);
    Py_ssize_t len = PyUnicode_GET_LENGTH(o);
    for (Py_ssize_t i = 0; i < len; i++)
        esc_cp(b, (uint32_t)PyUnicode_READ(kind, data, i));
}

/* A NUL-terminated UTF-8 string (from C: edge names).  Encoded surrogates
 * become \u escapes, any other invalid byte U+FFFD. */
static void esc_utf8(sbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = s[0];
        if (c < 0x80) {
            esc_cp(b, c);
            s++;
            continue;
        }
        int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        int ok = len > 0;
        for (int k = 1; ok && k < len; k++) {
            if ((s[k] & 0xC0) != 0x80)
                ok = 0; /* also stops at the NUL */
            else
                cp = (cp << 6) | (s[k] & 0x3F);
        }
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
            ok = 0; /* overlong or out of range */
        if (!ok) {
            esc_cp(b, 0xFFFD);
            s++;
            continue;
        }
        esc_cp(b, cp);
        s += len;
    }
}

/* ---- 3. strings ------------------------------------------------------------------- */

typedef struct {
    sbuf arena;       /* escaped bodies, back to back */
    size_t *off;      /* string i: arena[off[i] .. off[i + 1]) */
    uint32_t *hash;
    size_t n, cap;
    uint32_t *slots;  /* open addressing: string index + 1, 0 = empty */
    size_t mask;
    int oom;
} strtab;

static uint32_t fnv(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int st_init(strtab *t)
{
    memset(t, 0, sizeof(*t));
    t->cap = 1024;
    t->mask = 2047;
    t->off = malloc((t->cap + 1) * sizeof(size_t));
    t->hash = malloc(t->cap * sizeof(uint32_t));
    t->slots = calloc(t->mask + 1, sizeof(uint32_t));
    if (!t->off || !t->hash || !t->slots)
        return -1;
    t->off[0] = 0;
    t->arena.cap = 1 << 16;
    return (t->arena.p = malloc(t->arena.cap)) ? 0 : -1;
}

static void st_free(strtab *t)
{
    free(t->arena.p);
    free(t->off);
    free(t->hash);
    free(t->slots);
}

/* Index of the escaped body p[0..n) in the table (added when new); UINT32_MAX on OOM. */
static uint32_t st_intern(strtab *t, const char *p, size_t n)
{
    if (t->oom)
        return UINT32_MAX;
    uint32_t h = fnv(p, n);
    size_t i = h & t->mask;
    for (uint32_t s; (s = t->slots[i]) != 0; i = (i + 1) & t->mask) {
        size_t k = s - 1;
        if (t->hash[k] == h && t->off[k + 1] - t->off[k] == n && memcmp(t->arena.p + t->off[k], p, n) == 0)
            return (uint32_t)k;
    }
    if (t->n >= 0xFFFFFFF0u)
        goto oom;
    if (t->n == t->cap) {
        size_t nc = t->cap * 2;
        size_t *no = realloc(t->off, (nc + 1) * sizeof(size_t));
        if (!no)
            goto oom;
        t->off = no;
        uint32_t *nh = realloc(t->hash, nc * sizeof(uint32_t));
        if (!nh)
            goto oom;
        t->hash = nh;
        t->cap = nc;
    }
    if (2 * (t->n + 1) > t->mask + 1) { /* keep the load at most 1/2 */
        size_t nm = 2 * (t->mask + 1) - 1;
        uint32_t *ns = calloc(nm + 1, sizeof(uint32_t));
        if (!ns)
            goto oom;
        for (size_t k = 0; k < t->n; k++) {
            size_t j = t->hash[k] & nm;
            while (ns[j])
                j = (j + 1) & nm;
            ns[j] = (uint32_t)(k + 1);
        }
        free(t->slots);
        t->slots = ns;
        t->mask = nm;
        i = h & nm;
        while (t->slots[i])
            i = (i + 1) & nm;
    }
    sb_put(&t->arena, p, n);
    if (t->arena.oom)
        goto oom;
    t->hash[t->n] = h;
    t->off[t->n + 1] = t->arena.n;
    t->slots[i] = (uint32_t)(t->n + 1);
    return (uint32_t)t->n++;
oom:
    t->oom = 1;
    return UINT32_MAX;
}

/* Escape a Python str (scratch: a reusable buffer) and intern it. */
static uint32_t st_pystr(strtab *t, sbuf *scratch, PyObject *o)
{
    scratch->n = 0;
    esc_pystr(scratch, o);
    if (scratch->oom) {
        t->oom = 1;
        return UINT32_MAX;
    }
    return st_intern(t, scratch->p ? scratch->p : "", scratch->n);
}

static void wr_str(writer *w, const strtab *t, uint32_t i)
{
    wr_ch(w, '"');
    wr_put(w, t->arena.p + t->off[i], t->off[i + 1] - t->off[i]);
    wr_ch(w, '"');
}

/* ---- shared: arguments and errors ------------------------------------------------- */

/* Escaped label of every row (detail: detailed label), interned in t: an
 * array of nrows indexes (rows of no object get index 0). */
static uint32_t *row_strings(SnapshotObject *s, strtab *t, sbuf *scratch, int detail)
{
    uint32_t *lab = malloc((s->nlabels + 1) * sizeof(uint32_t));
    uint32_t *row = calloc(s->nrows + 1, sizeof(uint32_t));
    if (!lab || !row) {
        free(lab);
        free(row);
        return NULL;
    }
    for (size_t i = 0; i < s->nlabels; i++)
        lab[i] = UINT32_MAX;
    for (size_t r = 0; r < s->nrows && !t->oom; r++) {
        if (!s->rows[r].count)
            continue;
        uint32_t l = detail ? s->rows[r].dlabel : s->rows[r].label;
        if (l >= s->nlabels)
            row[r] = st_pystr(t, scratch, NULL);
        else {
            if (lab[l] == UINT32_MAX)
                lab[l] = st_pystr(t, scratch, s->labels[l]);
            row[r] = lab[l];
        }
    }
    free(lab);
    if (t->oom) {
        free(row);
        return NULL;
    }
    return row;
}

static PyObject *finish(int err, PyObject *path)
{
    if (err == ENOMEM)
        return PyErr_NoMemory();
    if (err) {
        errno = err;
        return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
    }
    Py_RETURN_NONE;
}

/* A record's row, checked (loaded snapshots are validated, but never trust). */
static inline size_t row_of(const SnapshotObject *s, size_t i)
{
    size_t r = rec_row(&s->recs[i]);
    return r < s->nrows ? r : 0;
}

/* ---- 4. devtools ------------------------------------------------------------------ */

enum { NODE_OBJECT = 3, NODE_SYNTHETIC = 9 };
enum { EDGE_ELEMENT = 1, EDGE_PROPERTY = 2, EDGE_INTERNAL = 3, EDGE_HIDDEN = 4 };
#define NODE_FIELDS 7

static const char devtools_meta[] =
    "{\"snapshot\":{\"meta\":{"
    "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],\n"
    "\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\",\"number\","
    "\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\",\"bigint\",\"object shape\"],"
    "\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\n"
    "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\n"
    "\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\",\"weak\"],"
    "\"string_or_number\",\"node\"]},\n";

/* A root the synthetic root refers to: not heapscope's own argument, and a
 * node of the graph (a loaded file is validated, but never trust). */
static inline int root_ok(const hs_graph *g, size_t r)
{
    return g->roots[r].kind != ROOT_IGNORED && g->roots[r].node < g->n;
}

/* Type and name of forward edge e (ordinal-th of its object): an element or
 * hidden edge's index in *num, or else a string index in *num. */
static int edge_of(hs_graph *g, size_t e, uint32_t ordinal, strtab *t, sbuf *scratch, uint64_t *num)
{
    const char *name = hs_graph_edge_name(g, e);
    if (!name) {
        *num = ordinal;
        return EDGE_ELEMENT;
    }
    if (!name[0]) {
        *num = ordinal;
        return EDGE_HIDDEN;
    }
    if (name[0] == '[' && name[1] >= '0' && name[1] <= '9') {
        uint64_t v = 0;
        const char *p = name + 1;
        while (*p >= '0' && *p <= '9' && v < 0x100000000ULL)
            v = v * 10 + (uint64_t)(*p++ - '0');
        if (p[0] == ']' && !p[1] && v < 0x100000000ULL) {
            *num = v;
            return EDGE_ELEMENT;
        }
    }
    int type = EDGE_INTERNAL;
    if (name[0] == '.' && name[1]) {
        name++;
        type = EDGE_PROPERTY;
    } else if (name[0] == '[')
        type = EDGE_PROPERTY;
    scratch->n = 0;
    esc_utf8(scratch, name);
    *num = scratch->oom ? UINT32_MAX : st_intern(t, scratch->p, scratch->n);
    return type;
}

/* Stream the file; the errno of a failure (ENOMEM for memory), or 0. */
static int devtools_write(SnapshotObject *s, const char *path, strtab *t, sbuf *scratch, const uint32_t *row_str,
                          const uint32_t *root_str, size_t nroot_edges, uint32_t root_name)
{
    hs_graph *g = s->graph;
    writer w;
    if (wr_open(&w, path) < 0)
        return ENOMEM;
    if (w.err)
        return wr_close(&w, path);
    WR_LIT(&w, devtools_meta);
    WR_LIT(&w, "\"node_count\":");
    wr_u64(&w, (uint64_t)s->n + 1);
    WR_LIT(&w, ",\"edge_count\":");
    wr_u64(&w, (uint64_t)g->nedges + nroot_edges);
    WR_LIT(&w, ",\"trace_function_count\":0},\n\"nodes\":[");
    /* the root */
    wr_u64(&w, NODE_SYNTHETIC);
    wr_ch(&w, ',');
    wr_u64(&w, root_name);
    WR_LIT(&w, ",1,0,");
    wr_u64(&w, nroot_edges);
    WR_LIT(&w, ",0,0");
    for (size_t i = 0; i < s->n && !w.err; i++) {
        uint64_t size = (uint64_t)rec_size(&s->recs[i]);
        WR_LIT(&w, ",\n3,");
        wr_u64(&w, row_str[row_of(s, i)]);
        wr_ch(&w, ',');
        wr_u64(&w, 2 * (uint64_t)i + 3);
        wr_ch(&w, ',');
        wr_u64(&w, size > 0xFFFFFFFFu ? 0xFFFFFFFFu : size);
        wr_ch(&w, ',');
        wr_u64(&w, i < g->n ? (uint64_t)(g->fwd_off[i + 1] - g->fwd_off[i]) : 0);
        WR_LIT(&w, ",0,0");
    }
    WR_LIT(&w, "],\n\"edges\":[");
    int first = 1;
    for (size_t r = 0; r < g->nroots; r++) {
        if (!root_ok(g, r))
            continue;
        if (!first)
            WR_LIT(&w, ",\n");
        first = 0;
        WR_LIT(&w, "2,");
        wr_u64(&w, root_str[r]);
        wr_ch(&w, ',');
        wr_u64(&w, ((uint64_t)g->roots[r].node + 1) * NODE_FIELDS);
    }
    for (uint32_t v = 0; v < g->n && !w.err && !t->oom; v++)
        for (uint32_t e = g->fwd_off[v]; e < g->fwd_off[v + 1]; e++) {
            uint64_t num;
            int type = edge_of(g, e, e - g->fwd_off[v], t, scratch, &num);
            if (!first)
                WR_LIT(&w, ",\n");
            first = 0;
            wr_u64(&w, (uint64_t)type);
            wr_ch(&w, ',');
            wr_u64(&w, num);
            wr_ch(&w, ',');
            wr_u64(&w, ((uint64_t)g->fwd[e] + 1) * NODE_FIELDS);
        }
    WR_LIT(&w, "],\n\"strings\":[");
    for (size_t i = 0; i < t->n && !w.err; i++) {
        if (i)
            WR_LIT(&w, ",\n");
        wr_str(&w, t, (uint32_t)i);
    }
    WR_LIT(&w, "]}\n");
    if (!w.err && (t->oom || scratch->oom))
        w.err = ENOMEM;
    return wr_close(&w, path);
}

PyObject *hs_export_devtools(SnapshotObject *s, PyObject *path)
{
    hs_graph *g = s->graph;
    if (!g) {
        PyErr_SetString(PyExc_ValueError, "export_devtools needs a graph snapshot: take it with "
                                          "heapscope.snapshot(graph=True)");
        return NULL;
    }
    if (g->n != s->n || s->n >= 0x7FFFFFF0u) {
        PyErr_SetString(PyExc_ValueError, "export_devtools: too many objects for a .heapsnapshot (2^31)");
        return NULL;
    }
    PyObject *fspath = NULL;
    if (!PyUnicode_FSConverter(path, &fspath))
        return NULL;
    strtab t;
    sbuf scratch = {NULL, 0, 0, 0};
    uint32_t *row_str = NULL, *root_str = NULL;
    int err = ENOMEM;
    if (st_init(&t) < 0)
        goto done;
    st_intern(&t, "", 0); /* string 0: "" */
    uint32_t root_name = st_intern(&t, "(Python roots)", 14);
    if (!(row_str = row_strings(s, &t, &scratch, 1)))
        goto done;
    if (!(root_str = malloc((g->nroots + 1) * sizeof(uint32_t))))
        goto done;
    size_t nroot_edges = 0;
    for (size_t r = 0; r < g->nroots; r++) {
        root_str[r] = st_pystr(&t, &scratch, g->roots[r].label);
        nroot_edges += root_ok(g, r);
    }
    if (t.oom)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    err = devtools_write(s, PyBytes_AS_STRING(fspath), &t, &scratch, row_str, root_str, nroot_edges, root_name);
    Py_END_ALLOW_THREADS
done:
    st_free(&t);
    free(scratch.p);
    free(row_str);
    free(root_str);
    PyObject *r = finish(err, path);
    Py_DECREF(fspath);
    return r;
}

/* ---- 5. jsonl --------------------------------------------------------------------- */

static const char *kind_names[] = {"", "module", "frame", "outside", "ignored"};

typedef struct {
    char version[32];
    const uint32_t *type_str, *detail_str; /* per row */
    const uint32_t *root_str;              /* per root, or NULL */
    const uint64_t *retained;              /* per node, or NULL */
    int names;                             /* the graph has edge names */
} jsonl_ctx;

static int jsonl_write(SnapshotObject *s, const char *path, strtab *t, sbuf *scratch, const jsonl_ctx *c)
{
    hs_graph *g = s->graph;
    writer w;
    if (wr_open(&w, path) < 0)
        return ENOMEM;
    if (w.err)
        return wr_close(&w, path);
    WR_LIT(&w, "{\"format\":\"heapscope-jsonl\",\"version\":1,\"python\":\"");
    wr_put(&w, c->version, strlen(c->version));
    WR_LIT(&w, "\",\"objects\":");
    wr_u64(&w, s->n);
    WR_LIT(&w, ",\"total_size\":");
    wr_u64(&w, s->total_size < 0 ? 0 : (uint64_t)s->total_size);
    WR_LIT(&w, ",\"graph\":");
    if (g) {
        WR_LIT(&w, "true,\"edges\":");
        wr_u64(&w, g->nedges);
        WR_LIT(&w, ",\"edge_names\":");
        if (c->names)
            WR_LIT(&w, "true");
        else
            WR_LIT(&w, "false");
        WR_LIT(&w, ",\"roots\":[");
        int first = 1;
        for (size_t r = 0; r < g->nroots; r++) {
            const hs_root *root = &g->roots[r];
            if (root->kind == ROOT_IGNORED || root->node >= s->n || root->kind < 1 || root->kind > 4)
                continue;
            if (!first)
                wr_ch(&w, ',');
            first = 0;
            WR_LIT(&w, "{\"address\":");
            wr_addr(&w, s->recs[root->node].addr);
            WR_LIT(&w, ",\"kind\":\"");
            wr_put(&w, kind_names[root->kind], strlen(kind_names[root->kind]));
            WR_LIT(&w, "\",\"label\":");
            wr_str(&w, t, c->root_str[r]);
            wr_ch(&w, '}');
        }
        wr_ch(&w, ']');
    } else
        WR_LIT(&w, "false,\"edges\":null");
    WR_LIT(&w, "}\n");
    for (size_t i = 0; i < s->n && !w.err; i++) {
        const rec_t *rec = &s->recs[i];
        size_t row = row_of(s, i);
        WR_LIT(&w, "{\"address\":");
        wr_addr(&w, rec->addr);
        WR_LIT(&w, ",\"type\":");
        wr_str(&w, t, c->type_str[row]);
        WR_LIT(&w, ",\"detail\":");
        wr_str(&w, t, c->detail_str[row]);
        WR_LIT(&w, ",\"size\":");
        wr_u64(&w, (uint64_t)rec_size(rec));
        if (g && i < g->n) {
            if (c->retained) {
                WR_LIT(&w, ",\"retained\":");
                wr_u64(&w, c->retained[i]);
            }
            WR_LIT(&w, ",\"referents\":[");
            for (uint32_t e = g->fwd_off[i]; e < g->fwd_off[i + 1]; e++) {
                if (e != g->fwd_off[i])
                    wr_ch(&w, ',');
                uint32_t to = g->fwd[e];
                wr_addr(&w, to < s->n ? s->recs[to].addr : 0);
            }
            wr_ch(&w, ']');
            if (c->names) {
                WR_LIT(&w, ",\"names\":[");
                for (uint32_t e = g->fwd_off[i]; e < g->fwd_off[i + 1]; e++) {
                    if (e != g->fwd_off[i])
                        wr_ch(&w, ',');
                    const char *name = hs_graph_edge_name(g, e);
                    if (!name) {
                        WR_LIT(&w, "null");
                        continue;
                    }
                    scratch->n = 0;
                    esc_utf8(scratch, name);
                    wr_ch(&w, '"');
                    if (!scratch->oom)
                        wr_put(&w, scratch->p, scratch->n);
                    wr_ch(&w, '"');
                }
                wr_ch(&w, ']');
            }
        }
        WR_LIT(&w, "}\n");
    }
    if (!w.err && scratch->oom)
        w.err = ENOMEM;
    return wr_close(&w, path);
}

PyObject *hs_export_jsonl(SnapshotObject *s, PyObject *path)
{
    hs_graph *g = s->graph;
    if (g && g->n != s->n) {
        PyErr_SetString(PyExc_ValueError, "export_jsonl: the snapshot's graph does not match its objects");
        return NULL;
    }
    jsonl_ctx c;
    memset(&c, 0, sizeof(c));
    if (g && s->n) { /* retained sizes first (computed once, with the GIL) */
        uint64_t unused;
        if (hs_snapshot_retained((PyObject *)s, 0, &unused) < 0)
            return NULL;
        c.retained = g->retained;
    }
    c.names = g && g->nedges && hs_graph_edge_name(g, 0) != NULL;
    /* The version of the Python that took it (a loaded snapshot's origin). */
    const char *v = s->pyversion && PyUnicode_Check(s->pyversion) ? PyUnicode_AsUTF8(s->pyversion) : NULL;
    if (!v) {
        PyErr_Clear();
        v = Py_GetVersion();
    }
    size_t k = 0;
    while (v[k] && v[k] != ' ' && v[k] != '"' && v[k] != '\\' && (unsigned char)v[k] >= 0x20 && k + 1 < sizeof(c.version))
        k++;
    memcpy(c.version, v, k);
    c.version[k] = 0;
    PyObject *fspath = NULL;
    if (!PyUnicode_FSConverter(path, &fspath))
        return NULL;
    strtab t;
    sbuf scratch = {NULL, 0, 0, 0};
    uint32_t *type_str = NULL, *detail_str = NULL, *root_str = NULL;
    int err = ENOMEM;
    if (st_init(&t) < 0 || !(type_str = row_strings(s, &t, &scratch, 0)) ||
        !(detail_str = row_strings(s, &t, &scratch, 1)))
        goto done;
    if (g) {
        if (!(root_str = malloc((g->nroots + 1) * sizeof(uint32_t))))
            goto done;
        for (size_t r = 0; r < g->nroots; r++)
            root_str[r] = st_pystr(&t, &scratch, g->roots[r].label);
        if (t.oom)
            goto done;
    }
    c.type_str = type_str;
    c.detail_str = detail_str;
    c.root_str = root_str;
    Py_BEGIN_ALLOW_THREADS
    err = jsonl_write(s, PyBytes_AS_STRING(fspath), &t, &scratch, &c);
    Py_END_ALLOW_THREADS
done:
    st_free(&t);
    free(scratch.p);
    free(type_str);
    free(detail_str);
    free(root_str);
    PyObject *r = finish(err, path);
    Py_DECREF(fspath);
    return r;
}
