/*
 * accum.h -- label rows for the objects of one walk: which label each object
 * gets (default or detailed) and the count and bytes per label.
 *
 * A row is keyed by a label key (type, kind, key objects; see labels.h).
 * Detailed rows point at the row of their default label (`base`).  During a
 * walk the accumulator only touches C memory and takes strong references to
 * what its keys name, so nothing it needs can die before the strings are made.
 * summary.c and snapshot.c are its consumers.
 */
#ifndef HS_ACCUM_H
#define HS_ACCUM_H
#include "walk.h"
#include "addrmap.h"

typedef struct {
    PyTypeObject *type;
    PyObject *extra, *extra2;
    int kind;
    Py_ssize_t base;        /* row of the default label; itself for default rows */
    Py_ssize_t count, size;
    PyObject *label;        /* set by hs_accum_labels                          */
} hs_row;

/* An object waiting for something only known after the walk. */
typedef struct {
    PyObject *op;
    size_t row;
    size_t rec;             /* consumer's record index, or (size_t)-1          */
} hs_pending;

typedef struct hs_accum {
    hs_walker w;
    int detail;             /* make detailed rows                              */
    int oom;
    hs_row *rows;
    size_t nrows, caprows;
    size_t *kslots;         /* row index + 1, keyed on the label key           */
    size_t kmask, kused;
    hs_pending *def;        /* sizes to ask for after the walk (INCREF'd)      */
    size_t ndef, capdef;
    hs_pending *orphans;    /* dicts and cells whose owner labels them         */
    size_t norphans, caporphans;
    hs_addrmap owners;      /* instance dict / closure cell -> owner           */
} hs_accum;

/* Count op (emitted by a walk or taken from a list): returns its row and sets
 * *size (-1 when deferred), or returns -1 on out-of-memory.  rec is the
 * consumer's record index, handed back by hs_accum_settle. */
Py_ssize_t hs_accum_add(hs_accum *a, PyObject *op, hs_typeinfo *ti, size_t rec, Py_ssize_t *size);

/* After a tally walk (hs_walker.tally): add the counts kept in the typeinfos
 * to their rows; 0, or -1 on out-of-memory. */
int hs_accum_fold_tallies(hs_accum *a);
/* After the walk, before any Python code runs: move dicts and cells to the
 * rows of their owners.  moved(ctx, rec, row) is told of each move. */
int hs_accum_settle_owners(hs_accum *a, void (*moved)(void *, size_t, size_t), void *ctx);
/* Ask the deferred objects their size (Python code may run); sized(ctx, rec,
 * size) is told of each.  Never fails. */
void hs_accum_settle_sizes(hs_accum *a, void (*sized)(void *, size_t, Py_ssize_t), void *ctx);
/* Make the label string of every used row and of its base; 0 or -1. */
int hs_accum_labels(hs_accum *a);
void hs_accum_free(hs_accum *a);

#endif
