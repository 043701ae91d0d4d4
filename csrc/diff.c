/*
 * diff.c -- SnapshotDiff: which objects of a newer snapshot are new, and the
 * per-label deltas between two snapshots (see snapshot.h).
 *
 * Sections:
 *   1. identity       which objects of a newer snapshot are new; the matching
 *                     pass by address is also verdict.c's (hs_snap_match)
 *   2. SnapshotDiff   per-label deltas, the new objects' rows and records, and
 *                     new_objects(): the live objects, found by a fresh walk
 *
 * Identity: same address, same type and, on 3.13+ within one serial series
 * (identity.c), the same creation serial.  Without serials an address reused
 * by an object of the same type is told apart as well as the heap allows:
 * a GC-tracked object found in a younger GC list than the old one was in is
 * new (objects only move to older lists; find_leaks freezes the old heap into
 * the permanent generation so that this is exact for tracked objects), an
 * untracked one is new when its size differs.
 *
 * Across processes (a heap file against a snapshot of another process: their
 * origins differ) type addresses mean nothing: an address matches when its
 * object has the same detailed label instead, and serials are not used.
 */
#include "records.h"
#include "addrmap.h"
#include "bigmem.h"
#include "identity.h"
#include "labels.h"
#include "sizes.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. identity ---------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    SnapshotObject *old, *new_;
    size_t nnew;
    size_t *newidx; /* records of new_ that were not in old, in record order */
    size_t newidx_bytes;
    int exact;
} DiffObject;

/*
 * Matching records by address.  Two walks of a heap that changed a little
 * list most objects in the same order, so the records are matched in one
 * sequential pass: each new record is looked for among the next few old
 * records after the last match.  When a block of old records is gone (or the
 * collector moved objects), a sparse index of every SPARSE-th old record puts
 * the pass back in step.  New records left unmatched are looked up afterwards
 * in a hash of the old records nobody matched.  Same answers as one big hash,
 * without a cache miss per object.
 */
#define LOOKAHEAD 8
#define SPARSE 32
#define AHEAD 16 /* records between a hash-slot prefetch and its use */

typedef struct {
    const SnapshotObject *o, *n;
    int exact, still_frozen;
    const uint32_t *ocls, *ncls; /* across processes: per row, a class by detailed label */
} matcher;

/* Whether new record i is the object old record j was (same address). */
static int same_object(const matcher *mt, size_t j, size_t i)
{
    const rec_t *q = &mt->o->recs[j], *r = &mt->n->recs[i];
    const srow_t *nr = &mt->n->rows[rec_row(r)];
    if (mt->ocls ? mt->ocls[rec_row(q)] != mt->ncls[rec_row(r)] : mt->o->rows[rec_row(q)].type != nr->type)
        return 0;
    if (mt->exact)
        return mt->o->serials[j] == mt->n->serials[i];
    if (rec_tracked(q) && rec_tracked(r)) {
        /* Objects only ever move to older GC lists (and never out of the
         * permanent one but by gc.unfreeze): one found in a younger list than
         * the object at its address was is a new object. */
        int gq = rec_gen(q), gr = rec_gen(r);
        return gq == 3 ? (gr == 3 || !mt->still_frozen) : gr >= gq;
    }
    if (nr->is_dict)
        return 1; /* dicts are untracked and re-tracked as they change */
    return rec_size(q) == rec_size(r);
}

#define BIT_SET(v, i) ((v)[(i) >> 3] |= (uint8_t)(1u << ((i)&7)))
#define BIT_GET(v, i) (((v)[(i) >> 3] >> ((i)&7)) & 1u)

/* Snapshots of different processes (heap files): type addresses mean nothing
 * across them, so each row gets a class by its detailed label, shared by both.
 * 0, or -1 with an exception. */
static int row_classes(const SnapshotObject *o, const SnapshotObject *n, uint32_t **ocls, uint32_t **ncls)
{
    PyObject *index = PyDict_New();
    *ocls = calloc(o->nrows + 1, sizeof(uint32_t));
    *ncls = calloc(n->nrows + 1, sizeof(uint32_t));
    if (!index || !*ocls || !*ncls) {
        Py_XDECREF(index);
        PyErr_NoMemory();
        return -1;
    }
    for (int side = 0; side < 2; side++) {
        const SnapshotObject *s = side ? n : o;
        uint32_t *cls = side ? *ncls : *ocls;
        for (size_t i = 0; i < s->nrows; i++) {
            if (!s->rows[i].count)
                continue;
            PyObject *label = s->labels[s->rows[i].dlabel];
            PyObject *at = PyDict_GetItemWithError(index, label);
            if (!at) {
                at = PyErr_Occurred() ? NULL : PyLong_FromSsize_t(PyDict_GET_SIZE(index) + 1);
                if (!at || PyDict_SetItem(index, label, at) < 0) {
                    Py_XDECREF(at);
                    Py_DECREF(index);
                    return -1;
                }
                Py_DECREF(at); /* the dict holds it */
            }
            cls[i] = (uint32_t)PyLong_AsSize_t(at);
        }
    }
    Py_DECREF(index);
    return 0;
}

/* The matching pass: pair(ctx, j, i) once for every record i of n, with j the
 * record of o at the same address, or HS_NO_MATCH.  Inlined into its callers,
 * so find_new's pair costs no call.  0, or -1 on out-of-memory. */
static inline __attribute__((always_inline)) int match_pass(const SnapshotObject *o, const SnapshotObject *n,
                                                            void (*pair)(void *, size_t, size_t), void *ctx)
{
    size_t mb = 0, ub = 0;
    uint8_t *matched = hs_big_alloc(o->n / 8 + 1, &mb); /* old records matched */
    size_t *unres = hs_big_alloc(n->n * sizeof(size_t) + 1, &ub), nunres = 0;
    hs_addrmap sparse = {0}, rest = {0};
    int rc = -1;
    if (!matched || !unres || hs_addrmap_reserve(&sparse, o->n / SPARSE + 1) < 0)
        goto done;
    for (size_t j = 0; j < o->n; j += SPARSE)
        hs_addrmap_put(&sparse, o->recs[j].addr, j); /* reserved: cannot fail */
    size_t p = 0;
    for (size_t i = 0; i < n->n; i++) {
        uintptr_t a = n->recs[i].addr;
        size_t j = HS_NO_MATCH;
        for (size_t k = p; k < p + LOOKAHEAD && k < o->n; k++)
            if (o->recs[k].addr == a) {
                j = k;
                break;
            }
        uint64_t v;
        if (j == HS_NO_MATCH && hs_addrmap_get(&sparse, a, &v))
            j = (size_t)v;
        if (j == HS_NO_MATCH) {
            unres[nunres++] = i;
            continue;
        }
        p = j + 1;
        BIT_SET(matched, j);
        pair(ctx, j, i);
    }
    /* The rest: a hash of the old records nobody matched. */
    size_t nrest = 0;
    for (size_t j = 0; j < o->n; j++)
        nrest += !BIT_GET(matched, j);
    if (nunres && nrest) {
        if (hs_addrmap_reserve(&rest, nrest) < 0)
            goto done;
        for (size_t j = 0; j < o->n; j++)
            if (!BIT_GET(matched, j))
                hs_addrmap_put(&rest, o->recs[j].addr, j);
    }
    for (size_t u = 0; u < nunres; u++) {
        size_t i = unres[u];
        uint64_t v;
        if (u + AHEAD < nunres)
            hs_addrmap_prefetch(&rest, n->recs[unres[u + AHEAD]].addr);
        pair(ctx, hs_addrmap_get(&rest, n->recs[i].addr, &v) ? (size_t)v : HS_NO_MATCH, i);
    }
    rc = 0;
done:
    hs_addrmap_free(&sparse);
    hs_addrmap_free(&rest);
    hs_big_free(matched, mb);
    hs_big_free(unres, ub);
    return rc;
}

int hs_snap_match(const SnapshotObject *o, const SnapshotObject *n, void (*pair)(void *, size_t, size_t), void *ctx)
{
    return match_pass(o, n, pair, ctx);
}

typedef struct {
    matcher mt;
    uint8_t *isnew;
} newfinder;

static void new_pair(void *ctx, size_t j, size_t i)
{
    newfinder *f = ctx;
    if (j == HS_NO_MATCH || !same_object(&f->mt, j, i))
        BIT_SET(f->isnew, i);
}

/* Fill d->newidx: the records of new_ whose object was not alive in old. */
static int find_new(DiffObject *d)
{
    const SnapshotObject *o = d->old, *n = d->new_;
    int cross = o->origin != n->origin;
    newfinder f = {{o, n, !cross && o->serials && n->serials && o->series == n->series, n->nfrozen > 0, NULL, NULL},
                   NULL};
    uint32_t *ocls = NULL, *ncls = NULL;
    if (cross && row_classes(o, n, &ocls, &ncls) < 0) {
        free(ocls);
        free(ncls);
        return -2;
    }
    f.mt.ocls = ocls;
    f.mt.ncls = ncls;
    d->exact = f.mt.exact;
    size_t nb = 0;
    f.isnew = hs_big_alloc(n->n / 8 + 1, &nb);
    int rc = -1;
    if (!f.isnew || match_pass(o, n, new_pair, &f) < 0)
        goto done;
    size_t count = 0;
    for (size_t i = 0; i < n->n; i++)
        count += BIT_GET(f.isnew, i);
    d->newidx = hs_big_alloc(count * sizeof(size_t), &d->newidx_bytes);
    if (!d->newidx)
        goto done;
    for (size_t i = 0; i < n->n; i++)
        if (BIT_GET(f.isnew, i))
            d->newidx[d->nnew++] = i;
    rc = 0;
done:
    free(ocls);
    free(ncls);
    hs_big_free(f.isnew, nb);
    return rc;
}

int hs_diff_parts(PyObject *diff, SnapshotObject **old, SnapshotObject **new_, const size_t **newidx, size_t *nnew)
{
    if (!PyObject_TypeCheck(diff, &HS_SnapshotDiffType)) {
        PyErr_SetString(PyExc_TypeError, "expected a SnapshotDiff (Snapshot.diff(old))");
        return -1;
    }
    DiffObject *d = (DiffObject *)diff;
    *old = d->old;
    *new_ = d->new_;
    *newidx = d->newidx;
    *nnew = d->nnew;
    return 0;
}

PyObject *hs_snapshot_diff(PyObject *self, PyObject *old)
{
    SnapshotObject *s = (SnapshotObject *)self;
    if (!PyObject_TypeCheck(old, &HS_SnapshotType)) {
        PyErr_SetString(PyExc_TypeError, "Snapshot.diff() expects an older Snapshot");
        return NULL;
    }
    DiffObject *d = PyObject_New(DiffObject, &HS_SnapshotDiffType);
    if (!d)
        return NULL;
    Py_INCREF(old);
    Py_INCREF(s);
    d->old = (SnapshotObject *)old;
    d->new_ = s;
    d->nnew = 0;
    d->newidx = NULL;
    d->newidx_bytes = 0;
    d->exact = 0;
    int rc = find_new(d);
    if (rc < 0) {
        Py_DECREF(d);
        return rc == -2 ? NULL : PyErr_NoMemory();
    }
    return (PyObject *)d;
}

/* ---- 2. SnapshotDiff ----------------------------------------------------------- */

static void diff_dealloc(DiffObject *d)
{
    Py_XDECREF(d->old);
    Py_XDECREF(d->new_);
    hs_big_free(d->newidx, d->newidx_bytes);
    PyObject_Free(d);
}

/* Per-label deltas (new minus old), merged by label string. */
static PyObject *diff_rows(DiffObject *d, int detail, Py_ssize_t limit)
{
    SnapshotObject *o = d->old, *n = d->new_;
    Py_ssize_t *nc, *ns, *oc, *os;
    if (hs_snap_totals(n, detail, &nc, &ns) < 0)
        return NULL;
    if (hs_snap_totals(o, detail, &oc, &os) < 0) {
        free(nc);
        free(ns);
        return NULL;
    }
    /* A shared label table: the new snapshot's, then the old one's labels it lacks. */
    size_t cap = n->nlabels + o->nlabels + 1;
    PyObject **labels = malloc(cap * sizeof(PyObject *));
    Py_ssize_t *dc = calloc(cap, sizeof(Py_ssize_t)), *ds = calloc(cap, sizeof(Py_ssize_t));
    PyObject *index = PyDict_New(), *out = NULL;
    size_t nl = 0;
    if (!labels || !dc || !ds || !index)
        goto done;
    for (int side = 0; side < 2; side++) {
        SnapshotObject *s = side ? o : n;
        Py_ssize_t *c = side ? oc : nc, *z = side ? os : ns;
        for (size_t i = 0; i < s->nlabels; i++) {
            if (!c[i] && !z[i])
                continue;
            PyObject *at = PyDict_GetItemWithError(index, s->labels[i]);
            size_t k;
            if (at) {
                k = PyLong_AsSize_t(at);
            } else {
                PyObject *kk = PyErr_Occurred() ? NULL : PyLong_FromSize_t(nl);
                if (!kk || PyDict_SetItem(index, s->labels[i], kk) < 0) {
                    Py_XDECREF(kk);
                    goto done;
                }
                Py_DECREF(kk);
                k = nl;
                labels[nl++] = s->labels[i];
            }
            dc[k] += side ? -c[i] : c[i];
            ds[k] += side ? -z[i] : z[i];
        }
    }
    out = hs_agg_rows(labels, nl, dc, ds, limit);
done:
    if (!out && !PyErr_Occurred())
        PyErr_NoMemory();
    Py_XDECREF(index);
    free(labels);
    free(dc);
    free(ds);
    free(nc);
    free(ns);
    free(oc);
    free(os);
    return out;
}

static PyObject *diff_summary(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "detail", NULL};
    PyObject *lim = Py_None;
    int detail = 0;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Op:summary", kwlist, &lim, &detail) ||
        hs_parse_limit(lim, &limit) < 0)
        return NULL;
    return diff_rows(d, detail, limit);
}

static PyObject *diff_print(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"limit", "file", "detail", NULL};
    PyObject *limit = NULL, *file = Py_None;
    int detail = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOp:print", kwlist, &limit, &file, &detail))
        return NULL;
    return hs_print_rows(diff_rows(d, detail, -1), limit, file);
}

/* Rows selected by a label (the default or the detailed one) and/or a
 * detailed label: a C array of flags, or NULL when neither is given. */
static int select_rows(SnapshotObject *s, PyObject *label, PyObject *detail, char **sel)
{
    *sel = NULL;
    if (label == Py_None)
        label = NULL;
    if (detail == Py_None)
        detail = NULL;
    if (!label && !detail)
        return 0;
    if ((label && !PyUnicode_Check(label)) || (detail && !PyUnicode_Check(detail))) {
        PyErr_SetString(PyExc_TypeError, "label and detail must be str or None");
        return -1;
    }
    *sel = calloc(s->nrows + 1, 1);
    if (!*sel) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->nrows; i++) {
        srow_t *r = &s->rows[i];
        if (!r->count)
            continue;
        int eq = 1;
        if (label)
            eq = PyUnicode_Compare(s->labels[r->label], label) == 0 ||
                 PyUnicode_Compare(s->labels[r->dlabel], label) == 0;
        if (eq && detail)
            eq = PyUnicode_Compare(s->labels[r->dlabel], detail) == 0;
        if (PyErr_Occurred()) {
            free(*sel);
            *sel = NULL;
            return -1;
        }
        (*sel)[i] = (char)eq;
    }
    return 0;
}

typedef struct {
    uint32_t label, dlabel;
    Py_ssize_t count, size;
} pair_t;

static int pair_cmp(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return a->dlabel < b->dlabel ? -1 : a->dlabel > b->dlabel;
}

static int pair_size_cmp(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return pair_cmp(x, y);
}

/* [(label, detail_label, count, size)] of the new objects, largest size first. */
static PyObject *diff_new_rows(DiffObject *d, PyObject *Py_UNUSED(ignored))
{
    SnapshotObject *n = d->new_;
    pair_t *v = calloc(n->nrows + 1, sizeof(pair_t));
    if (!v)
        return PyErr_NoMemory();
    for (size_t k = 0; k < d->nnew; k++) {
        const rec_t *r = &n->recs[d->newidx[k]];
        pair_t *p = &v[rec_row(r)];
        p->count++;
        p->size += rec_size(r);
    }
    size_t m = 0;
    for (size_t i = 0; i < n->nrows; i++)
        if (v[i].count) {
            v[m] = v[i];
            v[m].label = n->rows[i].label;
            v[m].dlabel = n->rows[i].dlabel;
            m++;
        }
    qsort(v, m, sizeof(*v), pair_cmp); /* merge rows with equal label strings */
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u && v[u - 1].label == v[i].label && v[u - 1].dlabel == v[i].dlabel) {
            v[u - 1].count += v[i].count;
            v[u - 1].size += v[i].size;
        } else {
            v[u++] = v[i];
        }
    }
    qsort(v, u, sizeof(*v), pair_size_cmp);
    PyObject *out = PyList_New((Py_ssize_t)u);
    for (size_t i = 0; out && i < u; i++) {
        PyObject *t = Py_BuildValue("(OOnn)", n->labels[v[i].label], n->labels[v[i].dlabel], v[i].count, v[i].size);
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    free(v);
    return out;
}

static PyObject *diff_new_records(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"label", "limit", "detail", NULL};
    PyObject *label = Py_None, *lim = Py_None, *detail = Py_None;
    Py_ssize_t limit;
    char *sel;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:new_records", kwlist, &label, &lim, &detail) ||
        hs_parse_limit(lim, &limit) < 0 || select_rows(d->new_, label, detail, &sel) < 0)
        return NULL;
    SnapshotObject *n = d->new_;
    PyObject *out = PyList_New(0);
    for (size_t k = 0; out && k < d->nnew && (limit < 0 || PyList_GET_SIZE(out) < limit); k++) {
        const rec_t *r = &n->recs[d->newidx[k]];
        size_t row = rec_row(r);
        if (sel && !sel[row])
            continue;
        PyObject *t = Py_BuildValue("(kOOn)", (unsigned long)r->addr, n->labels[n->rows[row].label],
                                    n->labels[n->rows[row].dlabel], rec_size(r));
        if (!t || PyList_Append(out, t) < 0)
            Py_CLEAR(out);
        Py_XDECREF(t);
    }
    free(sel);
    return out;
}

typedef struct {
    DiffObject *d;
    hs_addrmap want;  /* address -> index into d->newidx */
    uint64_t series;  /* the live series, when it is the snapshot's */
    PyObject **found;
    size_t nfound, limit;
} refind;

static int refind_emit(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    refind *f = (refind *)w->ctx;
    uint64_t k;
    if (f->nfound >= f->limit || !hs_addrmap_get(&f->want, (uintptr_t)op, &k))
        return 0;
    SnapshotObject *n = f->d->new_;
    size_t i = f->d->newidx[k];
    const rec_t *r = &n->recs[i];
    if (n->rows[rec_row(r)].type != (uintptr_t)ti->type)
        return 0;
    if (f->series) {
        if (hs_identity_serial((uintptr_t)op) != n->serials[i])
            return 0;
    } else if (!hs_is_tracked(op, ti) && !n->rows[rec_row(r)].is_dict) {
        Py_ssize_t sz = hs_size_fast(op, ti);
        if (sz >= 0 && sz != rec_size(r))
            return 0;
    }
    f->found[f->nfound++] = op;
    return 0;
}

/* The new objects still alive, found by a fresh walk. */
static PyObject *diff_new_objects(DiffObject *d, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"label", "limit", "detail", NULL};
    PyObject *label = Py_None, *lim = Py_None, *detail = Py_None;
    Py_ssize_t limit;
    char *sel;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:new_objects", kwlist, &label, &lim, &detail) ||
        hs_parse_limit(lim, &limit) < 0 || select_rows(d->new_, label, detail, &sel) < 0)
        return NULL;
    SnapshotObject *n = d->new_;
    if (n->loaded) {
        free(sel);
        PyErr_SetString(PyExc_ValueError, "new_objects(): the newer snapshot was loaded from a heap file, its "
                                          "objects are not in this process (use new_records() for addresses)");
        return NULL;
    }
    refind f;
    memset(&f, 0, sizeof(f));
    f.d = d;
    f.limit = limit < 0 ? (size_t)-1 : (size_t)limit;
    f.series = n->serials && hs_identity_series() == n->series ? n->series : 0;
    PyObject *out = NULL;
    size_t nwant = 0;
    for (size_t k = 0; k < d->nnew; k++)
        nwant += !sel || sel[rec_row(&n->recs[d->newidx[k]])];
    f.found = malloc((nwant ? nwant : 1) * sizeof(PyObject *));
    if (!f.found || hs_addrmap_reserve(&f.want, nwant) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t k = 0; k < d->nnew; k++)
        if (!sel || sel[rec_row(&n->recs[d->newidx[k]])])
            hs_addrmap_put(&f.want, n->recs[d->newidx[k]].addr, k);
    if (nwant && f.limit) {
        hs_walker w;
        memset(&w, 0, sizeof(w));
        int was = hs_gc_pause();
        if (hs_walk_run(&w, refind_emit, &f) == 0) {
            out = PyList_New((Py_ssize_t)f.nfound);
            for (size_t i = 0; out && i < f.nfound; i++) {
                Py_INCREF(f.found[i]);
                PyList_SET_ITEM(out, (Py_ssize_t)i, f.found[i]);
            }
        }
        hs_gc_resume(was);
        hs_walk_release(&w);
    } else {
        out = PyList_New(0);
    }
done:
    free(sel);
    free(f.found);
    hs_addrmap_free(&f.want);
    return out;
}

static PyObject *diff_new_count(DiffObject *d, void *Py_UNUSED(c)) { return PyLong_FromSize_t(d->nnew); }

static PyObject *diff_new_size(DiffObject *d, void *Py_UNUSED(c))
{
    Py_ssize_t t = 0;
    for (size_t k = 0; k < d->nnew; k++)
        t += rec_size(&d->new_->recs[d->newidx[k]]);
    return PyLong_FromSsize_t(t);
}

static PyObject *diff_exact(DiffObject *d, void *Py_UNUSED(c)) { return PyBool_FromLong(d->exact); }
static PyObject *diff_old(DiffObject *d, void *Py_UNUSED(c))
{
    Py_INCREF(d->old);
    return (PyObject *)d->old;
}

static PyObject *diff_new(DiffObject *d, void *Py_UNUSED(c))
{
    Py_INCREF(d->new_);
    return (PyObject *)d->new_;
}

static PyObject *diff_repr(DiffObject *d)
{
    return PyUnicode_FromFormat("<heapscope SnapshotDiff: %zd -> %zd objects, %zu new%s>", (Py_ssize_t)d->old->n,
                                (Py_ssize_t)d->new_->n, d->nnew, d->exact ? " (exact identity)" : "");
}

static PyMethodDef diff_methods[] = {
    {"summary", (PyCFunction)(void (*)(void))diff_summary, METH_VARARGS | METH_KEYWORDS,
     "summary(limit=None, detail=False) -> [[label, dcount, dsize], ...], largest growth first."},
    {"print", (PyCFunction)(void (*)(void))diff_print, METH_VARARGS | METH_KEYWORDS,
     "print(limit=15, file=None, detail=False): the deltas as Pympler's table."},
    {"new_rows", (PyCFunction)diff_new_rows, METH_NOARGS,
     "new_rows() -> [(label, detail_label, count, size)] of the objects not in the old snapshot."},
    {"new_records", (PyCFunction)(void (*)(void))diff_new_records, METH_VARARGS | METH_KEYWORDS,
     "new_records(label=None, limit=None, detail=None) -> [(address, label, detail_label, size)] of the new "
     "objects; label matches the default or the detailed label, detail only the detailed one."},
    {"new_objects", (PyCFunction)(void (*)(void))diff_new_objects, METH_VARARGS | METH_KEYWORDS,
     "new_objects(label=None, limit=None, detail=None) -> the new objects still alive, found by a fresh heap "
     "walk; label matches the default or the detailed label, detail only the detailed one."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef diff_getset[] = {
    {"new_count", (getter)diff_new_count, NULL, "Objects of the new snapshot not in the old one.", NULL},
    {"new_size", (getter)diff_new_size, NULL, "Their bytes.", NULL},
    {"exact", (getter)diff_exact, NULL, "Identity from creation serials (3.13+) rather than heuristics.", NULL},
    {"old", (getter)diff_old, NULL, "The older snapshot.", NULL},
    {"new", (getter)diff_new, NULL, "The newer snapshot.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject HS_SnapshotDiffType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heapscope.SnapshotDiff",
    .tp_basicsize = sizeof(DiffObject),
    .tp_dealloc = (destructor)diff_dealloc,
    .tp_repr = (reprfunc)diff_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What changed between two snapshots: per-label deltas and the objects that are new.",
    .tp_methods = diff_methods,
    .tp_getset = diff_getset,
};

int hs_diff_init(PyObject *module)
{
    if (PyType_Ready(&HS_SnapshotDiffType) < 0)
        return -1;
    Py_INCREF(&HS_SnapshotDiffType);
    if (PyModule_AddObject(module, "SnapshotDiff", (PyObject *)&HS_SnapshotDiffType) < 0)
        return -1;
    return hs_own_type(&HS_SnapshotDiffType);
}
