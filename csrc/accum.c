/*
 * accum.c -- label rows of the objects of one walk (see accum.h).
 *
 * Sections:
 *   1. rows      hash of label keys -> rows; each detailed row knows its base
 *   2. adding    one object: its rows, its size, and (detail) what it owns
 *   3. settling  owners of dicts and cells, deferred sizes, label strings
 */
#include "accum.h"
#include "vec.h"
#include "labels.h"
#include "sizes.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. rows ------------------------------------------------------------------ */

static size_t hash_key(PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2)
{
    uintptr_t a = ((uintptr_t)tp >> 4) * 0x9E3779B97F4A7C15ULL ^ ((uintptr_t)extra >> 4) * 0xC2B2AE3D27D4EB4FULL ^
                  ((uintptr_t)extra2 >> 4) * 0x165667B19E3779F9ULL ^ (uintptr_t)kind;
    return (size_t)(a ^ (a >> 29));
}

static Py_ssize_t row_new(hs_accum *a, PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2,
                          Py_ssize_t base)
{
    if (hs_vec_grow((void **)&a->rows, a->nrows, &a->caprows, sizeof(hs_row), 1024) < 0)
        return -1;
    Py_ssize_t idx = (Py_ssize_t)a->nrows++;
    hs_row *r = &a->rows[idx];
    r->type = tp;
    r->extra = extra;
    r->extra2 = extra2;
    r->kind = kind;
    r->base = base < 0 ? idx : base;
    r->count = r->size = 0;
    r->label = NULL;
    Py_INCREF(tp);
    Py_XINCREF(extra);
    Py_XINCREF(extra2);
    return idx;
}

/* The row of a type labelled by the type alone, made on first use; -1 on out-of-memory. */
static Py_ssize_t type_row(hs_accum *a, hs_typeinfo *ti)
{
    if (ti->slot < 0)
        ti->slot = row_new(a, ti->type, LABEL_TYPE, NULL, NULL, -1);
    return ti->slot;
}

static int kslots_grow(hs_accum *a)
{
    size_t ncap = a->kslots ? (a->kmask + 1) * 2 : 4096;
    size_t *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; a->kslots && i <= a->kmask; i++) {
        size_t v = a->kslots[i];
        if (!v)
            continue;
        hs_row *r = &a->rows[v - 1];
        size_t j = hash_key(r->type, r->kind, r->extra, r->extra2) & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = v;
    }
    free(a->kslots);
    a->kslots = ns;
    a->kmask = ncap - 1;
    return 0;
}

/* The row of a label key, made on first use; -1 on out-of-memory. */
static Py_ssize_t row_keyed(hs_accum *a, PyTypeObject *tp, int kind, PyObject *extra, PyObject *extra2,
                            Py_ssize_t base)
{
    if ((!a->kslots || (a->kused + 1) * 2 > a->kmask + 1) && kslots_grow(a) < 0)
        return -1;
    size_t j = hash_key(tp, kind, extra, extra2) & a->kmask;
    size_t v;
    while ((v = a->kslots[j]) != 0) {
        hs_row *r = &a->rows[v - 1];
        if (r->type == tp && r->kind == kind && r->extra == extra && r->extra2 == extra2)
            return (Py_ssize_t)(v - 1);
        j = (j + 1) & a->kmask;
    }
    Py_ssize_t idx = row_new(a, tp, kind, extra, extra2, base);
    if (idx < 0)
        return -1;
    a->kslots[j] = (size_t)idx + 1;
    a->kused++;
    return idx;
}

static int pend(hs_pending **v, size_t *n, size_t *cap, PyObject *op, size_t row, size_t rec)
{
    if (hs_vec_grow((void **)v, *n, cap, sizeof(hs_pending), 1024) < 0)
        return -1;
    (*v)[*n].op = op;
    (*v)[*n].row = row;
    (*v)[*n].rec = rec;
    (*n)++;
    return 0;
}

/* ---- 2. adding ------------------------------------------------------------------- */

/* Detail mode: remember which instance owns a dict, which function a cell. */
static int note_owned(hs_accum *a, PyObject *op, const hs_typeinfo *ti)
{
    PyTypeObject *tp = ti->type;
    if (tp == &PyFunction_Type) {
        PyObject *cl = ((PyFunctionObject *)op)->func_closure;
        if (cl && PyTuple_Check(cl))
            for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cl); i++)
                if (hs_addrmap_add(&a->owners, (uintptr_t)PyTuple_GET_ITEM(cl, i), (uintptr_t)op) < 0)
                    return -1;
        return 0;
    }
    if (ti->is_type || !(tp->tp_dictoffset || (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)))
        return 0;
    PyObject *d = hs_instance_dict(op, tp);
    return d ? hs_addrmap_add(&a->owners, (uintptr_t)d, (uintptr_t)op) : 0;
}

Py_ssize_t hs_accum_add(hs_accum *a, PyObject *op, hs_typeinfo *ti, size_t rec, Py_ssize_t *size)
{
    Py_ssize_t row;
    if (ti->label_kind == LABEL_TYPE) {
        row = type_row(a, ti);
    } else {
        row = row_keyed(a, ti->type, ti->label_kind, hs_label_extra(op, ti), NULL, -1);
    }
    if (row < 0)
        goto oom;
    if (a->detail) {
        PyObject *x, *x2;
        int dk = hs_label_detail_key(op, ti, &x, &x2);
        if (dk >= 0 && (row = row_keyed(a, ti->type, dk, x, x2, row)) < 0)
            goto oom;
        if (ti->type == &PyDict_Type || ti->type == &PyCell_Type) {
            if (pend(&a->orphans, &a->norphans, &a->caporphans, op, (size_t)row, rec) < 0)
                goto oom;
        } else if (note_owned(a, op, ti) < 0) {
            goto oom;
        }
    }
    Py_ssize_t sz = hs_size_fast(op, ti);
    if (sz < 0) {
        if (pend(&a->def, &a->ndef, &a->capdef, op, (size_t)row, rec) < 0)
            goto oom;
        Py_INCREF(op);
        sz = 0;
        *size = -1;
    } else {
        *size = sz;
    }
    a->rows[row].count++;
    a->rows[row].size += sz;
    return row;
oom:
    a->oom = 1;
    return -1;
}

/* ---- 3. settling ------------------------------------------------------------------ */

int hs_accum_fold_tallies(hs_accum *a)
{
    hs_typeinfo *ti;
    for (size_t i = 0; (ti = hs_walk_type_at(&a->w, i)) != NULL; i++) {
        if (ti->tally_n == 0)
            continue;
        Py_ssize_t row = type_row(a, ti);
        if (row < 0) {
            a->oom = 1;
            return -1;
        }
        a->rows[row].count += ti->tally_n;
        a->rows[row].size += ti->tally_size;
    }
    return 0;
}

int hs_accum_settle_owners(hs_accum *a, void (*moved)(void *, size_t, size_t), void *ctx)
{
    for (size_t i = 0; i < a->norphans; i++) {
        hs_pending *p = &a->orphans[i];
        uint64_t owner;
        PyObject *x, *x2;
        if (!hs_addrmap_get(&a->owners, (uintptr_t)p->op, &owner))
            continue;
        int k = hs_label_owner_key(p->op, (PyObject *)(uintptr_t)owner, &x, &x2);
        if (k < 0)
            continue;
        hs_row *old = &a->rows[p->row];
        Py_ssize_t sz = hs_size_fast(p->op, hs_typeinfo_get(&a->w, Py_TYPE(p->op)));
        Py_ssize_t row = row_keyed(a, old->type, k, x, x2, old->base);
        if (row < 0) {
            a->oom = 1;
            return -1;
        }
        old = &a->rows[p->row]; /* rows may have moved */
        old->count--;
        old->size -= sz;
        a->rows[row].count++;
        a->rows[row].size += sz;
        if (moved)
            moved(ctx, p->rec, (size_t)row);
    }
    a->norphans = 0;
    hs_addrmap_free(&a->owners);
    return 0;
}

void hs_accum_settle_sizes(hs_accum *a, void (*sized)(void *, size_t, Py_ssize_t), void *ctx)
{
    for (size_t i = 0; i < a->ndef; i++) {
        Py_ssize_t sz = hs_size_slow(a->def[i].op);
        a->rows[a->def[i].row].size += sz;
        if (sized)
            sized(ctx, a->def[i].rec, sz);
    }
}

int hs_accum_labels(hs_accum *a)
{
    for (size_t i = 0; i < a->nrows; i++) {
        hs_row *r = &a->rows[i];
        if (r->count == 0)
            continue;
        if (!r->label && !(r->label = hs_label_make(r->type, r->kind, r->extra, r->extra2)))
            return -1;
        hs_row *b = &a->rows[r->base];
        if (!b->label && !(b->label = hs_label_make(b->type, b->kind, b->extra, b->extra2)))
            return -1;
    }
    return 0;
}

void hs_accum_free(hs_accum *a)
{
    for (size_t i = 0; i < a->ndef; i++)
        Py_DECREF(a->def[i].op);
    for (size_t i = 0; i < a->nrows; i++) {
        Py_DECREF(a->rows[i].type);
        Py_XDECREF(a->rows[i].extra);
        Py_XDECREF(a->rows[i].extra2);
        Py_XDECREF(a->rows[i].label);
    }
    free(a->def);
    free(a->orphans);
    free(a->rows);
    free(a->kslots);
    hs_addrmap_free(&a->owners);
    hs_walk_release(&a->w);
    memset(a, 0, sizeof(*a));
}
