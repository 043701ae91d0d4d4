/*
 * heapfile.c -- heap files: the file format, Snapshot.save and load (see
 * heapfile.h for the format).
 *
 * Sections:
 *   1. format    header, directory, hashes, string tables
 *   2. reprs     a few short reprs for a saved live snapshot: its objects
 *                found again by a fresh walk (same address and type; same
 *                serial on 3.13, same size when untracked), repr'd after it
 *   3. save      every section from the snapshot, to a temporary file renamed
 *                over the target
 *   4. load      every section read in bulk and checked before use, into a
 *                Snapshot marked loaded (nothing in it refers to this process)
 */
#include "heapfile.h"
#include "addrmap.h"
#include "bigmem.h"
#include "graph.h"
#include "identity.h"
#include "sizes.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- 1. format ---------------------------------------------------------------- */

static const char MAGIC[8] = {'\x89', 'H', 'S', 'H', 'E', 'A', 'P', '\n'};

enum { F_GRAPH = 1, F_NAMES = 2, F_SERIALS = 4 };

typedef struct {
    char magic[8];
    uint32_t version, header_bytes, bom, ptrsize, flags, nsections;
    uint64_t n, nrows, nlabels, nedges, nroots, nreprs, nfrozen, series, origin;
    int64_t total_size;
    double created;
    char pyversion[48];
    uint64_t hash;
} fheader;

typedef struct {
    uint32_t tag, zero;
    uint64_t off, len, hash;
} fdir;

typedef struct {
    uint64_t type;
    uint32_t label, dlabel, is_dict, zero;
    int64_t count, size;
} frow;

typedef struct {
    uint32_t node, kind;
    int32_t thread;
    uint32_t label;
    int64_t refs;
} froot;

typedef struct {
    uint32_t node, str;
} frepr;

_Static_assert(sizeof(fheader) == 176, "header layout");
_Static_assert(sizeof(fdir) == 32, "directory layout");
_Static_assert(sizeof(frow) == 40, "row layout");
_Static_assert(sizeof(froot) == 24, "root layout");
_Static_assert(sizeof(rec_t) == 16, "record layout");

enum { S_RECS, S_SERI, S_ROWS, S_LABL, S_GOFF, S_GFWD, S_ROOT, S_RSTR, S_ENAM, S_ESTR, S_REPR, S_PSTR, NSECT };
static const char *TAGS[NSECT] = {"RECS", "SERI", "ROWS", "LABL", "GOFF", "GFWD",
                                  "ROOT", "RSTR", "ENAM", "ESTR", "REPR", "PSTR"};

static uint32_t tag_of(const char *t) { return (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24; }

/* FNV-1a over 64-bit words (then the tail and the length): any one changed
 * word changes the result (the multiplier is odd, so each step is a bijection). */
static uint64_t hash64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    uint64_t w = 0;
    if (n > i)
        memcpy(&w, b + i, n - i);
    h = (h ^ w) * 0x100000001b3ULL;
    h = (h ^ (uint64_t)n) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

static PyObject *HeapFileError;

/* A string table as stored (section format in heapfile.h). */
typedef struct {
    uint32_t count, blob_len;
    const uint32_t *off;
    const char *blob;
} strsec;

/* Serialize count strings (ptrs/lens) into one malloc'ed buffer. */
static char *strsec_build(uint32_t count, const char *const *ptrs, const size_t *lens, size_t *out_len)
{
    size_t blob = 0;
    for (uint32_t i = 0; i < count; i++)
        blob += lens[i] + 1;
    if (blob > 0xFFFFFFF0u) {
        PyErr_SetString(PyExc_OverflowError, "heapscope: strings too large for a heap file");
        return NULL;
    }
    size_t len = 8 + 4 * (size_t)count + blob;
    char *buf = malloc(len ? len : 1);
    if (!buf) {
        PyErr_NoMemory();
        return NULL;
    }
    uint32_t *hdr = (uint32_t *)buf;
    hdr[0] = count;
    hdr[1] = (uint32_t)blob;
    char *b = buf + 8 + 4 * (size_t)count;
    size_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        hdr[2 + i] = (uint32_t)at;
        memcpy(b + at, ptrs[i], lens[i]);
        b[at + lens[i]] = '\0';
        at += lens[i] + 1;
    }
    *out_len = len;
    return buf;
}

/* ---- 2. reprs ------------------------------------------------------------------- */

#define REPR_ROWS 40     /* the largest rows ...               */
#define REPR_PER_ROW 2   /* ... their first objects             */
#define REPR_TOP 20      /* and the largest retainers (when computed) */
#define REPR_WIDTH 120

typedef struct {
    SnapshotObject *s;
    hs_addrmap want; /* address -> candidate index */
    uint32_t *node;
    PyObject **found;
    uint64_t series;
} refind;

static int refind_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    refind *f = (refind *)w->ctx;
    uint64_t k;
    if (!hs_addrmap_get(&f->want, (uintptr_t)op, &k) || f->found[k])
        return 0;
    SnapshotObject *s = f->s;
    uint32_t i = f->node[k];
    const rec_t *r = &s->recs[i];
    if (s->rows[rec_row(r)].type != (uintptr_t)ti->type)
        return 0;
    if (f->series) {
        if (hs_identity_serial((uintptr_t)op) != s->serials[i])
            return 0;
    } else if (!hs_is_tracked(op, ti) && !s->rows[rec_row(r)].is_dict) {
        Py_ssize_t sz = hs_size_fast(op, ti);
        if (sz >= 0 && sz != rec_size(r))
            return 0;
    }
    Py_INCREF(op);
    f->found[k] = op;
    return 0;
}

static int row_size_cmp(const void *x, const void *y)
{
    const srow_t *a = *(const srow_t *const *)x, *b = *(const srow_t *const *)y;
    return a->size != b->size ? (a->size > b->size ? -1 : 1) : 0;
}

/* Reprs of a few of a live snapshot's objects: fills *nodes / *strs (new
 * references), *count of them.  Objects gone since are skipped. */
static int live_reprs(SnapshotObject *s, uint32_t **nodes, PyObject ***strs, size_t *count)
{
    *nodes = NULL;
    *strs = NULL;
    *count = 0;
    size_t cap = REPR_ROWS * REPR_PER_ROW + REPR_TOP, nc = 0;
    uint32_t *cand = malloc(cap * sizeof(uint32_t));
    const srow_t **order = malloc((s->nrows + 1) * sizeof(srow_t *));
    uint8_t *taken = calloc(s->nrows + 1, 1);
    refind f;
    memset(&f, 0, sizeof(f));
    int rc = -1;
    if (!cand || !order || !taken)
        goto oom;
    for (size_t i = 0; i < s->nrows; i++)
        order[i] = &s->rows[i];
    qsort(order, s->nrows, sizeof(*order), row_size_cmp);
    uint8_t *want_row = taken; /* rows among the largest: how many objects still wanted */
    for (size_t i = 0; i < s->nrows && i < REPR_ROWS; i++)
        want_row[order[i] - s->rows] = REPR_PER_ROW;
    for (size_t i = 0; i < s->n && nc < REPR_ROWS * REPR_PER_ROW; i++) {
        size_t row = rec_row(&s->recs[i]);
        if (want_row[row]) {
            want_row[row]--;
            cand[nc++] = (uint32_t)i;
        }
    }
    if (s->graph && s->graph->retained) { /* the largest retainers, when already known */
        const uint64_t *r = s->graph->retained;
        uint32_t top[REPR_TOP];
        size_t nt = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (nt == REPR_TOP && r[i] <= r[top[nt - 1]])
                continue;
            size_t j = nt < REPR_TOP ? nt++ : nt - 1;
            while (j > 0 && r[top[j - 1]] < r[i]) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = (uint32_t)i;
        }
        for (size_t j = 0; j < nt; j++)
            cand[nc++] = top[j];
    }
    f.s = s;
    f.node = cand;
    f.found = calloc(nc + 1, sizeof(PyObject *));
    f.series = s->serials && hs_identity_series() == s->series ? s->series : 0;
    if (!f.found || hs_addrmap_reserve(&f.want, nc + 1) < 0)
        goto oom;
    for (size_t k = 0; k < nc; k++) {
        uint64_t old;
        if (!hs_addrmap_get(&f.want, s->recs[cand[k]].addr, &old))
            hs_addrmap_put(&f.want, s->recs[cand[k]].addr, k);
    }
    if (s->serials && !f.series) /* serials from another series: nothing can be matched for sure */
        nc = 0;
    if (nc) {
        hs_walker w;
        memset(&w, 0, sizeof(w));
        int was = hs_gc_pause();
        int wr = hs_walk_run(&w, refind_emit, &f);
        hs_gc_resume(was);
        hs_walk_release(&w);
        if (wr < 0)
            goto fail;
    }
    /* The walk is over: Python code may run (reprs can be anything). */
    PyObject *mod = PyImport_ImportModule("heapscope.leaks");
    PyObject *fn = mod ? PyObject_GetAttrString(mod, "_safe_repr") : NULL;
    Py_XDECREF(mod);
    if (!fn)
        goto fail;
    *nodes = malloc((nc + 1) * sizeof(uint32_t));
    *strs = calloc(nc + 1, sizeof(PyObject *));
    if (!*nodes || !*strs) {
        Py_DECREF(fn);
        goto oom;
    }
    for (size_t k = 0; k < nc; k++) {
        if (!f.found[k])
            continue;
        PyObject *r = PyObject_CallOneArg(fn, f.found[k]);
        if (r && PyUnicode_Check(r) && PyUnicode_GET_LENGTH(r) > REPR_WIDTH)
            Py_SETREF(r, PyUnicode_Substring(r, 0, REPR_WIDTH));
        if (!r || !PyUnicode_Check(r)) {
            Py_XDECREF(r);
            PyErr_Clear();
            continue;
        }
        (*nodes)[*count] = f.node[k];
        (*strs)[(*count)++] = r;
    }
    Py_DECREF(fn);
    rc = 0;
    goto done;
oom:
    PyErr_NoMemory();
fail:
    if (*strs)
        for (size_t k = 0; k < *count; k++)
            Py_DECREF((*strs)[k]);
    free(*nodes);
    free(*strs);
    *nodes = NULL;
    *strs = NULL;
    *count = 0;
done:
    for (size_t k = 0; f.found && k < nc; k++)
        Py_XDECREF(f.found[k]);
    free(f.found);
    hs_addrmap_free(&f.want);
    free(cand);
    free(order);
    free(taken);
    return rc;
}

/* ---- 3. save -------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    uint64_t off;
    fdir dir[NSECT];
} writer;

static int put_section(writer *w, int i, const void *data, size_t len)
{
    static const char zeros[8] = {0};
    size_t pad = (8 - w->off % 8) % 8;
    if (pad && fwrite(zeros, 1, pad, w->f) != pad)
        return -1;
    w->off += pad;
    w->dir[i].tag = tag_of(TAGS[i]);
    w->dir[i].off = w->off;
    w->dir[i].len = len;
    w->dir[i].hash = hash64(data, len);
    if (len && fwrite(data, 1, len, w->f) != len)
        return -1;
    w->off += len;
    return 0;
}

/* UTF-8 of str objects (backslashreplace for lone surrogates) as a string section. */
static char *py_strsec(PyObject **objs, size_t count, size_t *len)
{
    PyObject **bytes = calloc(count + 1, sizeof(PyObject *));
    const char **ptrs = calloc(count + 1, sizeof(char *));
    size_t *lens = calloc(count + 1, sizeof(size_t));
    char *out = NULL;
    if (!bytes || !ptrs || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        PyObject *o = objs[i] ? objs[i] : Py_None;
        bytes[i] = PyUnicode_Check(o) ? PyUnicode_AsEncodedString(o, "utf-8", "backslashreplace")
                                      : PyBytes_FromString("?");
        if (!bytes[i])
            goto done;
        ptrs[i] = PyBytes_AS_STRING(bytes[i]);
        lens[i] = strnlen(ptrs[i], (size_t)PyBytes_GET_SIZE(bytes[i])); /* a NUL ends it */
    }
    out = strsec_build((uint32_t)count, ptrs, lens, len);
done:
    for (size_t i = 0; bytes && i < count; i++)
        Py_XDECREF(bytes[i]);
    free(bytes);
    free(ptrs);
    free(lens);
    return out;
}

static int write_file(SnapshotObject *s, FILE *f, uint32_t *rnodes, PyObject **rstrs, size_t nreprs)
{
    writer w;
    memset(&w, 0, sizeof(w));
    w.f = f;
    hs_graph *g = s->graph;
    fheader h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, 8);
    h.version = HS_HEAPFILE_VERSION;
    h.header_bytes = sizeof(h);
    h.bom = 0x01020304;
    h.ptrsize = sizeof(void *);
    h.flags = (g ? F_GRAPH : 0) | (g && g->names ? F_NAMES : 0) | (s->serials ? F_SERIALS : 0);
    h.nsections = NSECT;
    h.n = s->n;
    h.nrows = s->nrows;
    h.nlabels = s->nlabels;
    h.nedges = g ? g->nedges : 0;
    h.nroots = g ? g->nroots : 0;
    h.nreprs = nreprs;
    h.nfrozen = s->nfrozen;
    h.series = s->series;
    h.origin = s->origin;
    h.total_size = s->total_size;
    h.created = s->created;
    const char *pv = PyUnicode_Check(s->pyversion) ? PyUnicode_AsUTF8(s->pyversion) : NULL;
    if (!pv)
        PyErr_Clear();
    snprintf(h.pyversion, sizeof(h.pyversion), "%s", pv ? pv : "?");
    char *rows = NULL, *labl = NULL, *roots = NULL, *rstr = NULL, *estr = NULL, *repr = NULL, *pstr = NULL;
    size_t labl_len = 0, rstr_len = 0, estr_len = 0, pstr_len = 0;
    PyObject **rl = NULL;
    int rc = -1;
    w.off = sizeof(fheader) + sizeof(w.dir) + 8;
    if (fseek(f, (long)w.off, SEEK_SET) < 0)
        goto ioerr;
    rows = calloc(s->nrows + 1, sizeof(frow));
    roots = calloc((g ? g->nroots : 0) + 1, sizeof(froot));
    repr = calloc(nreprs + 1, sizeof(frepr));
    rl = calloc((g ? g->nroots : 0) + 1, sizeof(PyObject *));
    if (!rows || !roots || !repr || !rl) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < s->nrows; i++) {
        frow *r = (frow *)rows + i;
        r->type = s->rows[i].type;
        r->label = s->rows[i].label;
        r->dlabel = s->rows[i].dlabel;
        r->is_dict = (uint32_t)s->rows[i].is_dict;
        r->count = s->rows[i].count;
        r->size = s->rows[i].size;
    }
    for (size_t i = 0; g && i < g->nroots; i++) {
        froot *r = (froot *)roots + i;
        r->node = g->roots[i].node;
        r->kind = (uint32_t)g->roots[i].kind;
        r->thread = g->roots[i].thread;
        r->label = (uint32_t)i;
        r->refs = g->roots[i].refs;
        rl[i] = g->roots[i].label;
    }
    for (size_t i = 0; i < nreprs; i++) {
        ((frepr *)repr)[i].node = rnodes[i];
        ((frepr *)repr)[i].str = (uint32_t)i;
    }
    if (!(labl = py_strsec(s->labels, s->nlabels, &labl_len)) ||
        !(rstr = py_strsec(rl, g ? g->nroots : 0, &rstr_len)) || !(pstr = py_strsec(rstrs, nreprs, &pstr_len)))
        goto done;
    if (g && g->names) {
        const char **ptrs = malloc((g->names->count + 1) * sizeof(char *));
        size_t *lens = malloc((g->names->count + 1) * sizeof(size_t));
        if (ptrs && lens)
            for (uint32_t i = 0; i < g->names->count; i++) {
                ptrs[i] = hs_strtab_get(g->names, i);
                lens[i] = strlen(ptrs[i]);
            }
        estr = ptrs && lens ? strsec_build(g->names->count, ptrs, lens, &estr_len) : NULL;
        if (!ptrs || !lens)
            PyErr_NoMemory();
        free(ptrs);
        free(lens);
        if (!estr)
            goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = put_section(&w, S_RECS, s->recs, s->n * sizeof(rec_t));
    if (!rc)
        rc = put_section(&w, S_SERI, s->serials, s->serials ? s->n * sizeof(uint64_t) : 0);
    if (!rc)
        rc = put_section(&w, S_ROWS, rows, s->nrows * sizeof(frow));
    if (!rc)
        rc = put_section(&w, S_LABL, labl, labl_len);
    if (!rc)
        rc = put_section(&w, S_GOFF, g ? g->fwd_off : NULL, g ? ((size_t)g->n + 1) * sizeof(uint32_t) : 0);
    if (!rc)
        rc = put_section(&w, S_GFWD, g ? g->fwd : NULL, g ? g->nedges * sizeof(uint32_t) : 0);
    if (!rc)
        rc = put_section(&w, S_ROOT, roots, (g ? g->nroots : 0) * sizeof(froot));
    if (!rc)
        rc = put_section(&w, S_RSTR, rstr, g ? rstr_len : 0);
    if (!rc)
        rc = put_section(&w, S_ENAM, g && g->names ? g->ename : NULL, g && g->names ? g->nedges * sizeof(uint32_t) : 0);
    if (!rc)
        rc = put_section(&w, S_ESTR, estr, estr ? estr_len : 0);
    if (!rc)
        rc = put_section(&w, S_REPR, repr, nreprs * sizeof(frepr));
    if (!rc)
        rc = put_section(&w, S_PSTR, pstr, pstr_len);
    if (!rc) {
        h.hash = hash64(&h, offsetof(fheader, hash));
        uint64_t dh = hash64(w.dir, sizeof(w.dir));
        rc = fseek(f, 0, SEEK_SET) < 0 || fwrite(&h, sizeof(h), 1, f) != 1 || fwrite(w.dir, sizeof(w.dir), 1, f) != 1 ||
                     fwrite(&dh, 8, 1, f) != 1 || fflush(f) != 0
                 ? -1
                 : 0;
    }
    Py_END_ALLOW_THREADS
    if (rc < 0)
        goto ioerr;
    goto done;
ioerr:
    PyErr_SetFromErrno(PyExc_OSError);
    rc = -1;
done:
    free(rows);
    free(labl);
    free(roots);
    free(rstr);
    free(estr);
    free(repr);
    free(pstr);
    free(rl);
    return rc;
}

PyObject *hs_snapshot_save(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "reprs", NULL};
    SnapshotObject *s = (SnapshotObject *)self;
    PyObject *pathb = NULL;
    int want_reprs = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|p:save", kwlist, PyUnicode_FSConverter, &pathb, &want_reprs))
        return NULL;
    const char *path = PyBytes_AS_STRING(pathb);
    uint32_t *rnodes = NULL;
    PyObject **rstrs = NULL;
    size_t nreprs = 0;
    int own_reprs = 0;
    if (want_reprs && s->loaded) {
        rnodes = s->repr_node;
        rstrs = s->reprs;
        nreprs = s->nreprs;
    } else if (want_reprs) {
        if (live_reprs(s, &rnodes, &rstrs, &nreprs) < 0) {
            Py_DECREF(pathb);
            return NULL;
        }
        own_reprs = 1;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 64);
    PyObject *out = NULL;
    if (!tmp) {
        PyErr_NoMemory();
        goto done;
    }
    snprintf(tmp, plen + 64, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmp);
        goto done;
    }
    int rc = write_file(s, f, rnodes, rstrs, nreprs);
    if (fclose(f) != 0 && rc == 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmp);
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    else
        {
        Py_INCREF(Py_None);
        out = Py_None;
    }
done:
    if (own_reprs) {
        for (size_t i = 0; i < nreprs; i++)
            Py_DECREF(rstrs[i]);
        free(rnodes);
        free(rstrs);
    }
    free(tmp);
    Py_DECREF(pathb);
    return out;
}

/* ---- 4. load -------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    const char *path;
    uint64_t fsize;
    fdir dir[NSECT];
} reader;

static void *bad(const reader *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    PyErr_Format(HeapFileError, "%s: %s", r->path, msg);
    return NULL;
}

/* Section i read into a new bigmem array of *cap bytes; its length must be
 * expect (or anything when expect is (uint64_t)-1).  NULL with an exception. */
static void *read_section(reader *r, int i, uint64_t expect, size_t *cap, uint64_t *len_out)
{
    const fdir *d = &r->dir[i];
    if (expect != (uint64_t)-1 && d->len != expect)
        return bad(r, "section %s is %llu bytes, its counts say %llu", TAGS[i], (unsigned long long)d->len,
                   (unsigned long long)expect);
    if (len_out)
        *len_out = d->len;
    void *p = hs_big_alloc((size_t)d->len + 8, cap);
    if (!p)
        return PyErr_NoMemory();
    size_t got = 0;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = fseek(r->f, (long)d->off, SEEK_SET) == 0;
    if (ok)
        got = fread(p, 1, (size_t)d->len, r->f);
    Py_END_ALLOW_THREADS
    if (!ok || got != d->len) {
        hs_big_free(p, *cap);
        return bad(r, "section %s cannot be read (truncated?)", TAGS[i]);
    }
    if (hash64(p, (size_t)d->len) != d->hash) {
        hs_big_free(p, *cap);
        return bad(r, "section %s is corrupt (checksum mismatch)", TAGS[i]);
    }
    return p;
}

/* A string section checked: offsets within the blob, the blob NUL-terminated. */
static int parse_strsec(reader *r, int i, const char *buf, uint64_t len, uint64_t want_count, strsec *out)
{
    if (len < 8) {
        bad(r, "string section %s is %llu bytes, less than its 8-byte header", TAGS[i], (unsigned long long)len);
        return -1;
    }
    const uint32_t *h = (const uint32_t *)buf;
    out->count = h[0];
    out->blob_len = h[1];
    if (want_count != (uint64_t)-1 && out->count != want_count) {
        bad(r, "string section %s holds %u strings, the header says %llu", TAGS[i], out->count,
            (unsigned long long)want_count);
        return -1;
    }
    if (8 + 4 * (uint64_t)out->count + out->blob_len != len) {
        bad(r, "string section %s: %u strings and %u bytes do not make its %llu bytes", TAGS[i], out->count,
            out->blob_len, (unsigned long long)len);
        return -1;
    }
    out->off = h + 2;
    out->blob = buf + 8 + 4 * (size_t)out->count;
    if (out->count && (out->blob_len == 0 || out->blob[out->blob_len - 1] != '\0')) {
        bad(r, "string section %s is not NUL-terminated", TAGS[i]);
        return -1;
    }
    for (uint32_t k = 0; k < out->count; k++)
        if (out->off[k] >= out->blob_len) {
            bad(r, "string %u of section %s starts at %u, past its %u bytes", k, TAGS[i], out->off[k], out->blob_len);
            return -1;
        }
    return 0;
}

static PyObject *str_at(reader *r, const strsec *t, uint32_t k, const char *what)
{
    const char *s = t->blob + t->off[k];
    PyObject *o = PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "strict");
    if (!o) {
        PyErr_Clear();
        bad(r, "%s %u is not UTF-8", what, k);
    }
    return o;
}

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            bad(&rd, __VA_ARGS__);                                                                                     \
            goto fail;                                                                                                 \
        }                                                                                                              \
    } while (0)

static PyObject *load_file(reader *r_);

PyObject *hs_heapfile_load(PyObject *arg)
{
    PyObject *pathb = NULL;
    if (!PyUnicode_FSConverter(arg, &pathb))
        return NULL;
    reader rd;
    memset(&rd, 0, sizeof(rd));
    rd.path = PyBytes_AS_STRING(pathb);
    rd.f = fopen(rd.path, "rb");
    if (!rd.f) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, rd.path);
        Py_DECREF(pathb);
        return NULL;
    }
    PyObject *out = load_file(&rd);
    fclose(rd.f);
    Py_DECREF(pathb);
    return out;
}

static PyObject *load_file(reader *r_)
{
    reader rd = *r_;
    struct stat st;
    fheader h;
    SnapshotObject *s = NULL;
    size_t cap;
    uint64_t len;
    char *buf[NSECT] = {0};
    size_t bufcap[NSECT] = {0};
    hs_graph *g = NULL;
    if (fstat(fileno(rd.f), &st) < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, rd.path);
        return NULL;
    }
    rd.fsize = (uint64_t)st.st_size;
    CHECK(rd.fsize >= 8, "not a heapscope heap file (%llu bytes)", (unsigned long long)rd.fsize);
    CHECK(fread(&h, 1, 8, rd.f) == 8, "cannot read the header");
    CHECK(memcmp(h.magic, MAGIC, 8) == 0, "not a heapscope heap file (bad magic)");
    CHECK(rd.fsize >= sizeof(h), "truncated: %llu bytes, the header alone is %zu", (unsigned long long)rd.fsize,
          sizeof(h));
    CHECK(fseek(rd.f, 0, SEEK_SET) == 0 && fread(&h, sizeof(h), 1, rd.f) == 1, "cannot read the header");
    CHECK(h.version == HS_HEAPFILE_VERSION, "heap file format version %u; this heapscope reads version %d",
          h.version, HS_HEAPFILE_VERSION);
    CHECK(h.header_bytes == sizeof(h), "header of %u bytes, expected %zu", h.header_bytes, sizeof(h));
    CHECK(h.hash == hash64(&h, offsetof(fheader, hash)), "the header is corrupt (checksum mismatch)");
    CHECK(h.bom == 0x01020304, "written on a machine of the other byte order");
    CHECK(h.ptrsize == sizeof(void *), "written by a %u-bit process; this one is %zu-bit", h.ptrsize * 8,
          sizeof(void *) * 8);
    CHECK(h.nsections == NSECT, "%u sections, version %d has %d", h.nsections, HS_HEAPFILE_VERSION, NSECT);
    CHECK((h.flags & ~7u) == 0, "unknown flags 0x%x", h.flags);
    CHECK(memchr(h.pyversion, 0, sizeof(h.pyversion)) != NULL, "the Python version is not NUL-terminated");
    uint64_t dir_end = sizeof(h) + sizeof(rd.dir) + 8;
    CHECK(rd.fsize >= dir_end, "truncated in the section directory (%llu bytes)", (unsigned long long)rd.fsize);
    uint64_t dh;
    CHECK(fread(rd.dir, sizeof(rd.dir), 1, rd.f) == 1 && fread(&dh, 8, 1, rd.f) == 1, "cannot read the directory");
    CHECK(dh == hash64(rd.dir, sizeof(rd.dir)), "the section directory is corrupt (checksum mismatch)");
    for (int i = 0; i < NSECT; i++) {
        const fdir *d = &rd.dir[i];
        CHECK(d->tag == tag_of(TAGS[i]) && d->zero == 0, "section %d is not %s", i, TAGS[i]);
        CHECK(d->off >= dir_end && d->off % 8 == 0 && d->off <= rd.fsize && d->len <= rd.fsize - d->off,
              "truncated: section %s (%llu bytes at %llu) runs past the end of the file (%llu bytes)", TAGS[i],
              (unsigned long long)d->len, (unsigned long long)d->off, (unsigned long long)rd.fsize);
    }
    /* counts against the section sizes before anything is allocated */
    int graph = h.flags & F_GRAPH, names = (h.flags & F_NAMES) != 0, serials = (h.flags & F_SERIALS) != 0;
    CHECK(h.n == rd.dir[S_RECS].len / sizeof(rec_t) && rd.dir[S_RECS].len % sizeof(rec_t) == 0,
          "header says %llu objects, the records section holds %llu bytes", (unsigned long long)h.n,
          (unsigned long long)rd.dir[S_RECS].len);
    CHECK(h.nrows <= MAX_ROWS && h.nrows == rd.dir[S_ROWS].len / sizeof(frow) &&
              rd.dir[S_ROWS].len % sizeof(frow) == 0,
          "header says %llu rows, the rows section holds %llu bytes", (unsigned long long)h.nrows,
          (unsigned long long)rd.dir[S_ROWS].len);
    CHECK(h.nlabels <= 2 * h.nrows + 1, "%llu labels for %llu rows", (unsigned long long)h.nlabels,
          (unsigned long long)h.nrows);
    CHECK(h.nfrozen <= h.n, "%llu frozen objects of %llu", (unsigned long long)h.nfrozen, (unsigned long long)h.n);
    CHECK(!names || graph, "edge names without a graph");
    CHECK(graph || (h.nedges == 0 && h.nroots == 0), "edges or roots without a graph");
    CHECK(!graph || h.n < 0xFFFFFFF0u, "%llu objects: too many for a graph", (unsigned long long)h.n);
    CHECK(!graph || (h.nedges < 0xFFFFFFF0u && h.nedges == rd.dir[S_GFWD].len / 4 && rd.dir[S_GFWD].len % 4 == 0),
          "header says %llu edges, the graph section holds %llu bytes", (unsigned long long)h.nedges,
          (unsigned long long)rd.dir[S_GFWD].len);
    CHECK(h.nroots <= h.n && h.nroots == rd.dir[S_ROOT].len / sizeof(froot) &&
              rd.dir[S_ROOT].len % sizeof(froot) == 0,
          "header says %llu roots, the roots section holds %llu bytes", (unsigned long long)h.nroots,
          (unsigned long long)rd.dir[S_ROOT].len);
    CHECK(h.nreprs <= h.n && h.nreprs == rd.dir[S_REPR].len / sizeof(frepr) && rd.dir[S_REPR].len % sizeof(frepr) == 0,
          "header says %llu reprs, the reprs section holds %llu bytes", (unsigned long long)h.nreprs,
          (unsigned long long)rd.dir[S_REPR].len);

    if (!(s = hs_snapshot_new()))
        goto fail;
    s->loaded = 1;
    s->origin = h.origin;
    s->created = h.created;
    s->series = h.series;
    s->nfrozen = h.nfrozen;
    s->total_size = h.total_size;
    Py_SETREF(s->pyversion, PyUnicode_DecodeUTF8(h.pyversion, (Py_ssize_t)strlen(h.pyversion), "replace"));
    if (!s->pyversion)
        goto fail;
    /* labels */
    strsec labl, rstr, estr, pstr;
    if (!(buf[S_LABL] = read_section(&rd, S_LABL, (uint64_t)-1, &bufcap[S_LABL], &len)) ||
        parse_strsec(&rd, S_LABL, buf[S_LABL], len, h.nlabels, &labl) < 0)
        goto fail;
    s->labels = calloc(h.nlabels + 1, sizeof(PyObject *));
    if (!s->labels)
        goto oom;
    for (uint32_t k = 0; k < labl.count; k++) {
        if (!(s->labels[k] = str_at(&rd, &labl, k, "label")))
            goto fail;
        s->nlabels = k + 1;
    }
    /* rows */
    if (!(buf[S_ROWS] = read_section(&rd, S_ROWS, h.nrows * sizeof(frow), &bufcap[S_ROWS], NULL)))
        goto fail;
    s->rows = calloc(h.nrows + 1, sizeof(srow_t));
    if (!s->rows)
        goto oom;
    s->nrows = h.nrows;
    Py_ssize_t total = 0;
    for (size_t i = 0; i < h.nrows; i++) {
        const frow *fr = (const frow *)buf[S_ROWS] + i;
        CHECK(fr->count >= 0 && fr->size >= 0 && fr->is_dict <= 1 && fr->zero == 0,
              "row %zu: bad count, size or flags", i);
        CHECK(fr->count == 0 || (fr->label < h.nlabels && fr->dlabel < h.nlabels),
              "row %zu: label %u / %u out of the %llu labels", i, fr->label, fr->dlabel, (unsigned long long)h.nlabels);
        CHECK(fr->size <= PY_SSIZE_T_MAX - total, "row sizes overflow");
        total += fr->size;
        srow_t *sr = &s->rows[i];
        sr->type = (uintptr_t)fr->type;
        sr->label = fr->label;
        sr->dlabel = fr->dlabel;
        sr->is_dict = (int)fr->is_dict;
        sr->count = fr->count;
        sr->size = fr->size;
    }
    CHECK(total == h.total_size, "rows add up to %zd bytes, the header says %lld", total, (long long)h.total_size);
    /* records */
    if (!(s->recs = read_section(&rd, S_RECS, h.n * sizeof(rec_t), &s->recs_bytes, NULL)))
        goto fail;
    s->n = h.n;
    {
        Py_ssize_t *cnt = calloc(h.nrows + 1, sizeof(Py_ssize_t));
        if (!cnt)
            goto oom;
        size_t badrec = (size_t)-1;
        for (size_t i = 0; i < s->n; i++) {
            size_t row = rec_row(&s->recs[i]);
            if (row >= h.nrows) {
                badrec = i;
                break;
            }
            cnt[row]++;
        }
        size_t badrow = (size_t)-1;
        for (size_t i = 0; badrec == (size_t)-1 && i < h.nrows; i++)
            if (cnt[i] != s->rows[i].count) {
                badrow = i;
                break;
            }
        free(cnt);
        CHECK(badrec == (size_t)-1, "record %zu: row out of the %llu rows", badrec, (unsigned long long)h.nrows);
        CHECK(badrow == (size_t)-1, "row %zu counts %zd objects, the records say otherwise", badrow,
              s->rows[badrow].count);
    }
    if (serials) {
        if (!(s->serials = read_section(&rd, S_SERI, h.n * 8, &s->serials_bytes, NULL)))
            goto fail;
    } else {
        CHECK(rd.dir[S_SERI].len == 0, "serials section without the serials flag");
    }
    /* graph */
    if (graph) {
        g = calloc(1, sizeof(*g));
        if (!g)
            goto oom;
        g->n = (uint32_t)h.n;
        g->nedges = h.nedges;
        if (!(g->fwd_off = read_section(&rd, S_GOFF, (h.n + 1) * 4, &g->bytes[0], NULL)) ||
            !(g->fwd = read_section(&rd, S_GFWD, h.nedges * 4, &g->bytes[1], NULL)))
            goto fail;
        CHECK(g->fwd_off[0] == 0 && g->fwd_off[g->n] == g->nedges, "graph offsets do not span the %zu edges",
              g->nedges);
        for (uint32_t v = 0; v < g->n; v++)
            CHECK(g->fwd_off[v] <= g->fwd_off[v + 1], "graph offsets decrease at node %u", v);
        for (size_t e = 0; e < g->nedges; e++)
            CHECK(g->fwd[e] < g->n, "edge %zu goes to node %u of %u", e, g->fwd[e], g->n);
        if (hs_graph_reverse(g) < 0 || !(g->root_of = hs_big_alloc((size_t)g->n * 4 + 4, &g->bytes[4])))
            goto oom;
        if (!(buf[S_ROOT] = read_section(&rd, S_ROOT, h.nroots * sizeof(froot), &bufcap[S_ROOT], NULL)) ||
            !(buf[S_RSTR] = read_section(&rd, S_RSTR, (uint64_t)-1, &bufcap[S_RSTR], &len)) ||
            parse_strsec(&rd, S_RSTR, buf[S_RSTR], len, (uint64_t)-1, &rstr) < 0)
            goto fail;
        g->roots = calloc(h.nroots + 1, sizeof(hs_root));
        if (!g->roots)
            goto oom;
        g->caproots = h.nroots + 1;
        for (size_t i = 0; i < h.nroots; i++) {
            const froot *fr = (const froot *)buf[S_ROOT] + i;
            CHECK(fr->node < g->n, "root %zu: node %u of %u", i, fr->node, g->n);
            CHECK(fr->kind >= ROOT_MODULE && fr->kind <= ROOT_IGNORED, "root %zu: kind %u", i, fr->kind);
            CHECK(fr->label < rstr.count, "root %zu: label %u of %u", i, fr->label, rstr.count);
            hs_root *r = &g->roots[i];
            r->node = fr->node;
            r->kind = (int)fr->kind;
            r->thread = fr->thread;
            r->refs = fr->refs;
            if (!(r->label = str_at(&rd, &rstr, fr->label, "root label")))
                goto fail;
            g->nroots = i + 1;
            if (!g->root_of[fr->node]) /* a node may be a root twice (also held from outside): the first */
                g->root_of[fr->node] = (uint32_t)(i + 1);
        }
        if (names) {
            if (!(g->ename = read_section(&rd, S_ENAM, h.nedges * 4, &g->bytes[7], NULL)) ||
                !(buf[S_ESTR] = read_section(&rd, S_ESTR, (uint64_t)-1, &bufcap[S_ESTR], &len)) ||
                parse_strsec(&rd, S_ESTR, buf[S_ESTR], len, (uint64_t)-1, &estr) < 0)
                goto fail;
            for (size_t e = 0; e < g->nedges; e++)
                CHECK(g->ename[e] < estr.count, "edge %zu: name %u of %u", e, g->ename[e], estr.count);
            if (!(g->names = calloc(1, sizeof(hs_strtab))))
                goto oom;
            g->names->blob = malloc(estr.blob_len + 1);
            g->names->off = malloc(((size_t)estr.count + 1) * 4);
            if (!g->names->blob || !g->names->off)
                goto oom;
            memcpy(g->names->blob, estr.blob, estr.blob_len);
            memcpy(g->names->off, estr.off, (size_t)estr.count * 4);
            g->names->len = g->names->cap = estr.blob_len;
            g->names->count = g->names->capoff = estr.count;
        } else {
            CHECK(rd.dir[S_ENAM].len == 0 && rd.dir[S_ESTR].len == 0, "edge names without the names flag");
        }
        s->graph = g;
        g = NULL;
    } else {
        for (int i = S_GOFF; i <= S_ESTR; i++)
            CHECK(rd.dir[i].len == 0, "section %s without a graph", TAGS[i]);
    }
    /* reprs */
    if (!(buf[S_REPR] = read_section(&rd, S_REPR, h.nreprs * sizeof(frepr), &bufcap[S_REPR], NULL)) ||
        !(buf[S_PSTR] = read_section(&rd, S_PSTR, (uint64_t)-1, &bufcap[S_PSTR], &len)) ||
        parse_strsec(&rd, S_PSTR, buf[S_PSTR], len, (uint64_t)-1, &pstr) < 0)
        goto fail;
    s->repr_node = calloc(h.nreprs + 1, sizeof(uint32_t));
    s->reprs = calloc(h.nreprs + 1, sizeof(PyObject *));
    if (!s->repr_node || !s->reprs)
        goto oom;
    for (size_t i = 0; i < h.nreprs; i++) {
        const frepr *fr = (const frepr *)buf[S_REPR] + i;
        CHECK(fr->node < h.n, "repr %zu: node %u of %llu", i, fr->node, (unsigned long long)h.n);
        CHECK(fr->str < pstr.count, "repr %zu: string %u of %u", i, fr->str, pstr.count);
        if (!(s->reprs[i] = str_at(&rd, &pstr, fr->str, "repr")))
            goto fail;
        s->repr_node[i] = fr->node;
        s->nreprs = i + 1;
    }
    for (int i = 0; i < NSECT; i++)
        hs_big_free(buf[i], bufcap[i]);
    (void)cap;
    return (PyObject *)s;
oom:
    PyErr_NoMemory();
fail:
    for (int i = 0; i < NSECT; i++)
        hs_big_free(buf[i], bufcap[i]);
    hs_graph_free(g);
    Py_XDECREF(s);
    return NULL;
}

int hs_heapfile_init(PyObject *module)
{
    HeapFileError = PyErr_NewExceptionWithDoc("heapscope.HeapFileError",
                                              "A heap file that cannot be read: truncated, corrupt, or not one.",
                                              PyExc_ValueError, NULL);
    if (!HeapFileError)
        return -1;
    Py_INCREF(HeapFileError);
    return PyModule_AddObject(module, "HeapFileError", HeapFileError);
}
