/*
 * records.h -- the in-memory layout of a Snapshot, shared by the files that
 * read it (snapshot.c takes it, diff.c compares two, heap files and exports
 * write it).  Not part of the API: nothing outside csrc/ sees these structs.
 *
 * A record is 16 bytes: the object's address (opaque: compared, never
 * dereferenced) and one word packing its size (38 bits), the GC list it was
 * found in (2), whether the GC tracks it (1) and its label row (23).
 */
#ifndef HS_RECORDS_H
#define HS_RECORDS_H
#include "snapshot.h"
#include "graph.h"

typedef struct {
    uintptr_t addr;
    uint64_t bits; /* size (38 bits) | GC list (2) | tracked (1) | row (23) */
} rec_t;

#define SIZE_MASK ((1ULL << 38) - 1)
#define GEN_SHIFT 38
#define TRACKED_BIT (1ULL << 40)
#define ROW_SHIFT 41
#define MAX_ROWS (1ULL << 23)

static inline size_t rec_row(const rec_t *r) { return (size_t)(r->bits >> ROW_SHIFT); }
static inline Py_ssize_t rec_size(const rec_t *r) { return (Py_ssize_t)(r->bits & SIZE_MASK); }
static inline int rec_tracked(const rec_t *r) { return (r->bits & TRACKED_BIT) != 0; }
static inline int rec_gen(const rec_t *r) { return (int)((r->bits >> GEN_SHIFT) & 3); }

/* tracked: the GC list it was found in (0-2, 3 permanent), or -1 untracked. */
static inline uint64_t rec_bits(Py_ssize_t size, int tracked, size_t row)
{
    uint64_t sz = size < 0 ? 0 : (uint64_t)size;
    if (sz > SIZE_MASK)
        sz = SIZE_MASK;
    if (tracked >= 0)
        sz |= TRACKED_BIT | ((uint64_t)tracked << GEN_SHIFT);
    return sz | ((uint64_t)row << ROW_SHIFT);
}

static inline int rec_list(const rec_t *r) { return rec_tracked(r) ? rec_gen(r) : -1; }

typedef struct {
    uintptr_t type;         /* opaque: compared, never dereferenced */
    uint32_t label, dlabel; /* default and detailed label (index into labels) */
    int is_dict;
    Py_ssize_t count, size;
} srow_t;

typedef struct {
    PyObject_HEAD
    size_t n;
    rec_t *recs;
    uint64_t *serials;  /* creation serials (3.13+, in a series), else NULL */
    uint32_t *lens;     /* container lengths (hs_len_of), when asked for, else NULL */
    size_t recs_bytes, serials_bytes, lens_bytes;
    uint64_t series;
    int identity;       /* holds a reference on the identity series */
    size_t nfrozen;     /* objects found in the permanent generation */
    hs_graph *graph;    /* the reference graph, when asked for */
    size_t nrows;
    srow_t *rows;
    size_t nlabels;
    PyObject **labels;  /* heapscope's own strings */
    Py_ssize_t total_size;
    Py_ssize_t large_size;  /* bytes of objects larger than 512 (pymalloc's limit: malloc's) */
    int large_known;        /* large_size computed (at take time; loaded ones on first use) */
    /* where it comes from: origin names the process (type addresses and
     * serials compare only within one); loaded snapshots come from a heap
     * file (heapfile.c) and refer to nothing of this process */
    uint64_t origin;
    int loaded;
    double created;         /* time.time() when taken */
    PyObject *pyversion;    /* "3.11.7" of the process that took it */
    size_t nreprs;          /* a few short reprs, by node (heap files) */
    uint32_t *repr_node;
    PyObject **reprs;
} SnapshotObject;

/* A new empty Snapshot of this process (every field zero but origin, created, pyversion). */
SnapshotObject *hs_snapshot_new(void);
/* This process's origin token (random, fixed for the process's life). */
uint64_t hs_process_origin(void);

/* ---- helpers shared by snapshot.c and diff.c ------------------------------------ */

/* Per-label totals of a snapshot (detail: detailed labels); calloc'ed arrays
 * of nlabels + 1 entries, or -1 with MemoryError. */
int hs_snap_totals(SnapshotObject *s, int detail, Py_ssize_t **counts, Py_ssize_t **sizes);
/* Sorted aggregates (largest size first) per label index as [label, count,
 * size] lists; at most limit rows (limit < 0: all). */
PyObject *hs_agg_rows(PyObject **labels, size_t nlabels, const Py_ssize_t *counts, const Py_ssize_t *sizes,
                      Py_ssize_t limit);
/* limit=None -> -1; otherwise a non-negative int. */
int hs_parse_limit(PyObject *o, Py_ssize_t *limit);
/* heapscope.summary.print_(rows, file=file[, limit=limit]); steals rows. */
PyObject *hs_print_rows(PyObject *rows, PyObject *limit, PyObject *file);
/* The matching pass of diffs (diff.c): pair(ctx, j, i) once for every record i
 * of n, with j the record of o at the same address or HS_NO_MATCH (no object
 * identity decided: compare what you need).  Records i in order, but for those
 * found out of step, last.  0, or -1 on out-of-memory (no exception set). */
#define HS_NO_MATCH ((size_t)-1)
int hs_snap_match(const SnapshotObject *o, const SnapshotObject *n, void (*pair)(void *, size_t, size_t), void *ctx);
/* The parts of a SnapshotDiff (borrowed): its snapshots and the indices of the
 * new snapshot's records not alive in the old one.  0, or -1 with TypeError. */
int hs_diff_parts(PyObject *diff, SnapshotObject **old, SnapshotObject **new_, const size_t **newidx, size_t *nnew);
/* Snapshot.diff(old): a new SnapshotDiff (diff.c). */
PyObject *hs_snapshot_diff(PyObject *s, PyObject *old);
int hs_diff_init(PyObject *module);
/* Snapshot.save(path, reprs=True) and heapscope._core.load_heapfile(path) (heapfile.c). */
PyObject *hs_snapshot_save(PyObject *s, PyObject *args, PyObject *kw);
PyObject *hs_heapfile_load(PyObject *path);
int hs_heapfile_init(PyObject *module);
/* Paths over the stored graph only (paths.c section 5): [(kind, root label,
 * [node], [edge name or None])] to the node at addr; nothing live is touched. */
PyObject *hs_snapshot_paths_at(SnapshotObject *s, uintptr_t addr, int max_paths);

#endif
